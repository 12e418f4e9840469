"""Parsers for the ODS reference files (FEEDS.md §1): etr.csv, succ.csv and the ONS ICB names file.

Each parser detects and names the layout it found, refuses an unknown one, and quarantines bad rows
with the reason (file, row, column) instead of dropping them.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime

import pyarrow as pa

from orchestration.feeds.report import (Issue, ParseResult, display_name, drop_truncated, key_problem,
                                        first_row_at, read_csv_records, rows_in, zip_member)

# etr.csv: no header, 27 columns (1-based positions as published). Unnamed positions are always empty.
ETR_LAYOUT = "ods-etr-27"
ETR_COLUMNS = {
    1: "organisation_code", 2: "name", 3: "national_grouping", 4: "high_level_health_geography",
    5: "address_line_1", 6: "address_line_2", 7: "address_line_3", 8: "address_line_4", 9: "address_line_5",
    10: "postcode", 11: "open_date", 12: "close_date", 18: "contact_telephone_number",
    22: "amended_record_indicator", 24: "gor_code",
}
ETR_WIDTH = 27
SUCC_COLUMNS = {1: "old_code", 2: "new_code", 3: "reason", 4: "effective_date", 5: "indicator"}
SUCC_REASONS = {"F": "change of finance code", "O": "organisation type change", "R": "reconfiguration"}

# The valid rows of each file, typed.
ETR_SCHEMA = pa.schema([
    *((name, pa.date32() if name.endswith("_date") else pa.string()) for name in ETR_COLUMNS.values()),
    ("_source_row", pa.int64()),
])
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
    widths = [len(r) for r in records if r]   # a blank line is not a row
    matching = sum(1 for w in widths if w == width)
    if matching * 2 <= len(widths):
        common = max(set(widths), key=widths.count)
        result.reject_file(Issue(f"unknown layout: expected {width} columns per row ({layout}), most rows have "
                                 f"{common}", rule="unknown_layout"), records)
        return False
    first = records[first_row_at(records)]
    if first[0].strip().lower().replace(" ", "_") in {"organisation_code", "code", "org_code", "old_code"}:
        result.reject_file(Issue(f"unknown layout: first row looks like a header, {layout} has none",
                                 row=first_row_at(records) + 1,
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
    text, records = read  # a blank line is an empty record, not a row: the rows after it keep their numbers
    result.rows = rows_in(records)
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
        if not record:   # a blank line: no row
            continue
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
    """succ.csv in either published layout (SUCC_LAYOUTS), named in `result.layout`, normalised to one schema:
    reason NULL where the layout publishes none, `forward_succession` for the indicator both layouts share. An
    organisation may have several successors (a split): the key is the pair of codes, not the predecessor."""
    result, records = _open_headerless(content, file, "ods-successors", len(SUCC_COLUMNS), SUCC_FAMILY, "succ.csv")
    if records is None:
        return result
    layout = _succ_layout(records, result)
    if layout is None:
        return result

    col = lambda p: _column_name(SUCC_COLUMNS, p)  # noqa: E731
    parsed: dict[int, dict] = {}
    rows_by_pair: dict[tuple[str, str], list[int]] = defaultdict(list)
    for row, record in enumerate(records, start=1):
        if not record:   # a blank line: no row
            continue
        problems: list[Issue | None] = []
        if len(record) != len(SUCC_COLUMNS):
            result.quarantine_row(row, record, [Issue(f"expected {len(SUCC_COLUMNS)} columns, found {len(record)}",
                                                      row=row, rule="column_count")])
            continue
        value = {name: record[p - 1].strip() for p, name in SUCC_COLUMNS.items()}
        problems.append(_code_problem(value["old_code"], row, col(1), "old code"))
        problems.append(_code_problem(value["new_code"], row, col(2), "new code"))
        if value["old_code"] and value["old_code"] == value["new_code"]:
            problems.append(Issue("organisation succeeds itself", row, col(2), value["new_code"],
                                  rule="self_succession"))
        problems.append(layout.reason_problem(value["reason"], row, col(3)))
        # ODS announces successions ahead: an effective date after today is real here, not an error
        value["effective_date"], problem = _date_problem(value["effective_date"], row, col(4), "effective date")
        problems.append(problem)
        problems.append(layout.indicator_problem(value["indicator"], row, col(5)))
        problems = [p for p in problems if p is not None]
        if problems:
            result.quarantine_row(row, record, problems)
            continue
        parsed[row] = {"old_code": value["old_code"], "new_code": value["new_code"],
                       "reason": value["reason"] or None, "effective_date": value["effective_date"],
                       "forward_succession": layout.forward_succession[value["indicator"]]}
        rows_by_pair[(value["old_code"], value["new_code"])].append(row)

    for row in result.quarantine_duplicates(rows_by_pair, col(2), "succession", lambda r: records[r - 1],
                                            value_of=lambda pair: pair[1],
                                            label_of=lambda pair: f"{pair[0]} → {pair[1]}"):
        del parsed[row]

    for row in sorted(_cycle_rows(parsed)):
        result.quarantine_row(row, records[row - 1], [Issue(
            "succession cycle: following successors returns to this organisation", row, col(2),
            parsed[row]["new_code"], rule="succession_cycle")])
        del parsed[row]

    result.quarantined.sort(key=lambda q: q["row"])
    rows = [dict(v, _source_row=r) for r, v in sorted(parsed.items())]
    result.valid = _table(rows, SUCC_SCHEMA)
    result.notes = _succ_notes(layout, rows)
    return result


@dataclass(frozen=True)
class SuccLayout:
    """One published layout of succ.csv: the same five columns, told apart by what the reason and indicator hold."""
    name: str
    reasons: dict[str, str]              # reason codes published (empty: the column is published empty)
    forward_succession: dict[str, bool]  # indicator value → the successor has itself been succeeded

    def describe(self) -> str:
        reasons = "/".join(self.reasons) if self.reasons else "empty"
        return f"{self.name} (reason {reasons}, indicator {'/'.join(self.forward_succession)})"

    def reason_problem(self, reason: str, row: int, column: str) -> Issue | None:
        if self.reasons and reason not in self.reasons:
            return Issue(f"reason {reason!r} is not one of {sorted(self.reasons)} ({self.name})", row, column, reason,
                         rule="unknown_category")
        if not self.reasons and reason:
            return Issue(f"reason {reason!r} where {self.name} publishes none (empty in every row)", row, column,
                         reason, rule="unknown_category")
        return None

    def indicator_problem(self, indicator: str, row: int, column: str) -> Issue | None:
        if indicator in self.forward_succession:
            return None
        return Issue(f"indicator {indicator!r} is not one of {sorted(self.forward_succession)} ({self.name})", row,
                     column, indicator, rule="unknown_category")


SUCC_FAMILY = "ods-succ-5"
SUCC_LAYOUTS = (
    # older releases, and the tools that read them: F change of finance code, O organisation type change,
    # R reconfiguration; indicator F further succession (follow the chain again), X closed (the chain ends)
    SuccLayout("ods-succ-5-2019", SUCC_REASONS, {"F": True, "X": False}),
    # current releases (checked on a real 2026 file): reason empty in every row; indicator 1 where the successor has
    # itself been succeeded, 0 where not
    SuccLayout("ods-succ-5-2026", {}, {"1": True, "0": False}),
)
SUCC_SCHEMA = {"old_code": pa.string(), "new_code": pa.string(), "reason": pa.string(),
               "effective_date": pa.date32(), "forward_succession": pa.bool_(), "_source_row": pa.int64()}


def _succ_layout(records: list[list[str]], result: ParseResult) -> SuccLayout | None:
    """The layout most rows' reason and indicator fit (rows that fit another are then quarantined by name); the
    file is refused when no row fits either."""
    def fits(layout: SuccLayout, record: list[str]) -> int:
        reason, indicator = record[2].strip(), record[4].strip()
        return (indicator in layout.forward_succession) + (reason in layout.reasons if layout.reasons else not reason)

    rows = [r for r in records if len(r) == len(SUCC_COLUMNS)]
    scores = [sum(fits(layout, r) for r in rows) for layout in SUCC_LAYOUTS]
    layout = SUCC_LAYOUTS[scores.index(max(scores))]
    if not any(r[4].strip() in layout.forward_succession for r in rows):
        found = sorted({r[4].strip() for r in rows})[:10]
        result.layout = None
        result.reject_file(Issue(f"unknown layout: indicator values {found} fit neither "
                                 f"{' nor '.join(l.describe() for l in SUCC_LAYOUTS)}", column=_column_name(
                                     SUCC_COLUMNS, 5), rule="unknown_layout"), records)
        return None
    result.layout = layout.name
    return layout


def _succ_notes(layout: SuccLayout, rows: list[dict]) -> dict:
    """Counts a reader checks first. The indicator is what ODS says of the successor; the chain itself is followed
    from the rows, so where the two disagree (in an excerpt, the successor's own row may be absent) it is counted."""
    successors: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        successors[r["old_code"]].add(r["new_code"])
    return {
        "layout": layout.describe(),
        "successions": len(rows),
        "predecessors": len(successors),
        "splits": sum(1 for s in successors.values() if len(s) > 1),
        "chains": sum(1 for r in rows if r["new_code"] in successors),
        "forward_successions": sum(r["forward_succession"] for r in rows),
        "forward_succession_without_a_row_for_the_successor":
            sum(1 for r in rows if r["forward_succession"] and r["new_code"] not in successors),
        "successor_with_a_row_but_no_forward_succession":
            sum(1 for r in rows if not r["forward_succession"] and r["new_code"] in successors),
        "reasons": dict(sorted(Counter(r["reason"] or "(not published)" for r in rows).items())),
        "effective_dates": {"first": min(r["effective_date"] for r in rows).isoformat() if rows else None,
                            "last": max(r["effective_date"] for r in rows).isoformat() if rows else None},
    }


def _cycle_rows(parsed: dict[int, dict]) -> set[int]:
    """Rows whose succession lies on a cycle: both codes in one strongly connected component of the succession
    graph (an organisation may have several successors, so this is a graph, not a list of chains)."""
    graph: dict[str, list[str]] = defaultdict(list)
    for v in parsed.values():
        graph[v["old_code"]].append(v["new_code"])
    component = _strongly_connected(graph)
    return {row for row, v in parsed.items()
            if component.get(v["old_code"]) is not None and component.get(v["old_code"]) == component.get(v["new_code"])}


def _strongly_connected(graph: dict[str, list[str]]) -> dict[str, int]:
    """Tarjan's algorithm, iteratively (succession files hold thousands of rows): code → component number, for the
    codes in a component of more than one code."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: dict[str, int] = {}
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(graph.get(start, ())))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(graph.get(successor, ()))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    members = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        members.append(member)
                        if member == node:
                            break
                    if len(members) > 1:
                        components.update({m: index[node] for m in members})
    return components


def parse_icb_names(content: bytes, file: str = "icb_names_codes.csv") -> ParseResult:
    result = ParseResult(file=display_name(file), kind="icb-names", layout=None, valid=pa.table({}))
    content = zip_member(content, result, lambda name: name.lower().endswith(".csv"), "a .csv file")
    read = read_csv_records(content, result) if content is not None else None
    if read is None:
        return result
    text, records = read
    at = first_row_at(records)   # blank lines before the header are not rows either
    header, data, first = records[at], records[at + 1:], at + 2
    result.rows = rows_in(data)
    header = [h.strip().lstrip("\ufeff") for h in header]
    match = ICB_HEADER.match(",".join(header))
    if not match:
        year = next((m.group(1) for m in map(re.compile(r"^ICB(\d{2})").match, header) if m), "yy")
        expected = [f"ICB{year}CD", f"ICB{year}CDH", f"ICB{year}NM"]
        result.reject_file(Issue(
            f"unknown layout: header {header}; expected {','.join(expected)}[,…]: missing "
            f"{[c for c in expected if c not in header] or 'none'}, unexpected "
            f"{[c for c in header if c not in expected and c != 'ObjectId'] or 'none'}", row=at + 1,
            rule="unknown_layout"), data, first_row=first)
        return result
    year = match.group(1)
    result.layout = f"ons-icb-names-20{year}"
    if not result.rows:
        result.reject_file(Issue("a header and no data rows", row=at + 1, rule="header_only"))
        return result
    data = drop_truncated(text, data, len(header), result, first_row=first)
    names = {h.strip(): i for i, h in enumerate(header)}
    ons_col, ods_col, name_col = f"ICB{year}CD", f"ICB{year}CDH", f"ICB{year}NM"

    parsed: dict[int, dict] = {}
    rows_by: dict[str, dict[str, list[int]]] = {key: defaultdict(list) for key in ("ods", "ons", "name")}
    for row, record in enumerate(data, start=first):
        if not record:   # a blank line: no row
            continue
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
        if not name.endswith("Integrated Care Board"):  # a caution: the row is kept
            result.issues.append(Issue(f"name {name!r} does not end 'Integrated Care Board'", row, name_col, name,
                                       "warning", rule="unexpected_name"))
        parsed[row] = {"icb_ons_code": ons, "icb_ods_code": ods, "icb_name": name}
        for key, code in (("ods", ods), ("ons", ons), ("name", name)):
            rows_by[key][code].append(row)
    # each of the three identifies one ICB: a repeated one makes every row holding it doubtful (each row quarantined
    # once, with every key it repeats)
    repeated: dict[int, list[Issue]] = defaultdict(list)
    for key, column, what in (("ods", ods_col, "ICB code"), ("ons", ons_col, "ONS ICB code"),
                              ("name", name_col, "ICB name")):
        for value, rows in rows_by[key].items():
            for row in rows if len(rows) > 1 else ():
                others = ", ".join(str(r) for r in rows if r != row)
                repeated[row].append(Issue(f"duplicate {what} {value} (also at row {others})", row, column, value,
                                           rule="duplicate_key"))
    for row in sorted(repeated):
        result.quarantine_row(row, data[row - first], repeated[row])
        del parsed[row]
    result.quarantined.sort(key=lambda q: q["row"])
    rows = [dict(v, _source_row=r) for r, v in sorted(parsed.items())]
    result.valid = _table(rows, {"icb_ons_code": pa.string(), "icb_ods_code": pa.string(),
                                 "icb_name": pa.string(), "_source_row": pa.int64()})
    result.notes = {"icbs": len(rows)}
    return result


def _table(rows: list[dict], schema: dict[str, pa.DataType]) -> pa.Table:
    return pa.table({name: pa.array([r[name] for r in rows], type_) for name, type_ in schema.items()})
