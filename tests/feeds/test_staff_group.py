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


def test_every_copy_of_a_repeated_key_is_held_back_and_only_among_rows_otherwise_good():
    """Known answer for the duplicate-key rule (month × organisation × staff group × data type): the month is
    compared as a date, not as its text; a copy that breaks another rule is quarantined for that alone and makes
    no duplicate of the row it repeats."""
    rows = [GOOD,                                                                # row 2
            GOOD.replace("9876.5", "1"),                                         # row 3: row 2 again
            GOOD.replace("2025-03-31", "31/03/2025"),                            # row 4: the same month, UK style
            GOOD.replace(",FTE,", ",HC,"),                                       # row 5: headcount: another key
            GOOD.replace(",FTE,", ",HC,").replace("9876.5", "lots"),             # row 6: row 5's key, but bad
            GOOD.replace(",RAL,", ",RBA,").replace("9876.5", "*")]               # row 7: another organisation
    result = parse_staff_group(_csv(*rows), "dup.csv", as_at=AS_AT)
    held = "column Org Code: duplicate month, organisation (RAL), staff group and data type: every copy is held back"
    assert [(q["row"], q["column"], q["rule"], q["value"], q["reason"]) for q in result.quarantined] == [
        (2, "Org Code", "duplicate_key", "RAL", held),
        (3, "Org Code", "duplicate_key", "RAL", held),
        (4, "Org Code", "duplicate_key", "RAL", held),
        (6, "Total", "not_a_number", "lots", "column Total: 'lots' is not a number or a missing-value marker")]
    assert result.valid.column("_source_row").to_pylist() == [5, 7]
    assert result.notes["months"] == {"first": "2025-03-31", "last": "2025-03-31", "count": 1}
    assert result.notes["organisations_per_month"] == {"min": 2, "max": 2}
    assert result.notes["staff_groups"] == 1
    assert result.notes["missing_markers"] == {"suppressed (small numbers)": 1}


def test_row_keys_stay_exact_when_the_columns_span_more_than_an_int64():
    """The key of a row packs its columns' codes into one integer; columns of many distinct values would overflow
    it, and are renumbered first rather than wrapping round. Two texts of one date share a month code."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from orchestration.feeds.workforce.staff_group import _combined, _dictionary_codes, _month_codes

    def coded(picks, values):
        return pa.chunked_array([pa.DictionaryArray.from_arrays(pa.array(picks, pa.int32()), pa.array(values))])

    def to_date(texts):
        iso = pc.strptime(texts, format="%Y-%m-%d", unit="s", error_is_null=True)
        return pc.cast(pc.coalesce(iso, pc.strptime(texts, format="%d/%m/%Y", unit="s", error_is_null=True)),
                       pa.date32())

    wide = [f"t{i}" for i in range(100_000)]
    month_code, month_days = _month_codes(coded([0, 1, 2, 0], ["0001-01-01", "9999-12-31", "01/01/0001"]), to_date)
    assert month_code.tolist() == [0, 1, 0, 0] and len(month_days) == 2
    codes = [(month_code, len(month_days)), *(_dictionary_codes(coded(picks, wide)) for picks in ([0, 99_999, 0, 0], [0, 99_999, 0, 0],
                                                                           [0, 99_999, 0, 5]))]
    keys, _ = _combined([(code, width * 10**4) for code, width in codes])  # as if there were far more values
    assert keys[0] == keys[2] and len(set(keys.tolist())) == 3


@pytest.mark.parametrize("odd", ["\x0c", "\u2028", "\x1e", "\x85"])
def test_a_short_row_is_named_by_its_line_even_after_a_field_holding_a_character_splitlines_breaks_on(odd):
    # a CSV reader ends lines at CR and LF only; str.splitlines also at these, which moved every later row number
    rows = [GOOD.replace("Royal Free London", f"Royal Free{odd}London"), GOOD.replace(",9876.5", ""),
            GOOD.replace(",FTE,", ",HC,")]
    result = parse_staff_group(_csv(*rows), "odd.csv", as_at=AS_AT)
    assert [(q["row"], q["rule"]) for q in result.quarantined] == [(3, "column_count")]
    assert result.valid.column("_source_row").to_pylist() == [2, 4]


def test_texts_are_stored_and_judged_without_the_whitespace_around_them_so_a_spaced_copy_is_a_duplicate():
    spaced = GOOD.replace(",RAL,", ", RAL ,").replace(",Total,", ",Total\t,").replace(",FTE,", ", FTE,")
    result = parse_staff_group(_csv(spaced, GOOD.replace(",RAL,", ",RAN,")), "spaced.csv", as_at=AS_AT)
    assert result.rows_quarantined == 0
    row = result.valid.to_pylist()[0]
    assert (row["org_code"], row["staff_group"], row["data_type"]) == ("RAL", "Total", "FTE")
    copies = parse_staff_group(_csv(GOOD, spaced), "copies.csv", as_at=AS_AT)
    assert [(q["row"], q["rule"]) for q in copies.quarantined] == [(2, "duplicate_key"), (3, "duplicate_key")]
    assert ", RAL ," in copies.quarantined[1]["record"]  # the quarantine keeps the row as received
