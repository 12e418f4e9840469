"""Parsers for the ODS reference files (FEEDS.md §1): etr.csv, succ.csv and the ONS ICB names file.

Each parser detects and names the layout it found, refuses an unknown one, and quarantines bad rows
with the reason (file, row, column) instead of dropping them.
"""
from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime

import pyarrow as pa

from orchestration.feeds.report import Issue, ParseResult, csv_records, decode_text, display_name

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


def _quarantine(result: ParseResult, row: int, record: list[str], problems: list[Issue]) -> None:
    result.issues.extend(problems)
    result.quarantined.append({
        "row": row,
        "reason": "; ".join(f"column {p.column}: {p.message}" if p.column else p.message for p in problems),
        "record": ",".join(record),
    })


def _duplicates(rows_by_key: dict[str, list[int]], result: ParseResult, column: str, what: str) -> set[int]:
    """Every row of a duplicated key is quarantined: which copy is right cannot be known."""
    bad: set[int] = set()
    for key, rows in rows_by_key.items():
        if len(rows) > 1:
            for r in rows:
                others = ", ".join(str(o) for o in rows if o != r)
                result.issues.append(Issue(f"duplicate {what} {key} (also at row {others})", row=r, column=column, value=key))
                bad.add(r)
    return bad


def _headerless_layout(records: list[list[str]], width: int, layout: str, result: ParseResult) -> bool:
    """A headerless file is recognised by its width; most rows must have it, else the layout is unknown."""
    if not records:
        result.issues.append(Issue("file is empty: no rows", whole_file=True))
        return False
    widths = [len(r) for r in records]
    matching = sum(1 for w in widths if w == width)
    if matching * 2 <= len(records):
        common = max(set(widths), key=widths.count)
        result.issues.append(Issue(
            f"unknown layout: expected {width} columns per row ({layout}), most rows have {common}", whole_file=True))
        return False
    if records[0] and records[0][0].strip().lower().replace(" ", "_") in {"organisation_code", "code", "org_code"}:
        result.issues.append(Issue(f"unknown layout: first row looks like a header, {layout} has none", row=1, whole_file=True))
        return False
    result.layout = layout
    return True


def _reject_all(result: ParseResult, records: list[list[str]], first_row: int) -> None:
    """A refused file still accounts for every row: all of them go to quarantine."""
    result.quarantined = [{"row": i, "reason": "file rejected", "record": ",".join(r)}
                          for i, r in enumerate(records, first_row)]


def _open_headerless(content: bytes, file: str, kind: str, width: int, layout: str):
    """Decode and split a headerless file; (result, None) when it cannot be read in this layout."""
    result = ParseResult(file=display_name(file), kind=kind, layout=None, valid=pa.table({}))
    text = decode_text(content, result.file, result.issues)
    records = [r for r in (csv_records(text) if text is not None else []) if r]  # a trailing blank line is not a row
    result.rows = len(records)
    if text is None or not _headerless_layout(records, width, layout, result):
        _reject_all(result, records, first_row=1)
        return result, None
    return result, records


def parse_etr(content: bytes, file: str = "etr.csv") -> ParseResult:
    result, records = _open_headerless(content, file, "ods-trusts", ETR_WIDTH, ETR_LAYOUT)
    if records is None:
        return result

    col = lambda p: _column_name(ETR_COLUMNS, p)  # noqa: E731
    parsed: dict[int, dict] = {}
    rows_by_code: dict[str, list[int]] = defaultdict(list)
    for row, record in enumerate(records, start=1):
        problems: list[Issue] = []
        if len(record) != ETR_WIDTH:
            problems.append(Issue(f"expected {ETR_WIDTH} columns, found {len(record)}", row=row))
            _quarantine(result, row, record, problems)
            continue
        value = {name: record[p - 1].strip() for p, name in ETR_COLUMNS.items()}
        code = value["organisation_code"]
        if not ORG_CODE.match(code):
            problems.append(Issue(f"organisation code {code!r} is not 3–6 upper-case letters or digits", row, col(1), code))
        if not value["name"]:
            problems.append(Issue("name is empty", row, col(2)))
        if value["national_grouping"] and not REGION_CODE.match(value["national_grouping"]):
            problems.append(Issue(f"national grouping {value['national_grouping']!r} is not a region code like Y56", row, col(3), value["national_grouping"]))
        icb = value["high_level_health_geography"]
        if icb not in NO_ICB_MARKERS and not ICB_CODE.match(icb):
            problems.append(Issue(f"high level health geography {icb!r} is not an ICB code like QYG", row, col(4), icb))
        try:
            value["open_date"] = _date(value["open_date"])
        except ValueError:
            problems.append(Issue(f"open date {value['open_date']!r} is not a YYYYMMDD date", row, col(11), value["open_date"]))
        if value["close_date"]:
            try:
                value["close_date"] = _date(value["close_date"])
            except ValueError:
                problems.append(Issue(f"close date {value['close_date']!r} is not a YYYYMMDD date", row, col(12), value["close_date"]))
        else:
            value["close_date"] = None
        if not problems and value["close_date"] and value["close_date"] < value["open_date"]:
            problems.append(Issue(f"close date {value['close_date']} is before open date {value['open_date']}", row, col(12)))
        if problems:
            _quarantine(result, row, record, problems)
            continue
        value["high_level_health_geography"] = None if icb in NO_ICB_MARKERS else icb
        value["national_grouping"] = value["national_grouping"] or None
        parsed[row] = value
        rows_by_code[code].append(row)

    for row in sorted(_duplicates(rows_by_code, result, col(1), "organisation code")):
        record = records[row - 1]
        del parsed[row]
        result.quarantined.append({"row": row, "reason": f"column {col(1)}: duplicate organisation code", "record": ",".join(record)})

    result.quarantined.sort(key=lambda q: q["row"])
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
            row=r["_source_row"], column=_column_name(ETR_COLUMNS, 4), severity="warning"))
    result.notes = {
        "open": len(open_rows),
        "closed": len(rows) - len(open_rows),
        "open_with_icb": len(open_rows) - len(without_icb),
        "open_without_icb": [{"code": r["organisation_code"], "name": r["name"]} for r in without_icb],
        "icbs_referenced_by_open_trusts": len({r["high_level_health_geography"] for r in open_rows} - {None}),
    }


def check_trust_icbs(result: ParseResult, icbs: ParseResult) -> None:
    """Cross-check: every open trust's ICB must be in the ICB names file (an error), closed ones a warning."""
    known = set(icbs.valid.column("icb_ods_code").to_pylist()) if icbs.rows_valid else set()
    unknown_open = 0
    for r in result.valid.to_pylist():
        icb = r["high_level_health_geography"]
        if icb is None or icb in known:
            continue
        is_open = r["close_date"] is None
        unknown_open += is_open
        result.issues.append(Issue(
            f"ICB {icb} of {'open' if is_open else 'closed'} trust {r['organisation_code']} is not in {icbs.file}",
            row=r["_source_row"], column=_column_name(ETR_COLUMNS, 4), value=icb,
            severity="error" if is_open else "warning"))
    mapped = {r["high_level_health_geography"] for r in result.valid.to_pylist()
              if r["close_date"] is None and r["high_level_health_geography"] in known}
    result.notes["icb_names_file"] = icbs.file
    result.notes["open_trusts_with_unknown_icb"] = unknown_open
    result.notes["icbs_in_names_file"] = len(known)
    result.notes["icbs_with_open_trusts"] = len(mapped)


def parse_succ(content: bytes, file: str = "succ.csv") -> ParseResult:
    result, records = _open_headerless(content, file, "ods-successors", len(SUCC_COLUMNS), SUCC_LAYOUT)
    if records is None:
        return result

    col = lambda p: _column_name(SUCC_COLUMNS, p)  # noqa: E731
    parsed: dict[int, dict] = {}
    rows_by_old: dict[str, list[int]] = defaultdict(list)
    for row, record in enumerate(records, start=1):
        problems: list[Issue] = []
        if len(record) != len(SUCC_COLUMNS):
            problems.append(Issue(f"expected {len(SUCC_COLUMNS)} columns, found {len(record)}", row=row))
            _quarantine(result, row, record, problems)
            continue
        value = {name: record[p - 1].strip() for p, name in SUCC_COLUMNS.items()}
        for p in (1, 2):
            if not ORG_CODE.match(value[SUCC_COLUMNS[p]]):
                problems.append(Issue(f"{value[SUCC_COLUMNS[p]]!r} is not an organisation code", row, col(p), value[SUCC_COLUMNS[p]]))
        if value["old_code"] == value["new_code"]:
            problems.append(Issue("organisation succeeds itself", row, col(2), value["new_code"]))
        if value["reason"] not in SUCC_REASONS:
            problems.append(Issue(f"reason {value['reason']!r} is not one of {sorted(SUCC_REASONS)}", row, col(3), value["reason"]))
        try:
            value["effective_date"] = _date(value["effective_date"])
        except ValueError:
            problems.append(Issue(f"effective date {value['effective_date']!r} is not a YYYYMMDD date", row, col(4), value["effective_date"]))
        if value["indicator"] not in SUCC_INDICATORS:
            problems.append(Issue(f"indicator {value['indicator']!r} is not one of {sorted(SUCC_INDICATORS)}", row, col(5), value["indicator"]))
        if problems:
            _quarantine(result, row, record, problems)
            continue
        parsed[row] = value
        rows_by_old[value["old_code"]].append(row)

    for row in sorted(_duplicates(rows_by_old, result, col(1), "predecessor code")):
        del parsed[row]
        result.quarantined.append({"row": row, "reason": f"column {col(1)}: duplicate predecessor code (ambiguous successor)", "record": ",".join(records[row - 1])})

    for row in sorted(_cycle_rows(parsed)):
        result.issues.append(Issue("succession cycle: following successors returns to this organisation", row, col(2), parsed[row]["new_code"]))
        result.quarantined.append({"row": row, "reason": "succession cycle", "record": ",".join(records[row - 1])})
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
    file = display_name(file)
    result = ParseResult(file=file, kind="icb-names", layout=None, valid=pa.table({}))
    text = decode_text(content, file, result.issues)
    records = [r for r in (csv_records(text) if text is not None else []) if r]
    if not records:
        result.issues.append(Issue("file is empty: no header and no rows", whole_file=True))
        return result
    header, data = records[0], records[1:]
    result.rows = len(data)
    match = ICB_HEADER.match(",".join(h.strip() for h in header))
    if not match:
        result.issues.append(Issue(f"unknown layout: header {header!r}; expected ICByyCD,ICByyCDH,ICByyNM[,…]", row=1, whole_file=True))
        _reject_all(result, data, first_row=2)
        return result
    year = match.group(1)
    result.layout = f"ons-icb-names-20{year}"
    names = {h.strip(): i for i, h in enumerate(header)}
    ons_col, ods_col, name_col = f"ICB{year}CD", f"ICB{year}CDH", f"ICB{year}NM"

    parsed: dict[int, dict] = {}
    rows_by_code: dict[str, list[int]] = defaultdict(list)
    for row, record in enumerate(data, start=2):
        problems: list[Issue] = []
        if len(record) != len(header):
            problems.append(Issue(f"expected {len(header)} columns, found {len(record)}", row=row))
            _quarantine(result, row, record, problems)
            continue
        ons, ods, name = (record[names[c]].strip() for c in (ons_col, ods_col, name_col))
        if not ONS_ICB_CODE.match(ons):
            problems.append(Issue(f"{ons!r} is not an ONS ICB code like E54000008", row, ons_col, ons))
        if not ICB_CODE.match(ods):
            problems.append(Issue(f"{ods!r} is not an ODS ICB code like QYG", row, ods_col, ods))
        if not name:
            problems.append(Issue("name is empty", row, name_col))
        if problems:
            _quarantine(result, row, record, problems)
            continue
        parsed[row] = {"icb_ons_code": ons, "icb_ods_code": ods, "icb_name": name}
        rows_by_code[ods].append(row)
    for row in sorted(_duplicates(rows_by_code, result, ods_col, "ICB code")):
        del parsed[row]
        result.quarantined.append({"row": row, "reason": f"column {ods_col}: duplicate ICB code", "record": ",".join(data[row - 2])})
    result.quarantined.sort(key=lambda q: q["row"])
    rows = [dict(v, _source_row=r) for r, v in sorted(parsed.items())]
    result.valid = _table(rows, {"icb_ons_code": pa.string(), "icb_ods_code": pa.string(),
                                 "icb_name": pa.string(), "_source_row": pa.int64()})
    result.notes = {"icbs": len(rows)}
    return result


def _table(rows: list[dict], schema: dict[str, pa.DataType]) -> pa.Table:
    return pa.table({name: pa.array([r[name] for r in rows], type_) for name, type_ in schema.items()})
