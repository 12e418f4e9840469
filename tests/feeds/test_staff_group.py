"""check-feed workforce-staff-group: the cumulative release read column-wise, bad rows quarantined with reasons."""
import io
import zipfile
from datetime import date

import pytest

from orchestration.feeds.workforce.staff_group import parse_staff_group
from simulator import staff_groups as sg
from simulator.england import build_england

AS_AT = date(2026, 12, 1)  # the day the files are checked as at (no parser reads the clock)

HEADER = ",".join(sg.COLUMNS_2019)
GOOD = '2025-03-31,Y56,London,QMJ,North Central London,RAL,"Royal Free London, NHS Foundation Trust",Acute,' \
       'Acute - Teaching,01,Total,FTE,9876.5'


def _csv(*rows, header=HEADER) -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode()


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    world = build_england("small", 4)
    path = tmp_path_factory.mktemp("sg") / "release.zip"
    rows = sg.write_staff_group_release(world, date(2026, 4, 30), path)
    return path, rows


def test_a_simulated_release_passes_with_every_row_accounted_for(release):
    path, rows = release
    result = parse_staff_group(path.read_bytes(), str(path), as_at=AS_AT)
    report = result.report()
    assert report["accepted"] and report["layout"] == "nhs-workforce-staff-group-2026"
    assert report["rows"] == report["rows_valid"] == rows and report["rows_quarantined"] == 0
    assert result.notes["zip_member"].endswith("Staff Group and Organisation.csv")
    assert result.notes["months"]["first"] == "2014-01-31" and result.notes["staff_groups"] == 28
    assert result.valid.column("_source_row").to_pylist()[:3] == [2, 3, 4]


def test_the_older_layout_is_detected_and_quoted_commas_kept():
    result = parse_staff_group(_csv(GOOD), "old.csv", as_at=AS_AT)
    assert result.accepted and result.layout == "nhs-workforce-staff-group-2019"
    row = result.valid.to_pylist()[0]
    assert row["org_name"] == "Royal Free London, NHS Foundation Trust" and row["value"] == 9876.5
    assert row["month_end"] == date(2025, 3, 31)


def test_bad_rows_are_quarantined_with_row_column_and_reason():
    rows = [GOOD,
            GOOD.replace("2025-03-31", "31/13/2025"),                 # row 3: not a date
            GOOD.replace(",FTE,", ",WTE,"),                            # row 4: unknown data type
            GOOD.replace("9876.5", "-4"),                              # row 5: negative
            GOOD.replace("9876.5", "lots"),                            # row 6: not a number
            GOOD.replace(",9876.5", ""),                               # row 7: a column short
            GOOD.replace(",RAL,", ",HHH,").replace("9876.5", "*")]     # row 8: suppressed: NULL with a reason
    result = parse_staff_group(_csv(*rows), "bad.csv", as_at=AS_AT)
    assert (result.rows, result.rows_valid, result.rows_quarantined) == (7, 2, 5)
    where = {(i.row, i.column) for i in result.errors}
    assert where == {(3, "Date"), (4, "Data Type"), (5, "Total"), (6, "Total"), (7, None)}
    suppressed = [r for r in result.valid.to_pylist() if r["org_code"] == "HHH"][0]
    assert suppressed["value"] is None and suppressed["value_missing_reason"] == "suppressed (small numbers)"
    assert result.valid.column("_source_row").to_pylist() == [2, 8]
    assert not result.accepted  # 5 of 7 rows bad: far past the tolerance, the release is refused


def test_duplicates_of_the_grain_are_quarantined_both():
    result = parse_staff_group(_csv(GOOD, GOOD.replace("9876.5", "1")), "dup.csv", as_at=AS_AT)
    assert result.rows_quarantined == 2 and {q["row"] for q in result.quarantined} == {2, 3}
    assert "duplicate" in result.quarantined[0]["reason"]


@pytest.mark.parametrize("content, message", [
    (b"", "no header row"),
    (b"<!DOCTYPE html><html><body>Page not found</body></html>", "unknown layout"),
    (_csv(GOOD, header=HEADER.replace("Staff Group,", "Staff group name,")), "unknown layout"),
])
def test_files_that_are_not_a_release_are_refused_whole(content, message):
    result = parse_staff_group(content, "x.csv", as_at=AS_AT)
    assert not result.accepted and message in result.file_errors[0].message


def test_a_zip_without_the_staff_group_file_names_what_it_holds():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("NHS Workforce Statistics, March 2025 Organisation.csv", "x")
    result = parse_staff_group(buffer.getvalue(), "w.zip", as_at=AS_AT)
    assert not result.accepted and "Organisation.csv" in result.file_errors[0].message
