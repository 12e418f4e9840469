"""A blank line in a CSV holds no row but keeps its place: a problem in a row after it is reported at the row a
person opening the file finds it at (the file's own row numbers), in every CSV parser. Until now the blank lines
were dropped before the rows were numbered, and each blank line shifted every later row's number by one."""
import csv
import io
from datetime import date

import pytest

from orchestration.feeds.finance.monthly import parse_finance_monthly
from orchestration.feeds.ods.layouts import parse_etr, parse_icb_names, parse_succ
from orchestration.feeds.report import as_record
from orchestration.feeds.workforce.sickness import parse_sickness
from simulator import finance
from simulator.england import build_england

AS_AT = date(2026, 12, 1)


def _lines(content: bytes) -> list[str]:
    return content.decode("utf-8").splitlines()


def _join(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def _with_blank_lines(lines: list[str], before: int, count: int = 2) -> list[str]:
    """`count` blank lines inserted before line `before` (1-based)."""
    return lines[:before - 1] + [""] * count + lines[before - 1:]


def _break_field(line: str, index: int, value: str) -> str:
    fields = next(csv.reader([line]))
    fields[index] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    return out.getvalue()


def _row_of(lines: list[str], text: str) -> int:
    return lines.index(text) + 1


def test_sickness_rows_after_blank_lines_keep_their_numbers(realdata):
    lines = _lines((realdata / "workforce/nhs_sickness_absence_2024-04.csv").read_bytes())
    bad = _break_field(lines[9], 5, "")                      # ORG_CODE missing
    duplicate = lines[20]
    lines = _with_blank_lines(lines[:9] + [bad] + lines[10:] + [duplicate], before=4)
    result = parse_sickness(_join(lines), "s.csv", as_at=AS_AT)
    assert result.rows == 286 and result.rows_quarantined == 3   # the blank lines are not rows
    missing_at = _row_of(lines, bad)
    duplicate_at = [i for i, line in enumerate(lines, 1) if line == duplicate]
    assert missing_at == 12 and duplicate_at == [23, len(lines)]
    assert {(q["row"], q["rule"]) for q in result.quarantined} == {
        (missing_at, "empty_key"), *((row, "duplicate_key") for row in duplicate_at)}
    assert {q["record"] for q in result.quarantined if q["rule"] == "duplicate_key"} == {duplicate}
    # the rows kept carry their own row in the file, too
    valid = result.valid.to_pylist()
    assert len(valid) == 283 and all(next(csv.reader([lines[r["_source_row"] - 1]]))[5] == r["org_code"]
                                     for r in valid)


def test_sickness_blank_lines_before_the_header_are_not_rows(realdata):
    lines = _lines((realdata / "workforce/nhs_sickness_absence_2024-04.csv").read_bytes())
    bad = _break_field(lines[3], 5, "")
    lines = ["", ""] + lines[:3] + [bad] + lines[4:]
    result = parse_sickness(_join(lines), "s.csv", as_at=AS_AT)
    assert result.accepted and result.rows == 285 and result.layout == "nhs-sickness-absence-2024"
    assert [q["row"] for q in result.quarantined] == [_row_of(lines, bad)] == [6]


def test_finance_monthly_rows_after_blank_lines_keep_their_numbers():
    rows = finance.finance_month_rows(build_england("small", 3), date(2026, 8, 31))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([finance.MONTHLY_COLUMNS, *rows, rows[0]])
    lines = out.getvalue().splitlines()
    lines = _with_blank_lines(lines, before=3, count=1)
    result = parse_finance_monthly(_join(lines), "r.csv", as_at=AS_AT)
    assert result.rows == len(rows) + 1
    # the first return and its copy at the end: their rows in the file, and their own records
    repeated = [i for i, line in enumerate(lines, 1) if line == lines[1]]
    assert repeated == [2, len(lines)]
    assert sorted(q["row"] for q in result.quarantined) == repeated
    assert {q["record"] for q in result.quarantined} == {lines[1]}


def test_etr_rows_after_blank_lines_keep_their_numbers(realdata):
    lines = _lines((realdata / "ods/etr.csv").read_bytes())
    bad = _break_field(lines[30], 10, "2024-13-01")           # an open date that is no date
    lines = _with_blank_lines(lines[:30] + [bad] + lines[31:], before=10, count=3)
    result = parse_etr(_join(lines), "etr.csv")
    assert result.rows == len([line for line in lines if line])
    assert [q["row"] for q in result.quarantined] == [_row_of(lines, bad)] == [34]


def test_succ_rows_after_blank_lines_keep_their_numbers(realdata):
    lines = _lines((realdata / "ods/succ_2026_excerpt.csv").read_bytes())
    duplicate = lines[5]
    lines = _with_blank_lines(lines + [duplicate], before=3)
    result = parse_succ(_join(lines), "succ.csv")
    assert result.rows == len([line for line in lines if line])
    repeated = [i for i, line in enumerate(lines, 1) if line == duplicate]
    assert repeated == [8, len(lines)]
    assert sorted(q["row"] for q in result.quarantined) == repeated
    assert {q["record"] for q in result.quarantined} == {as_record(next(csv.reader([duplicate])))}


@pytest.mark.parametrize("blank_before_header", [0, 2])
def test_icb_names_rows_after_blank_lines_keep_their_numbers(realdata, blank_before_header):
    lines = _lines((realdata / "ods/icb_names_codes_dec_2024.csv").read_bytes())
    duplicate = lines[4]
    lines = [""] * blank_before_header + _with_blank_lines(lines + [duplicate], before=3)
    result = parse_icb_names(_join(lines), "icb.csv")
    assert result.rows_quarantined == 2
    repeated = [i for i, line in enumerate(lines, 1) if line == duplicate]
    assert repeated == [7 + blank_before_header, len(lines)]
    assert sorted({q["row"] for q in result.quarantined}) == repeated
    assert result.rows == 43
