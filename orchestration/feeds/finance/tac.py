"""Trust Accounts Consolidation (TAC) "All data" workbook (FEEDS.md §4a): one financial year, long format, £000.

The sheet is found by name (workbooks carry notes sheets first). Subcodes change between years: the per-year
mapping to measures lives in one place, the dbt seed `tac_subcodes.csv`; subcodes it does not know for the year
are reported (a warning), kept, and left for the mapping to decide.
"""
from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pyarrow as pa

from orchestration.feeds.missing import parse_number
from orchestration.feeds.reference import OdsTrusts
from orchestration.feeds.report import (Issue, ParseResult, detect_layout, display_name, future_date_problem,
                                        key_problem, open_workbook)

SHEET = "All data"
KEY_COLUMNS = ["WorkSheetName", "TableID", "MainCode", "RowNumber", "SubCode", "Organisation code", "Organisation name"]
LAYOUTS = {
    "tac-all-data-2014": [*KEY_COLUMNS, "Total"],
    "tac-all-data-2019": [*KEY_COLUMNS, "Value number"],  # the value column renamed
}
SUBCODES_SEED = Path(__file__).resolve().parents[3] / "dbt_project" / "seeds" / "tac_subcodes.csv"
YEAR = re.compile(r"(20\d\d)-(\d\d)")
TRUST_CODE = re.compile(r"^[A-Z0-9]{3}$")  # only trusts file these accounts
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


def parse_tac(content: bytes, file: str = "TAC.xlsx", reference: OdsTrusts | None = None,
              *, as_at: date) -> ParseResult:
    """With `reference` (ODS trusts), a code that is not a trust, or a trust closed before the financial year began,
    is quarantined: only trusts file these accounts. A year ending after `as_at` (the day of the check) is refused."""
    result = ParseResult(file=display_name(file), kind="tac", layout=None, valid=pa.table({}),
                         max_quarantined_share=MAX_QUARANTINED_SHARE)
    book = open_workbook(content, result, "an Excel workbook (.xlsx)")
    if book is None:
        return result
    if SHEET not in book.sheet_names:
        result.reject_file(Issue(f"no sheet named {SHEET!r}: it may have been renamed; the workbook has sheets "
                                 f"{book.sheet_names}", value=", ".join(book.sheet_names), rule="missing_sheet"))
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
        result.reject_file(Issue("no financial year (YYYY-YY) in a notes sheet or the file name",
                                 rule="no_financial_year"))
        return result
    year_start, year_end = date(int(year[:4]), 4, 1), date(int(year[:4]) + 1, 3, 31)
    year_problem = future_date_problem(year_end, 1, "financial year", year, as_at)
    if year_problem is not None:
        result.reject_file(year_problem)
        return result
    records = book.get_sheet_by_name(SHEET).to_python()
    header = [_text(h) for h in (records[0] if records else [])]
    layout, difference = detect_layout(header, LAYOUTS)
    if layout is None:
        result.reject_file(Issue(f"sheet {SHEET!r}: unknown layout: {difference}", row=1, rule="unknown_layout"))
        return result
    result.layout = layout
    value_column = header[-1]
    parsed: dict[int, dict] = {}
    by_key: dict[tuple, list[int]] = defaultdict(list)
    cells_of: dict[int, list[str]] = {}
    markers: Counter = Counter()
    for index, record in enumerate(records[1:], start=2):
        if all(v is None or _text(v) == "" for v in record):
            continue
        result.rows += 1
        cells = [_text(v) for v in record] + [""] * (len(header) - len(record))
        problems: list[Issue | None] = []
        raw_value = record[7] if len(record) > 7 else ""
        value, reason = (float(raw_value), None) if isinstance(raw_value, (int, float)) else (None, None)
        if not isinstance(raw_value, (int, float)):
            try:
                value, reason = parse_number(_text(raw_value))
            except ValueError:
                problems.append(Issue(f"{_text(raw_value)!r} is not a number or a missing-value marker", index,
                                      value_column, _text(raw_value), rule="not_a_number"))
        if reason:
            markers[_text(raw_value) or "(empty)"] += 1
        problems.append(key_problem(cells[4], index, "SubCode", "subcode"))
        problems.append(key_problem(cells[5], index, "Organisation code", "organisation code"))
        if problems[-1] is None and not TRUST_CODE.match(cells[5]):
            problems.append(Issue(f"organisation code {cells[5]!r} is not an NHS trust code (3 upper-case letters or "
                                  "digits)", index, "Organisation code", cells[5], rule="code_format"))
        elif problems[-1] is None and reference is not None:
            problems.append(reference.problem(cells[5], year_start, year_end, f"financial year {year}", index,
                                              "Organisation code", trusts_only=True))
        problems = [p for p in problems if p is not None]
        if problems:
            result.quarantine_row(index, cells, problems)
            continue
        cells_of[index] = cells
        by_key[(cells[5], cells[4], cells[2], cells[3])].append(index)
        parsed[index] = {"financial_year": year, "org_code": cells[5], "org_name": cells[6],
                         "worksheet_name": cells[0], "table_id": cells[1], "main_code": cells[2],
                         "row_number": cells[3], "subcode": cells[4], "value_gbp_thousands": value,
                         "value_missing_reason": reason, "_source_row": index}
    if result.rows == 0:
        result.reject_file(Issue(f"sheet {SHEET!r} has a header and no data rows", row=1, rule="header_only"))
        return result
    for row in result.quarantine_duplicates(by_key, "SubCode", "organisation, subcode, main code and row number",
                                            lambda r: cells_of[r], value_of=lambda key: key[1],
                                            label_of=lambda key: " / ".join(key)):
        del parsed[row]
    rows = [v for _, v in sorted(parsed.items())]
    result.valid = pa.table({name: pa.array([r[name] for r in rows], kind) for name, kind in SCHEMA.items()})
    known = known_subcodes().get(year, set())
    seen_codes = {r["subcode"] for r in rows}
    unmapped = sorted(seen_codes - known)
    missing = sorted(known - seen_codes)
    if missing:
        result.issues.append(Issue(f"subcodes mapped for {year} but absent from the file: {missing}",
                                   severity="warning", rule="mapped_subcode_absent"))
    result.notes = {"financial_year": year, "organisations": len({r["org_code"] for r in rows}),
                    "subcodes": len(seen_codes), "subcodes_not_in_mapping": unmapped, "missing_markers": dict(markers)}
    if reference is not None:
        result.notes["organisations_checked_against"] = reference.source
    return result
