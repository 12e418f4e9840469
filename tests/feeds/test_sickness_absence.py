"""NHS Sickness Absence Rates: the real files, their quirks, and what is refused."""
import json
import subprocess
import sys
from datetime import date

import pytest

from orchestration.feeds.workforce.sickness import parse_sickness

AS_AT = date(2026, 12, 1)  # the day the files are checked as at (no parser reads the clock)

HEADER = ("DATE,NHSE_REGION_CODE,NHSE_REGION_NAME,ICS_CODE,ICS_NAME,ORG_CODE,ORG_NAME,ORG_TYPE,FTE_DAYS_LOST,"
          "FTE_DAYS_AVAILABLE,SICKNESS_ABSENCE_RATE_PERCENT")
ICB = 'QOX,"NHS Bath and North East Somerset, Swindon and Wiltshire Integrated Care Board"'


def row(code="RA9", lost="73956.96734999999", available="1500000", rate="4.93", date="30/04/2024",
        org_type="Acute") -> str:
    return f"{date},Y58,South West,{ICB},{code},EXAMPLE NHS TRUST,{org_type},{lost},{available},{rate}"


def sickness(*rows, eol="\r\n") -> bytes:
    return eol.join([HEADER, *rows]).encode() + eol.encode()


@pytest.mark.parametrize("month", ["04", "05", "06"])
def test_real_files_pass_check_feed_with_every_row_and_rate_checked(realdata, month):
    path = realdata / f"workforce/nhs_sickness_absence_2024-{month}.csv"
    proc = subprocess.run([sys.executable, "-m", "orchestration.cli", "check-feed", "sickness-absence", str(path)],
                          capture_output=True, text=True, timeout=120)
    report = json.loads(proc.stdout)
    assert proc.returncode == 0 and report["accepted"] and report["layout"] == "nhs-sickness-absence-2024"
    assert report["rows"] == report["rows_valid"] == 285 and report["rows_quarantined"] == 0
    assert report["notes"]["rates_cross_checked"] == 285
    assert report["notes"]["national_bodies_qzz"] == 13
    assert report["notes"]["organisations_by_type"]["Integrated Care Board"] == 42
    assert report["notes"]["months"] == [f"2024-{month}-{'31' if month == '05' else '30'}"]


def test_real_file_reads_the_same_with_crlf_as_published(realdata):
    lf = (realdata / "workforce/nhs_sickness_absence_2024-04.csv").read_bytes()
    crlf = lf.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    assert parse_sickness(crlf, as_at=AS_AT).valid.equals(parse_sickness(lf, as_at=AS_AT).valid)


def test_a_complete_last_row_without_a_final_line_end_is_not_truncated():
    result = parse_sickness(sickness(row("RA1"), row("RA2")).rstrip(b"\r\n"), as_at=AS_AT)
    assert result.accepted and result.rows_valid == 2 and result.errors == []
    cut = parse_sickness(sickness(row("RA1"), row("RA2")).rstrip(b"\r\n")[:-6], as_at=AS_AT)
    assert not cut.accepted and [q["rule"] for q in cut.quarantined] == ["truncated_record"]
    assert [e.rule for e in cut.file_errors] == ["truncated_file"]


def test_quoted_commas_float_noise_and_types():
    result = parse_sickness(sickness(row()), as_at=AS_AT)
    [parsed] = result.valid.to_pylist()
    assert parsed["ics_name"] == "NHS Bath and North East Somerset, Swindon and Wiltshire Integrated Care Board"
    assert parsed["fte_days_lost"] == 73956.96734999999 and parsed["sickness_absence_rate_percent"] == 4.93
    assert str(parsed["month_end"]) == "2024-04-30"


def test_suppressed_values_are_null_with_a_reason_never_zero():
    result = parse_sickness(sickness(row("RA1", lost="*", rate="*"), row("RA2", available="..", rate=""), row("RA3")),
                            as_at=AS_AT)
    assert result.accepted and result.rows_valid == 3
    first, second, _ = result.valid.to_pylist()
    assert first["fte_days_lost"] is None and first["fte_days_lost_missing_reason"] == "suppressed (small numbers)"
    assert second["fte_days_available"] is None and second["fte_days_available_missing_reason"] == "not available"
    assert second["sickness_absence_rate_percent_missing_reason"] == "empty"
    assert result.notes["missing_markers"] == {"*": 2, "..": 1, "(empty)": 1}
    assert result.notes["rates_cross_checked"] == 1


def test_a_rate_that_does_not_match_is_quarantined_naming_row_and_column():
    result = parse_sickness(sickness(row("RA1"), row("RA2", lost="100", available="1000", rate="10.50")), as_at=AS_AT)
    [error] = result.errors
    assert (error.row, error.column) == (3, "SICKNESS_ABSENCE_RATE_PERCENT")
    assert "is not 100 × 100.0 / 1000.0" in error.message
    assert result.rows_quarantined == 1 and result.quarantined[0]["row"] == 3


@pytest.mark.parametrize("kwargs,column,needle", [
    ({"date": "2024-04-30"}, "DATE", "is not DD/MM/YYYY"),
    ({"lost": "n/a"}, "FTE_DAYS_LOST", "is not a number"),
    ({"available": "-5", "rate": "0"}, "FTE_DAYS_AVAILABLE", "is negative"),
    ({"code": ""}, "ORG_CODE", "empty"),
])
def test_bad_values_name_row_and_column(kwargs, column, needle):
    result = parse_sickness(sickness(row("RA1"), row(**{"code": "RA2", **kwargs})), as_at=AS_AT)
    assert any(e.row == 3 and e.column == column and needle in e.message for e in result.errors)
    assert result.rows == 2 == result.rows_valid + result.rows_quarantined


def test_quarantine_tolerance_is_one_percent():
    good = [row(f"R{i:02d}") for i in range(99)]
    one_bad = parse_sickness(sickness(*good, row("RZZ", date="bad")), as_at=AS_AT)
    assert one_bad.accepted and one_bad.rows_quarantined == 1  # 1 of 100
    two_bad = parse_sickness(sickness(*good, row("RZY", date="bad"), row("RZZ", date="bad")), as_at=AS_AT)
    assert not two_bad.accepted


def test_duplicates_and_renamed_headers_are_refused():
    dup = parse_sickness(sickness(row("RA1"), row("RA1")), as_at=AS_AT)
    assert dup.rows_quarantined == 2 and "duplicate organisation RA1" in dup.errors[0].message
    renamed = parse_sickness(sickness(row()).replace(b"ICS_CODE", b"ICB_CODE"), as_at=AS_AT)
    assert renamed.layout is None and not renamed.accepted and renamed.rows_quarantined == 1
    assert "missing ['ICS_CODE']" in renamed.file_errors[0].message and "unexpected ['ICB_CODE']" in renamed.file_errors[0].message
