"""Trust Accounts Consolidation (TAC) "All data" workbook (FEEDS.md §4a): one financial year, long format, £000.

The sheet is found by name (workbooks carry notes sheets first). Subcodes change between years: the per-year
mapping to measures lives in one place, the dbt seed `tac_subcodes.csv`; subcodes it does not know for the year
are reported (a warning), kept, and left for the mapping to decide.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path

import pyarrow as pa

from orchestration.feeds.missing import parse_number
from orchestration.feeds.report import Issue, ParseResult, display_name

SHEET = "All data"
KEY_COLUMNS = ["WorkSheetName", "TableID", "MainCode", "RowNumber", "SubCode", "Organisation code", "Organisation name"]
LAYOUTS = {
    "tac-all-data-2014": [*KEY_COLUMNS, "Total"],
    "tac-all-data-2019": [*KEY_COLUMNS, "Value number"],  # the value column renamed
}
SUBCODES_SEED = Path(__file__).resolve().parents[3] / "dbt_project" / "seeds" / "tac_subcodes.csv"
YEAR = re.compile(r"(20\d\d)-(\d\d)")
MAX_QUARANTINED_SHARE = 0.001
SCHEMA = {
    "financial_year": pa.string(), "org_code": pa.string(), "org_name": pa.string(), "worksheet_name": pa.string(),
    "table_id": pa.string(), "main_code": pa.string(), "row_number": pa.string(), "subcode": pa.string(),
    "value_gbp_thousands": pa.float64(), "value_missing_reason": pa.string(), "_source_row": pa.int64(),
}


def known_subcodes() -> dict[str, set[str]]:
    with open(SUBCODES_SEED, newline="") as f:
        mapping: dict[str, set[str]] = {}
        for row in csv.DictReader(f):
            mapping.setdefault(row["financial_year"], set()).add(row["subcode"])
    return mapping


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def parse_tac(content: bytes, file: str = "TAC.xlsx") -> ParseResult:
    from python_calamine import CalamineWorkbook

    result = ParseResult(file=display_name(file), kind="tac", layout=None, valid=pa.table({}),
                         max_quarantined_share=MAX_QUARANTINED_SHARE)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    except Exception as exc:  # calamine raises its own error types for what is not a workbook
        result.issues.append(Issue(f"not an Excel workbook ({exc})", whole_file=True))
        return result
    if SHEET not in book.sheet_names:
        result.issues.append(Issue(f"no sheet named {SHEET!r}; the workbook has {book.sheet_names}", whole_file=True))
        return result
    # the financial year: stated in a notes sheet, else in the file name
    year = None
    for name in book.sheet_names:
        if name != SHEET:
            for row in book.get_sheet_by_name(name).to_python()[:20]:
                match = YEAR.search(" ".join(_text(v) for v in row))
                year = year or (match and match.group(0))
    year = year or (YEAR.search(result.file) and YEAR.search(result.file).group(0))
    if not year:
        result.issues.append(Issue("no financial year (YYYY-YY) in a notes sheet or the file name", whole_file=True))
        return result
    records = book.get_sheet_by_name(SHEET).to_python()
    header = [_text(h) for h in (records[0] if records else [])]
    layout = next((n for n, cols in LAYOUTS.items() if header == cols), None)
    if layout is None:
        name, cols = max(LAYOUTS.items(), key=lambda kv: len(set(kv[1]) & set(header)))
        result.issues.append(Issue(f"unknown layout (closest {name}: missing {[c for c in cols if c not in header] or 'none'}, "
                                   f"unexpected {[c for c in header if c not in cols] or 'none'})", row=1,
                                   whole_file=True))
        return result
    result.layout = layout
    value_column = header[-1]
    rows, seen, markers = [], {}, Counter()
    for index, record in enumerate(records[1:], start=2):
        if all(v is None or _text(v) == "" for v in record):
            continue
        result.rows += 1
        cells = [_text(v) for v in record] + [""] * (len(header) - len(record))
        problems = []
        raw_value = record[7] if len(record) > 7 else ""
        value, reason = (float(raw_value), None) if isinstance(raw_value, (int, float)) else (None, None)
        if not isinstance(raw_value, (int, float)):
            try:
                value, reason = parse_number(_text(raw_value))
            except ValueError:
                problems.append(Issue(f"{_text(raw_value)!r} is not a number or a missing-value marker", index,
                                      value_column, _text(raw_value)))
        if reason:
            markers[_text(raw_value) or "(empty)"] += 1
        for column in ("SubCode", "Organisation code"):
            if not cells[header.index(column)]:
                problems.append(Issue(f"{column} is empty", index, column))
        key = (cells[5], cells[4], cells[2], cells[3])
        if not problems and key in seen:
            problems.append(Issue(f"duplicate organisation and subcode (also row {seen[key]})", index, "SubCode", cells[4]))
        if problems:
            result.issues.extend(problems)
            result.quarantined.append({"row": index, "record": ",".join(cells), "reason": "; ".join(
                f"column {p.column}: {p.message}" for p in problems)})
            continue
        seen[key] = index
        rows.append({"financial_year": year, "org_code": cells[5], "org_name": cells[6], "worksheet_name": cells[0],
                     "table_id": cells[1], "main_code": cells[2], "row_number": cells[3], "subcode": cells[4],
                     "value_gbp_thousands": value, "value_missing_reason": reason, "_source_row": index})
    result.valid = pa.table({name: pa.array([r[name] for r in rows], kind) for name, kind in SCHEMA.items()})
    known = known_subcodes().get(year, set())
    seen_codes = {r["subcode"] for r in rows}
    unmapped = sorted(seen_codes - known)
    missing = sorted(known - seen_codes)
    if missing:
        result.issues.append(Issue(f"subcodes mapped for {year} but absent from the file: {missing}", severity="warning"))
    result.notes = {"financial_year": year, "organisations": len({r["org_code"] for r in rows}),
                    "subcodes": len(seen_codes), "subcodes_not_in_mapping": unmapped, "missing_markers": dict(markers)}
    return result
