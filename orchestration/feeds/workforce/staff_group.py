"""NHS Workforce Statistics, "Staff Group and Organisation" CSV (FEEDS.md §3a): a cumulative monthly release.

A release holds every month back to the series' start — millions of rows — so it is read with pyarrow and checked
column-wise; only rows that fail become Python objects (for the quarantine). Grain: month × organisation × staff
group × data type (FTE or HC). Accepts the published zip (finding the Staff Group and Organisation member) or the CSV.
"""
from __future__ import annotations

import csv
import re
from datetime import date, timedelta
from typing import BinaryIO, Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from orchestration.feeds.missing import MISSING_MARKERS
from orchestration.feeds.reference import OdsTrusts
from orchestration.feeds.report import (UTF8_BOM, Issue, ParseResult, detect_layout, display_name, encoding_issue,
                                        zip_member_opener)

MEMBER_SUFFIX = "Staff Group and Organisation.csv"
LAYOUTS = {
    "nhs-workforce-staff-group-2019": [
        "Date", "NHSE_Region_Code", "NHSE_Region_Name", "ICS code", "ICS name", "Org Code", "Org Name",
        "Cluster Group", "Benchmark Group", "Staff Group Sort Order", "Staff Group", "Data Type", "Total"],
    # Simulated successor layout (health-economy columns renamed for ICBs, value column renamed): the real
    # late-2025 "HCHS" files differ too, in ways not yet confirmed; both are named so a surprise is refused.
    "nhs-workforce-staff-group-2026": [
        "Date", "NHSE_Region_Code", "NHSE_Region_Name", "ICB code", "ICB name", "Org Code", "Org Name",
        "Cluster Group", "Benchmark Group", "Staff Group Sort Order", "Staff Group", "Data Type", "FTE/HC"],
}
OUTPUT_NAMES = ["month_end", "region_code", "region_name", "icb_code", "icb_name", "org_code", "org_name",
                "cluster_group", "benchmark_group", "staff_group_sort_order", "staff_group", "data_type", "value"]
# The valid rows: the text columns dictionary-encoded (a few hundred distinct values in millions of rows).
SCHEMA = pa.schema([
    ("month_end", pa.date32()), *((n, pa.dictionary(pa.int32(), pa.string())) for n in OUTPUT_NAMES[1:-1]),
    ("value", pa.float64()), ("value_missing_reason", pa.string()), ("_source_row", pa.int64()),
])
DATA_TYPES = ["FTE", "HC"]
# The published staff groups, by their zero-padded sort order ("01" is the total of all the others).
STAFF_GROUPS = {
    "01": "Total", "02": "Professionally qualified clinical staff", "03": "HCHS doctors", "04": "Consultant",
    "05": "Associate Specialist", "06": "Specialty Doctor", "07": "Staff Grade", "08": "Specialty Registrar",
    "09": "Core Training", "10": "Foundation Doctor Year 2", "11": "Foundation Doctor Year 1",
    "12": "Hospital Practitioner / Clinical Assistant", "13": "Other and Local HCHS Doctor Grades",
    "14": "Nurses & health visitors", "15": "Midwives", "16": "Ambulance staff",
    "17": "Scientific, therapeutic & technical staff", "18": "Support to clinical staff",
    "19": "Support to doctors, nurses & midwives", "20": "Support to ambulance staff", "21": "Support to ST&T staff",
    "22": "NHS infrastructure support", "23": "Central functions", "24": "Hotel, property & estates",
    "25": "Senior managers", "26": "Managers", "27": "Other staff or those with unknown classification",
    "28": "Unknown classification",
}
NUMBER = r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"
CODED = pa.dictionary(pa.int32(), pa.string())
NOT_BLANK = re.compile(rb"\S")
# A statistical series: up to 0.1% of rows may be quarantined before the release is refused.
MAX_QUARANTINED_SHARE = 0.001
NOT_A_DAY = np.iinfo(np.int32).min  # a date text that is not a date, among the days since the epoch
EPOCH = date(1970, 1, 1)


def parse_staff_group(content: bytes, file: str = "staff_group.csv", reference: OdsTrusts | None = None,
                      *, as_at: date) -> ParseResult:
    """With `reference` (ODS trusts), rows of a trust for months after it closed or before it opened are quarantined
    (`OdsTrusts.problem`); codes ODS does not know as trusts are fine here (support bodies, hosted services). A month
    ending after `as_at` (the day of the check) is quarantined."""
    result = ParseResult(file=display_name(file), kind="workforce-staff-group", layout=None, valid=pa.table({}),
                         max_quarantined_share=MAX_QUARANTINED_SHARE)
    open_text = zip_member_opener(content, result, lambda name: name.endswith(MEMBER_SUFFIX), f"'…{MEMBER_SUFFIX}'")
    if open_text is None:
        return result
    head = _head(open_text)
    first_line = head[: head.find(b"\n") if b"\n" in head else len(head)]
    try:
        header = next(csv.reader([first_line.decode("utf-8").rstrip("\r")]), [])
    except UnicodeDecodeError:
        result.reject_file(encoding_issue(_text(open_text)))
        return result
    if not any(h.strip() for h in header):
        result.reject_file(Issue("no header row: the file is empty or starts with a blank line", row=1,
                                 rule="empty_file"))
        return result
    layout, difference = detect_layout(header, LAYOUTS)
    if layout is None:
        result.reject_file(Issue(f"unknown layout: {difference}", row=1, rule="unknown_layout"))
        return result
    result.layout = layout
    if not NOT_BLANK.search(head, len(first_line)):
        result.reject_file(Issue("a header and no data rows", row=1, rule="header_only"))
        return result

    read = _read_rows(open_text, result)
    if read is None:
        return result
    table, source_row = read
    table = table.append_column("_source_row", pa.array(source_row))
    result.rows = table.num_rows + len(result.quarantined)
    _validate(table, header, result, reference, as_at)
    return result


# The header line and the first data byte are almost always in the first block; a file where they are not (a header
# and only blank lines, a header of megabytes) is judged on its whole text.
HEAD_BYTES = 1 << 20


def _head(open_text: Callable[[], BinaryIO]) -> bytes:
    """The start of the text (without a BOM), enough to hold the header line and the first non-blank byte after it —
    all that the checks before the read look at."""
    with open_text() as stream:
        head = stream.read(HEAD_BYTES).removeprefix(UTF8_BOM)
    end = head.find(b"\n")
    if end >= 0 and NOT_BLANK.search(head, end):
        return head
    return _text(open_text)


def _text(open_text: Callable[[], BinaryIO]) -> bytes:
    """The whole text (without a BOM), for what must find a line by its number: hundreds of MB, so unpacked only
    where the file or a row is bad."""
    with open_text() as stream:
        return stream.read().removeprefix(UTF8_BOM)


def _read_rows(open_text: Callable[[], BinaryIO], result: ParseResult):
    """The rows (after the header) as a table, and each row's line number; None if the file cannot be read."""
    bad_lines: list[tuple[str, int]] = []
    try:
        # read from the stream, not from the unpacked text: inflating the zip (on a second core, zlib lets go of the
        # GIL) overlaps the parse instead of coming before it, and the text is never held whole
        with open_text() as stream:
            table = pacsv.read_csv(
                stream,
                read_options=pacsv.ReadOptions(skip_rows=1, column_names=OUTPUT_NAMES, block_size=4 << 20),
                parse_options=pacsv.ParseOptions(invalid_row_handler=lambda row: bad_lines.append(
                    (row.text, row.actual_columns)) or "skip"),
                # every column but the value repeats a few hundred distinct texts: dictionary-encoded, a release of
                # millions of rows stays a few hundred MB in memory
                convert_options=pacsv.ConvertOptions(column_types={n: (pa.string() if n == "value" else CODED)
                                                                   for n in OUTPUT_NAMES},
                                                     strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        data = _text(open_text)
        problem = encoding_issue(data)  # pyarrow says only "invalid UTF8 data": name the byte and its row
        if problem is None:
            cut = not data.endswith((b"\n", b"\r"))
            problem = Issue(f"cannot be read as CSV ({exc})" + ("; the last line has no line end: the file looks "
                                                               "truncated" if cut else ""),
                            rule="truncated_file" if cut else "unreadable_csv")
        result.reject_file(problem)
        return None

    # one dictionary per column across read blocks, and one chunk: each rule's answers, worked out once per distinct
    # text, then reach the rows in one take rather than one per read block (a release is ~150 blocks)
    table = table.unify_dictionaries().combine_chunks()
    source_row = np.arange(table.num_rows, dtype=np.int64) + 2
    if bad_lines:  # rows with the wrong number of fields: find their line numbers (rare, so a scan is fine)
        data = _text(open_text)
        lines = physical_lines(data.decode("utf-8", "replace"))
        wanted = {text: columns for text, columns in bad_lines}
        numbers = sorted(i for i, line in enumerate(lines, 1) if line in wanted)
        cut = not data.endswith((b"\n", b"\r"))
        for number in numbers:
            source_row[source_row >= number] += 1
            found = wanted[lines[number - 1]]
            if cut and number == len(lines):
                problem = Issue(f"the last row is cut short: {found} of {len(OUTPUT_NAMES)} fields and no line end",
                                row=number, value=lines[number - 1][-80:], rule="truncated_record")
                result.issues.append(Issue(f"the file looks truncated: its last line (row {number}) ends without a "
                                           "line end, part-way through a row; rows after it may be missing",
                                           row=number, whole_file=True, rule="truncated_file"))
            else:
                problem = Issue(f"expected {len(OUTPUT_NAMES)} columns, found {found}", row=number,
                                rule="column_count")
            result.quarantine_row(number, lines[number - 1], [problem])
    return table, source_row


LINE_END = re.compile(r"\r\n|\r|\n")


def physical_lines(text: str) -> list[str]:
    """The file's lines as a CSV reader counts them: ended by CR, LF or CRLF only. `str.splitlines` also ends a line
    at a form feed, a \\x1c-\\x1e separator, NEL or U+2028, which a field may hold: the row numbers after one would
    be wrong."""
    lines = LINE_END.split(text)
    return lines[:-1] if lines and lines[-1] == "" else lines


def _on_values(column: pa.ChunkedArray, function) -> pa.ChunkedArray:
    """Apply `function` to the distinct texts of a dictionary-encoded column, then spread the answers to rows."""
    return pa.chunked_array([pc.take(function(chunk.dictionary), chunk.indices) for chunk in column.chunks],
                            type=function(pa.array([], pa.string())).type)


# markers mean "not available" in a number; in a key or a date they leave the row without an identity
KEY_MARKERS = pa.array([m for m in MISSING_MARKERS if m])


def _key_checks(table: pa.Table, name: str, what: str) -> list[tuple]:
    return [
        ("empty_key", name, lambda v: f"{what} is empty", _on_values(table[name], lambda v: pc.equal(v, ""))),
        ("missing_marker_in_key", name,
         lambda v: f"missing-value marker {v!r} in {what}: markers are allowed only in number columns, never "
                   "in a key or a date",
         _on_values(table[name], lambda v: pc.is_in(v, value_set=KEY_MARKERS))),
    ]


def _trimmed(table: pa.Table) -> pa.Table:
    """Every text without the whitespace around it (`utf8_trim_whitespace`, the one way this feed trims): what the
    rules judge and what is stored, so that "RA9 " is the trust RA9, and a copy of a key that differs only by a space
    is a duplicate. A dictionary whose texts meet once trimmed is merged, so equal texts keep one code."""
    columns = {}
    for name in OUTPUT_NAMES:
        column = table[name].combine_chunks()
        if pa.types.is_dictionary(column.type):
            texts = pc.utf8_trim_whitespace(column.dictionary)
            if not texts.equals(column.dictionary):  # as published almost always: then nothing to re-code
                merged = pc.dictionary_encode(texts)
                column = pa.DictionaryArray.from_arrays(pc.take(merged.indices, column.indices), merged.dictionary)
        else:
            column = pc.utf8_trim_whitespace(column)
        columns[name] = column
    return pa.table({**columns, "_source_row": table["_source_row"]})


def _validate(raw: pa.Table, header: list[str], result: ParseResult, reference: OdsTrusts | None,
              as_at: date) -> None:
    column_of = dict(zip(OUTPUT_NAMES, header))
    table = _trimmed(raw)
    # (rule, output column, message from the (trimmed) value, boolean mask of the rows it applies to), in the order a
    # row's problems are listed: the first names the row's quarantine record
    checks: list[tuple] = []

    def to_date(texts):  # ISO or DD/MM/YYYY, whichever the release uses
        iso = pc.strptime(texts, format="%Y-%m-%d", unit="s", error_is_null=True)
        uk = pc.strptime(texts, format="%d/%m/%Y", unit="s", error_is_null=True)
        return pc.cast(pc.coalesce(iso, uk), pa.date32())

    month_end = _on_values(table["month_end"], to_date)
    date_keys = _key_checks(table, "month_end", "date")
    checks += date_keys
    checks.append(("date_format", "month_end", lambda v: f"{v!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)",
                   pc.and_(pc.is_null(month_end), pc.invert(pc.or_(date_keys[0][3], date_keys[1][3])))))
    checks.append(("future_date", "month_end",
                   lambda v: f"{v} is in the future (the month ends after the day of the check, {as_at}): data "
                             "cannot exist for it yet",
                   pc.greater(month_end, pa.scalar(as_at, pa.date32()))))
    checks += _key_checks(table, "org_code", "organisation code")
    month_code, month_days = _month_codes(table["month_end"], to_date)
    if reference is not None:
        checks += _organisation_checks(table["org_code"], (month_code, month_days), reference)
        result.notes["organisations_checked_against"] = reference.source
    checks += _key_checks(table, "staff_group", "staff group")
    known_groups = pa.array(list(STAFF_GROUPS.values()) + list(MISSING_MARKERS))  # empty and markers: above
    checks.append(("unknown_category", "staff_group", lambda v: f"{v!r} is not a published staff group",
                   _on_values(table["staff_group"], lambda v: pc.invert(pc.is_in(v, value_set=known_groups)))))
    known_orders = pa.array(list(STAFF_GROUPS) + list(MISSING_MARKERS))
    checks.append(("unknown_category", "staff_group_sort_order",
                   lambda v: f"{v!r} is not a staff group sort order (01–{max(STAFF_GROUPS)}, zero-padded)",
                   _on_values(table["staff_group_sort_order"],
                              lambda v: pc.invert(pc.is_in(v, value_set=known_orders)))))
    # each row's sort order and staff group as positions among the published names (compared as numbers: as texts
    # they would be millions of strings): the group the order names, -1 for an unknown order (reported above, no
    # mismatch); the group's own, -2 for a name not published (a mismatch with any known order)
    names = list(STAFF_GROUPS.values())
    named_by_order = _dictionary_lookup(table["staff_group_sort_order"], lambda v: pa.array(
        [names.index(STAFF_GROUPS[order]) if order in STAFF_GROUPS else -1
         for order in v.to_pylist()], pa.int64()))
    named = _dictionary_lookup(table["staff_group"], lambda v: pc.fill_null(
        pc.index_in(v, value_set=pa.array(names)), -2))
    checks.append(("unknown_category", "staff_group", lambda v: f"staff group {v!r} is not the one its sort order "
                                                                "names",
                   pa.array((named_by_order >= 0) & (named_by_order != named))))
    del named_by_order, named
    checks += _key_checks(table, "data_type", "data type")
    known_or_keyless = pa.array(DATA_TYPES + list(MISSING_MARKERS))  # empty and markers are reported above
    checks.append(("unknown_category", "data_type", lambda v: f"{v!r} is not one of {DATA_TYPES}",
                   _on_values(table["data_type"], lambda v: pc.invert(pc.is_in(v, value_set=known_or_keyless)))))

    raw_value = table["value"]
    which_marker = pc.index_in(raw_value, value_set=pa.array(list(MISSING_MARKERS)))  # null: not a marker
    marker = pc.is_valid(which_marker)
    numeric = pc.match_substring_regex(raw_value, NUMBER)
    checks.append(("not_a_number", "value", lambda v: f"{v!r} is not a number or a missing-value marker",
                   pc.and_(pc.invert(marker), pc.invert(numeric))))
    value = pc.cast(pc.if_else(numeric, raw_value, pa.scalar(None, pa.string())), pa.float64())
    checks.append(("negative_value", "value", lambda v: f"{v} is negative: FTE and headcount cannot be",
                   pc.fill_null(pc.less(value, 0), False)))
    reason = pc.take(pa.array(list(MISSING_MARKERS.values())), which_marker)
    del raw_value, numeric, which_marker

    cleaned = pa.table({"month_end": month_end, **{n: table[n] for n in OUTPUT_NAMES[1:-1]},
                        "value": value, "value_missing_reason": reason, "_source_row": table["_source_row"]})
    bad = pa.chunked_array([np.zeros(cleaned.num_rows, dtype=bool)])
    for check in checks:
        bad = pc.or_(bad, pc.fill_null(check[3], False))
    # duplicates of the grain among the rows otherwise good: each row's key as one integer, counted with numpy
    # (Acero's group-by and join on four columns took over a second of a release)
    good = ~bad.to_numpy()
    codes = {"month_end": (month_code, len(month_days)),
             **{n: _dictionary_codes(table[n]) for n in ("org_code", "staff_group", "data_type")}}
    key, span = _combined(list(codes.values()))
    duplicate = np.zeros(cleaned.num_rows, dtype=bool)
    duplicate[good] = _copies(key[good], span) > 1
    checks.append(("duplicate_key", "org_code",
                   lambda v: f"duplicate month, organisation ({v}), staff group and data type: every copy is held back",
                   pa.array(duplicate)))
    bad = pc.or_(bad, checks[-1][3])

    any_bad = pc.any(bad).as_py()
    if any_bad:
        failing, records = table.filter(bad).to_pylist(), raw.filter(bad).to_pylist()  # judged, and as received
        hits = [pc.fill_null(pc.filter(mask, bad), False).to_pylist() for *_, mask in checks]
        for i, row in enumerate(failing):
            number = row["_source_row"]
            problems = [Issue(message(str(row[out])), number, column_of[out], str(row[out]), rule=rule)
                        for (rule, out, message, _), hit in zip(checks, hits) if hit[i]]
            result.quarantine_row(number, [str(records[i][n]) for n in OUTPUT_NAMES], problems)
        result.quarantined.sort(key=lambda q: q["row"])
    result.valid = cleaned.filter(pc.invert(bad)) if any_bad else cleaned  # a copy of every row kept costs 0.1 s

    valid = result.valid
    kept = ~bad.to_numpy()
    (month, months), (organisation, organisations) = ((codes[n][0][kept], codes[n][1])
                                                      for n in ("month_end", "org_code"))
    # organisations per month: the distinct (month, organisation) pairs, counted by month
    organisations_per_month = np.bincount(_distinct(month * organisations + organisation, months * organisations)
                                          // organisations, minlength=months)
    organisations_per_month = organisations_per_month[organisations_per_month > 0]
    reasons = pc.value_counts(valid["value_missing_reason"]).to_pylist() if valid.num_rows else []
    result.notes.update({
        "months": {"first": pc.min(valid["month_end"]).as_py().isoformat() if valid.num_rows else None,
                   "last": pc.max(valid["month_end"]).as_py().isoformat() if valid.num_rows else None,
                   "count": len(organisations_per_month)},
        "organisations_per_month": {"min": int(organisations_per_month.min()) if valid.num_rows else 0,
                                    "max": int(organisations_per_month.max()) if valid.num_rows else 0},
        "staff_groups": len(_distinct(codes["staff_group"][0][kept], codes["staff_group"][1])),
        "missing_markers": {r["values"]: r["counts"] for r in reasons if r["values"] is not None},
    })


def _organisation_checks(org_code: pa.ChunkedArray, months: tuple[np.ndarray, np.ndarray],
                         reference: OdsTrusts) -> list[tuple]:
    """ODS's rule for a trust reporting for a month (`OdsTrusts.problem`, its one home: closed before the month began,
    or opened after it ended), asked once per distinct trust and month of the release (a few tens of thousands, not
    millions) and spread to the rows. Codes ODS does not list as trusts are not judged: the series mixes trusts with
    ICBs, CSUs and companies."""
    column = org_code.combine_chunks()
    texts = column.dictionary.to_pylist()
    trusts = [i for i, text in enumerate(texts) if text in reference.dates]
    # a listed trust's dictionary index → 0…n-1; every other code → n, a last "trust" whose months are never asked
    dense = np.full(len(texts), len(trusts), dtype=np.int64)
    dense[trusts] = np.arange(len(trusts))
    month, days = months
    pair = dense[column.indices.to_numpy()] * len(days) + month
    present = np.zeros((len(trusts) + 1) * len(days), dtype=bool)
    present[pair] = True
    ends = [EPOCH + timedelta(days=int(day)) if day != NOT_A_DAY else None for day in days]
    messages: dict[tuple[str, str], str] = {}
    rules = ["closed_organisation", "not_yet_open"]
    broken = np.zeros(len(present), dtype=np.int8)  # per pair: 0 fine, else 1 + the rule's place in `rules`
    for trust, months_present in enumerate(present.reshape(len(trusts) + 1, len(days))[:-1]):
        code = texts[trusts[trust]]
        for m in np.flatnonzero(months_present).tolist():
            if ends[m] is None:
                continue  # a row without a date is reported as such
            problem = reference.problem(code, ends[m].replace(day=1), ends[m], "this row's month", 0, "org_code",
                                        trusts_only=False)
            if problem is not None:
                broken[trust * len(days) + m] = 1 + rules.index(problem.rule)
                messages[(problem.rule, code)] = problem.message  # the same for every month of a trust
    per_row = broken[pair]
    return [(rule, "org_code", lambda v, rule=rule: messages[(rule, v)], pa.array(per_row == 1 + i))
            for i, rule in enumerate(rules)]


def _dictionary_lookup(column: pa.ChunkedArray, function) -> np.ndarray:
    """`function` (giving integers) applied to the distinct texts of a dictionary-encoded column, per row."""
    column = column.combine_chunks()
    return function(column.dictionary).to_numpy()[column.indices.to_numpy()]


# Key codes: per row an integer 0…n-1, equal exactly where the rows' values are equal, with n. Counting these with
# numpy takes a fraction of the time of a group-by on the texts.

def _dictionary_codes(column: pa.ChunkedArray) -> tuple[np.ndarray, int]:
    """A dictionary-encoded column's indices (its one dictionary holds each text once)."""
    column = column.combine_chunks()
    return column.indices.to_numpy(), len(column.dictionary)


def _month_codes(column: pa.ChunkedArray, to_date) -> tuple[np.ndarray, np.ndarray]:
    """The dates of a dictionary-encoded column of date texts, ranked: two texts of one date (ISO and DD/MM/YYYY)
    share a code. A text that is not a date gets a code of its own kind (`NOT_A_DAY`), never a row's key: its row is
    bad. With the days (since 1970) the codes stand for."""
    column = column.combine_chunks()
    days = pc.fill_null(pc.cast(to_date(column.dictionary), pa.int32()), NOT_A_DAY).to_numpy()
    days, rank = np.unique(days, return_inverse=True)
    return rank[column.indices.to_numpy()], days


def _combined(codes: list[tuple[np.ndarray, int]]) -> tuple[np.ndarray, int]:
    """The codes of several columns as one (mixed radix); renumbered densely first where the product of their
    counts would overflow an int64."""
    (key, span), *rest = codes
    key = key.astype(np.int64)
    for column, width in rest:
        if span * width >= 2**63:
            distinct, key = np.unique(key, return_inverse=True)
            span = len(distinct)
        key *= width
        key += column
        span *= width
    return key, span


def _counts_fit(key: np.ndarray, span: int) -> bool:
    """Whether a count per possible key (np.bincount: one pass) is about as small as the keys themselves; if not,
    they are sorted (np.unique)."""
    return span <= 4 * len(key) + 4096


def _copies(key: np.ndarray, span: int) -> np.ndarray:
    """Per row, how many rows have its key."""
    if _counts_fit(key, span):
        return np.bincount(key, minlength=span)[key]
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    return counts[inverse]


def _distinct(key: np.ndarray, span: int) -> np.ndarray:
    """The distinct keys, in order."""
    if _counts_fit(key, span):
        return np.flatnonzero(np.bincount(key, minlength=span))
    return np.unique(key)

