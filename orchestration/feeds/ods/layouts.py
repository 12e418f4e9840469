"""Parsers for the ODS reference files (FEEDS.md §1): etr.csv, succ.csv and the ONS ICB names file.

Each parser detects and names the layout it found, refuses an unknown one, and quarantines bad rows
with the reason (file, row, column) instead of dropping them.
"""
from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime

import pyarrow as pa

from orchestration.feeds.report import (Issue, ParseResult, display_name, drop_truncated, key_problem,
                                        read_csv_records, zip_member)

# etr.csv: no header, 27 columns (1-based positions as published). Unnamed positions are always empty.
ETR_LAYOUT = "ods-etr-27"
ETR_COLUMNS = {
    1: "organisation_code", 2: "name", 3: "national_grouping", 4: "high_level_health_geography",
    5: "address_line_1", 6: "address_line_2", 7: "address_line_3", 8: "address_line_4", 9: "address_line_5",
    10: "postcode", 11: "open_date", 12: "close_date", 18: "contact_telephone_number",
    22: "amended_record_indicator", 24: "gor_code",
}
ETR_WIDTH = 27
SUCC_LAYOUT = "ods-succ-5"
SUCC_COLUMNS = {1: "old_code", 2: "new_code", 3: "reason", 4: "effective_date", 5: "indicator"}
SUCC_REASONS = {"F": "change of finance code", "O": "organisation type change", "R": "reconfiguration"}
SUCC_INDICATORS = {"F": "further succession", "X": "closed"}

# The valid rows of each file, typed.
ETR_SCHEMA = pa.schema([
    *((name, pa.date32() if name.endswith("_date") else pa.string()) for name in ETR_COLUMNS.values()),
    ("_source_row", pa.int64()),
])
SUCC_SCHEMA = pa.schema([("old_code", pa.string()), ("new_code", pa.string()), ("reason", pa.string()),
                         ("effective_date", pa.date32()), ("indicator", pa.string()), ("_source_row", pa.int64())])
ICB_SCHEMA = pa.schema([("icb_ons_code", pa.string()), ("icb_ods_code", pa.string()), ("icb_name", pa.string()),
                        ("_source_row", pa.int64())])

ORG_CODE = re.compile(r"^[A-Z0-9]{3,6}$")
REGION_CODE = re.compile(r"^Y\d{2}$")
ICB_CODE = re.compile(r"^Q[A-Z0-9]{2}$")
ONS_ICB_CODE = re.compile(r"^E54\d{6}$")
ICB_HEADER = re.compile(r"^ICB(\d{2})CD,ICB\1CDH,ICB\1NM(,.*)?$")
# Older etr.csv files carry Q99 where a trust has no English ICB/STP (the Welsh trusts).
NO_ICB_MARKERS = {"", "Q99"}


def _date(value: str) -> date:
    if not re.fullmatch(r"\d{8}", value):
        raise ValueError
    return datetime.strptime(value, "%Y%m%d").date()


def _column_name(columns: dict[int, str], position: int) -> str:
    return f"{position} ({columns[position]})"


def _code_problem(value: str, row: int, column: str, what: str) -> Issue | None:
    problem = key_problem(value, row, column, what)
    if problem is None and not ORG_CODE.match(value):
        problem = Issue(f"{what} {value!r} is not 3–6 upper-case letters or digits", row, column, value,
                        rule="code_format")
    return problem


def _date_problem(value: str, row: int, column: str, what: str) -> tuple[date | None, Issue | None]:
    problem = key_problem(value, row, column, what)
    if problem is not None:
        return None, problem
    try:
        return _date(value), None
    except ValueError:
        return None, Issue(f"{what} {value!r} is not a YYYYMMDD date", row, column, value, rule="date_format")


def _headerless_layout(records: list[list[str]], width: int, layout: str, result: ParseResult) -> bool:
    """A headerless file is recognised by its width; most rows must have it, else the layout is unknown."""
    widths = [len(r) for r in records]
    matching = sum(1 for w in widths if w == width)
    if matching * 2 <= len(records):
        common = max(set(widths), key=widths.count)
        result.reject_file(Issue(f"unknown layout: expected {width} columns per row ({layout}), most rows have "
                                 f"{common}", rule="unknown_layout"), records)
        return False
    if records[0] and records[0][0].strip().lower().replace(" ", "_") in {"organisation_code", "code", "org_code",
                                                                             "old_code"}:
        result.reject_file(Issue(f"unknown layout: first row looks like a header, {layout} has none", row=1,
                                 rule="unknown_layout"), records)
        return False
    result.layout = layout
    return True


def _open_headerless(content: bytes, file: str, kind: str, width: int, layout: str, member: str):
    """Unzip (ODS publishes `etr.zip` holding `etr.csv`), decode and split a headerless file; (result, None) when it
    cannot be read in this layout. A last row cut short is quarantined here and the file refused."""
    result = ParseResult(file=display_name(file), kind=kind, layout=None, valid=pa.table({}))
    content = zip_member(content, result, lambda name: name.rsplit("/", 1)[-1].lower() == member, member)
    read = read_csv_records(content, result) if content is not None else None
    if read is None:
        return result, None
    text, records = read  # a trailing blank line is not a row
    result.rows = len(records)
    if not _headerless_layout(records, width, layout, result):
        return result, None
    return result, drop_truncated(text, records, width, result, first_row=1)


def parse_etr(content: bytes, file: str = "etr.csv") -> ParseResult:
    result, records = _open_headerless(content, file, "ods-trusts", ETR_WIDTH, ETR_LAYOUT, "etr.csv")
    if records is None:
        return result

    col = lambda p: _column_name(ETR_COLUMNS, p)  # noqa: E731
    parsed: dict[int, dict] = {}
    rows_by_code: dict[str, list[int]] = defaultdict(list)
    for row, record in enumerate(records, start=1):
        problems: list[Issue] = []
        if len(record) != ETR_WIDTH:
            problems.append(Issue(f"expected {ETR_WIDTH} columns, found {len(record)}", row=row, rule="column_count"))
            result.quarantine_row(row, record, problems)
            continue
        value = {name: record[p - 1].strip() for p, name in ETR_COLUMNS.items()}
        code = value["organisation_code"]
        problems.append(_code_problem(code, row, col(1), "organisation code"))
        if not value["name"]:
            problems.append(Issue("name is empty", row, col(2), rule="empty_value"))
        if value["national_grouping"] and not REGION_CODE.match(value["national_grouping"]):
            problems.append(Issue(f"national grouping {value['national_grouping']!r} is not a region code like Y56",
                                  row, col(3), value["national_grouping"], rule="code_format"))
        icb = value["high_level_health_geography"]
        if icb not in NO_ICB_MARKERS and not ICB_CODE.match(icb):
            problems.append(Issue(f"high level health geography {icb!r} is not an ICB code like QYG", row, col(4), icb,
                                  rule="code_format"))
        # ODS announces future openings and closures: dates after today are real here, not errors
        value["open_date"], problem = _date_problem(value["open_date"], row, col(11), "open date")
        problems.append(problem)
        if value["close_date"]:
            value["close_date"], problem = _date_problem(value["close_date"], row, col(12), "close date")
            problems.append(problem)
        else:
            value["close_date"] = None
        problems = [p for p in problems if p is not None]
        if not problems and value["close_date"] and value["close_date"] < value["open_date"]:
            problems.append(Issue(f"close date {value['close_date']} is before open date {value['open_date']}", row,
                                  col(12), record[11].strip(), rule="date_order"))
        if problems:
            result.quarantine_row(row, record, problems)
            continue
        value["high_level_health_geography"] = None if icb in NO_ICB_MARKERS else icb
        value["national_grouping"] = value["national_grouping"] or None
        parsed[row] = value
        rows_by_code[code].append(row)

    for row in result.quarantine_duplicates(rows_by_code, col(1), "organisation code", lambda r: records[r - 1]):
        del parsed[row]

    rows = [dict(v, _source_row=r) for r, v in sorted(parsed.items())]
    result.valid = _table(rows, {
        **{name: pa.string() for name in ETR_COLUMNS.values()},
        "open_date": pa.date32(), "close_date": pa.date32(), "_source_row": pa.int64(),
    })
    _etr_notes(result, rows)
    return result


def _etr_notes(result: ParseResult, rows: list[dict]) -> None:
    """Counts a reader checks first, and open trusts with no English ICB (the Welsh trusts): reported, kept."""
    open_rows = [r for r in rows if r["close_date"] is None]
    without_icb = [r for r in open_rows if r["high_level_health_geography"] is None]
    for r in without_icb:
        result.issues.append(Issue(
            f"open trust {r['organisation_code']} ({r['name']}) has no ICB: outside England's health economies; kept",
            row=r["_source_row"], column=_column_name(ETR_COLUMNS, 4), severity="warning", rule="no_icb"))
    result.notes = {
        "open": len(open_rows),
        "closed": len(rows) - len(open_rows),
        "open_with_icb": len(open_rows) - len(without_icb),
        "open_without_icb": [{"code": r["organisation_code"], "name": r["name"]} for r in without_icb],
        "icbs_referenced_by_open_trusts": len({r["high_level_health_geography"] for r in open_rows} - {None}),
    }


def check_trust_icbs(result: ParseResult, icb_codes: set[str], source: str) -> None:
    """Cross-check against the ICB names: an open trust whose ICB is not among them refuses the file (it would sit in
    no health economy); a closed one is a warning."""
    unknown_open = 0
    for r in result.valid.to_pylist():
        icb = r["high_level_health_geography"]
        if icb is None or icb in icb_codes:
            continue
        is_open = r["close_date"] is None
        unknown_open += is_open
        result.issues.append(Issue(
            f"ICB {icb} of {'open' if is_open else 'closed'} trust {r['organisation_code']} is not in {source}",
            row=r["_source_row"], column=_column_name(ETR_COLUMNS, 4), value=icb,
            severity="error" if is_open else "warning", whole_file=is_open, rule="unknown_icb"))
    mapped = {r["high_level_health_geography"] for r in result.valid.to_pylist()
              if r["close_date"] is None and r["high_level_health_geography"] in icb_codes}
    result.notes["icb_names_file"] = source
    result.notes["open_trusts_with_unknown_icb"] = unknown_open
    result.notes["icbs_in_names_file"] = len(icb_codes)
    result.notes["icbs_with_open_trusts"] = len(mapped)


def parse_succ(content: bytes, file: str = "succ.csv") -> ParseResult:
    result, records = _open_headerless(content, file, "ods-successors", len(SUCC_COLUMNS), SUCC_LAYOUT, "succ.csv")
    if records is None:
        return result

    col = lambda p: _column_name(SUCC_COLUMNS, p)  # noqa: E731
    parsed: dict[int, dict] = {}
    rows_by_old: dict[str, list[int]] = defaultdict(list)
    for row, record in enumerate(records, start=1):
        problems: list[Issue] = []
        if len(record) != len(SUCC_COLUMNS):
            problems.append(Issue(f"expected {len(SUCC_COLUMNS)} columns, found {len(record)}", row=row,
                                  rule="column_count"))
            result.quarantine_row(row, record, problems)
            continue
        value = {name: record[p - 1].strip() for p, name in SUCC_COLUMNS.items()}
        problems.append(_code_problem(value["old_code"], row, col(1), "old code"))
        problems.append(_code_problem(value["new_code"], row, col(2), "new code"))
        if value["old_code"] and value["old_code"] == value["new_code"]:
            problems.append(Issue("organisation succeeds itself", row, col(2), value["new_code"],
                                  rule="self_succession"))
        if value["reason"] not in SUCC_REASONS:
            problems.append(Issue(f"reason {value['reason']!r} is not one of {sorted(SUCC_REASONS)}", row, col(3),
                                  value["reason"], rule="unknown_category"))
        value["effective_date"], problem = _date_problem(value["effective_date"], row, col(4), "effective date")
        problems.append(problem)
        if value["indicator"] not in SUCC_INDICATORS:
            problems.append(Issue(f"indicator {value['indicator']!r} is not one of {sorted(SUCC_INDICATORS)}", row,
                                  col(5), value["indicator"], rule="unknown_category"))
        problems = [p for p in problems if p is not None]
        if problems:
            result.quarantine_row(row, record, problems)
            continue
        parsed[row] = value
        rows_by_old[value["old_code"]].append(row)

    for row in result.quarantine_duplicates(rows_by_old, col(1), "predecessor code",
                                            lambda r: records[r - 1]):
        del parsed[row]

    for row in sorted(_cycle_rows(parsed)):
        result.quarantine_row(row, records[row - 1], [Issue(
            "succession cycle: following successors returns to this organisation", row, col(2),
            parsed[row]["new_code"], rule="succession_cycle")])
        del parsed[row]

    result.quarantined.sort(key=lambda q: q["row"])
    rows = [dict(v, _source_row=r) for r, v in sorted(parsed.items())]
    result.valid = _table(rows, {**{n: pa.string() for n in SUCC_COLUMNS.values()},
                                 "effective_date": pa.date32(), "_source_row": pa.int64()})
    result.notes = {"successions": len(rows),
                    "chains": sum(1 for r in rows if r["new_code"] in {x["old_code"] for x in rows})}
    return result


def _cycle_rows(parsed: dict[int, dict]) -> set[int]:
    successor = {v["old_code"]: v["new_code"] for v in parsed.values()}
    row_of = {v["old_code"]: r for r, v in parsed.items()}
    in_cycle: set[str] = set()
    for start in successor:
        seen, code = [], start
        while code in successor and code not in seen:
            seen.append(code)
            code = successor[code]
        if code in seen:
            in_cycle.update(seen[seen.index(code):])
    return {row_of[c] for c in in_cycle}


def parse_icb_names(content: bytes, file: str = "icb_names_codes.csv") -> ParseResult:
    result = ParseResult(file=display_name(file), kind="icb-names", layout=None, valid=pa.table({}))
    content = zip_member(content, result, lambda name: name.lower().endswith(".csv"), "a .csv file")
    read = read_csv_records(content, result) if content is not None else None
    if read is None:
        return result
    text, records = read
    header, data = records[0], records[1:]
    result.rows = len(data)
    header = [h.strip().lstrip("\ufeff") for h in header]
    match = ICB_HEADER.match(",".join(header))
    if not match:
        year = next((m.group(1) for m in map(re.compile(r"^ICB(\d{2})").match, header) if m), "yy")
        expected = [f"ICB{year}CD", f"ICB{year}CDH", f"ICB{year}NM"]
        result.reject_file(Issue(
            f"unknown layout: header {header}; expected {','.join(expected)}[,…]: missing "
            f"{[c for c in expected if c not in header] or 'none'}, unexpected "
            f"{[c for c in header if c not in expected and c != 'ObjectId'] or 'none'}", row=1, rule="unknown_layout"),
            data, first_row=2)
        return result
    year = match.group(1)
    result.layout = f"ons-icb-names-20{year}"
    if not data:
        result.reject_file(Issue("a header and no data rows", row=1, rule="header_only"))
        return result
    data = drop_truncated(text, data, len(header), result, first_row=2)
    names = {h.strip(): i for i, h in enumerate(header)}
    ons_col, ods_col, name_col = f"ICB{year}CD", f"ICB{year}CDH", f"ICB{year}NM"

    parsed: dict[int, dict] = {}
    rows_by_code: dict[str, list[int]] = defaultdict(list)
    for row, record in enumerate(data, start=2):
        problems: list[Issue] = []
        if len(record) != len(header):
            problems.append(Issue(f"expected {len(header)} columns, found {len(record)}", row=row,
                                  rule="column_count"))
            result.quarantine_row(row, record, problems)
            continue
        ons, ods, name = (record[names[c]].strip() for c in (ons_col, ods_col, name_col))
        for code, column, pattern, example in ((ons, ons_col, ONS_ICB_CODE, "an ONS ICB code like E54000008"),
                                               (ods, ods_col, ICB_CODE, "an ODS ICB code like QYG")):
            problem = key_problem(code, row, column, "ICB code")
            if problem is None and not pattern.match(code):
                problem = Issue(f"{code!r} is not {example}", row, column, code, rule="code_format")
            if problem is not None:
                problems.append(problem)
        if not name:
            problems.append(Issue("name is empty", row, name_col, rule="empty_value"))
        if problems:
            result.quarantine_row(row, record, problems)
            continue
        parsed[row] = {"icb_ons_code": ons, "icb_ods_code": ods, "icb_name": name}
        rows_by_code[ods].append(row)
    for row in result.quarantine_duplicates(rows_by_code, ods_col, "ICB code", lambda r: data[r - 2]):
        del parsed[row]
    rows = [dict(v, _source_row=r) for r, v in sorted(parsed.items())]
    result.valid = _table(rows, {"icb_ons_code": pa.string(), "icb_ods_code": pa.string(),
                                 "icb_name": pa.string(), "_source_row": pa.int64()})
    result.notes = {"icbs": len(rows)}
    return result


def _table(rows: list[dict], schema: dict[str, pa.DataType]) -> pa.Table:
    return pa.table({name: pa.array([r[name] for r in rows], type_) for name, type_ in schema.items()})
