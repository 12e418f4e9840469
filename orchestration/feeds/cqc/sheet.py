"""CQC "Latest ratings" spreadsheet (FEEDS.md §2b): `.ods`, `.xlsx`, or one sheet saved as `.csv`.

Sheets `Locations` and `Providers`, each with a preamble before its header row (found by its first cell), long
format: one row per location (or provider) × service/population group × domain. ODS files end in a huge run of
repeated empty rows: empty rows are padding, not data, and are counted apart. Rows are checked column-wise with
pyarrow (a mask per rule); only the rows that fail become Python objects, for the quarantine. Both sheets become one
table with a `level` column. Non-ratings (`Inspected but not rated`, …) are kept with is_rating = false, never scored.
"""
from __future__ import annotations

import io
import itertools
import zipfile
from collections import Counter
from datetime import date, datetime
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.feeds.missing import MISSING_MARKERS

from orchestration.feeds.report import (ZIP_MAGIC, Issue, ParseResult, as_record, csv_records, decode_text,
                                        detect_layout, display_name, drop_truncated, future_date_problem, key_problem,
                                        open_workbook)

KEY_QUESTIONS = ["Safe", "Effective", "Caring", "Responsive", "Well-led"]
DOMAINS = ["Overall", *KEY_QUESTIONS]
RATINGS = ["Outstanding", "Good", "Requires improvement", "Inadequate"]
NON_RATINGS = ["Inspected but not rated", "No published rating", "Insufficient evidence to rate", "No action",
               "Not rated"]
_LOCATIONS_2021 = [
    "Location ID", "Location ODS Code", "Location Name", "Care Home?", "Location Type",
    "Location Primary Inspection Category", "Location Street Address", "Location Address Line 2", "Location City",
    "Location Post Code", "Location Local Authority", "Location Region", "Location NHS Region",
    "Location ONSPD CCG Code", "Location ONSPD CCG", "Location Commissioning CCG Code",
    "Location Commissioning CCG Name", "Service / Population Group", "Domain", "Latest Rating", "Publication Date",
    "Report Type", "Inherited Rating (Y/N)", "URL", "Provider ID", "Provider Name", "Brand ID", "Brand Name"]
LOCATION_LAYOUTS = {
    "cqc-latest-ratings-2021": _LOCATIONS_2021,
    # simulated successor: the CCG columns renamed for ICBs (the real files' next change is not yet known)
    "cqc-latest-ratings-2026": [c.replace("CCG", "ICB") for c in _LOCATIONS_2021],
}
PROVIDER_COLUMNS = [
    "Provider ID", "Provider ODS Code", "Provider Name", "Provider Type", "Provider Primary Inspection Category",
    "Provider Street Address", "Provider Address Line 2", "Provider City", "Provider Post Code",
    "Provider Local Authority", "Provider Region", "Provider NHS Region", "Service / Population Group", "Domain",
    "Latest Rating", "Publication Date", "Report Type", "Inherited Rating (Y/N)", "URL", "Brand ID", "Brand Name"]
SHEETS = {"Locations": "Location ID", "Providers": "Provider ID"}
HEADER_SEARCH_ROWS = 50
# A register of ~100k rows: a few odd rows are quarantined, more than 1% refuses the release.
MAX_QUARANTINED_SHARE = 0.01
SCHEMA = {
    "level": pa.string(), "provider_id": pa.string(), "location_id": pa.string(), "name": pa.string(),
    "provider_name": pa.string(), "region": pa.string(), "location_type": pa.string(),
    "primary_inspection_category": pa.string(), "service_population_group": pa.string(), "domain": pa.string(),
    "rating": pa.string(), "is_rating": pa.bool_(), "publication_date": pa.date32(), "report_type": pa.string(),
    "inherited": pa.bool_(), "url": pa.string(), "_sheet": pa.string(), "_source_row": pa.int64(),
}


def parse_ratings_sheet(content: bytes, file: str = "Latest_ratings.ods", *, as_at: date) -> ParseResult:
    result = ParseResult(file=display_name(file), kind="cqc-ratings-sheet", layout=None, valid=pa.table({}),
                         max_quarantined_share=MAX_QUARANTINED_SHARE)
    if content.startswith(ZIP_MAGIC):  # .ods and .xlsx are zips
        book = open_workbook(content, result, "a ratings spreadsheet (.ods or .xlsx)")
        if book is None:
            return result
        result.notes["format"] = "xlsx" if "xl/workbook.xml" in zipfile.ZipFile(io.BytesIO(content)).namelist() \
            else "ods"
        missing = [s for s in SHEETS if s not in book.sheet_names]
        if missing:
            result.reject_file(Issue(f"no sheet named {missing}: renamed or missing; the workbook has sheets "
                                     f"{book.sheet_names}", value=", ".join(book.sheet_names), rule="missing_sheet"))
            return result
        sheets = {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in SHEETS}
        text = None
    else:  # one sheet saved as CSV
        result.notes["format"] = "csv"
        text = decode_text(content, result.file, result.issues)
        if text is None:
            return result
        records = csv_records(text)  # blank lines kept: row numbers are the file's line numbers
        first = next((r[0].strip() for r in records[:HEADER_SEARCH_ROWS] if r and r[0].strip() in SHEETS.values()),
                     None)
        if first is None:
            result.reject_file(Issue("no header row starting 'Location ID' or 'Provider ID' in the first "
                                     f"{HEADER_SEARCH_ROWS} rows", rule="unknown_layout"))
            return result
        sheets = {next(s for s, h in SHEETS.items() if h == first): records}

    # every sheet's layout first: a file is refused whole before any of its rows is counted
    found = {}
    for sheet, records in sheets.items():
        found[sheet] = _sheet_layout(sheet, records, result)
        if found[sheet] is None:
            return result
    tables: list[pa.Table] = []
    for sheet, records in sheets.items():
        layout, header_at, header = found[sheet]
        if text is not None:
            kept = drop_truncated(text, records, len(header), result, first_row=1)
            result.rows += len(records) - len(kept)
            records = kept
        tables.append(_parse_rows(sheet, records, header_at, header, result, as_at))
    layouts = [layout for layout, _, _ in found.values()]
    result.layout = next((l for l in layouts if l.startswith("cqc-latest-ratings")), layouts[0])
    result.quarantined.sort(key=lambda q: q["row"])
    result.valid = valid = pa.concat_tables(tables)
    result.notes.update({
        "ratings": dict(Counter(_counts(valid["rating"])).most_common()),
        "inherited": pc.sum(valid["inherited"]).as_py() or 0,
        "rows_by_level": _counts(valid["level"]),
    })
    return result


def _sheet_layout(sheet: str, records: list[list], result: ParseResult):
    """(layout, header row index, header) of one sheet; None after refusing the file."""
    first_column = SHEETS[sheet]
    header_at = next((i for i, r in enumerate(records[:HEADER_SEARCH_ROWS]) if r and str(r[0]).strip() == first_column),
                     None)
    if header_at is None:
        result.reject_file(Issue(f"sheet {sheet}: no header row starting {first_column!r} in the first "
                                 f"{HEADER_SEARCH_ROWS} rows", rule="unknown_layout"))
        return None
    header = [str(h if h is not None else "").strip() for h in records[header_at]]
    while header and header[-1] == "":
        header.pop()
    layouts = LOCATION_LAYOUTS if sheet == "Locations" else {"cqc-latest-ratings-providers": PROVIDER_COLUMNS}
    layout, difference = detect_layout(header, layouts)
    if layout is None:
        result.reject_file(Issue(f"sheet {sheet}: unknown layout: {difference}", row=header_at + 1,
                                 rule="unknown_layout"))
        return None
    if all(all(_blank(v) for v in r) for r in records[header_at + 1:]):
        result.reject_file(Issue(f"sheet {sheet}: a header and no data rows", row=header_at + 1, rule="header_only"))
        return None
    return layout, header_at, header


def _parse_rows(sheet: str, records: list[list], header_at: int, header: list[str], result: ParseResult,
                as_at: date) -> pa.Table:
    """The sheet's data rows checked column-wise (pyarrow): every rule is a mask over all rows at once, and only rows
    that fail become Python objects, for the quarantine (as the workforce parser does)."""
    result.notes.setdefault("preamble_rows", {})[sheet] = header_at
    position = {c.replace("ICB", "CCG"): i for i, c in enumerate(header)}
    level = "location" if sheet == "Locations" else "provider"
    prefix = "Location" if level == "location" else "Provider"
    data = records[header_at + 1:]
    width = len(header)
    raw = list(itertools.zip_longest(*data)) if data else []  # column by column; short rows padded with None
    raw += [(None,) * len(data)] * max(0, width - len(raw))
    texts = [_text_column(column) for column in raw]         # each cell as text, trimmed ("" for empty)
    extra = texts[width:]                                    # cells beyond the header
    blank = _all_of([pc.equal(t, "") for t in texts], len(data))
    padding = pc.sum(blank).as_py() or 0
    result.notes.setdefault("padding_rows_ignored", {})[sheet] = padding
    kept = pc.invert(blank)
    index = pc.indices_nonzero(kept)                        # positions in `data` of the rows read
    result.rows += len(index)
    texts = [pc.take(t, index) for t in texts[:width]]
    extra = [pc.take(t, index) for t in extra]
    row_number = pc.add(pc.cast(index, pa.int64()), header_at + 2)  # as a spreadsheet shows it

    def text(column: str) -> pa.Array:
        return texts[position[column]]

    published_raw = raw[position["Publication Date"]]
    published_of = {value: _as_date(value) for value in set(published_raw)}
    published = pc.take(pa.array([published_of[v] for v in published_raw], pa.date32()), index)
    inherited = pc.utf8_upper(text("Inherited Rating (Y/N)"))

    # (mask of the rows it applies to, its problem for one such row), in the order a row's problems are listed: the
    # first names the row's quarantine record. A problem is built from the row's cells (trimmed text, by column).
    checks: list[tuple[pa.Array, Callable[[dict, int, list], Issue]]] = []
    if extra:
        checks.append((_any_of([pc.not_equal(t, "") for t in extra], len(index)),
                       lambda cell, row, record: Issue(f"{len(record)} cells where the header has {width}", row,
                                                       rule="column_count")))

    def key(column: str, what: str) -> pa.Array:
        """A key or date cell must hold a value (key_problem's rule, column-wise); the mask of the rows it fails."""
        checks.append((pc.is_in(text(column), value_set=_KEY_FAILS),
                       lambda cell, row, record: key_problem(cell[column], row, column, what)))
        return checks[-1][0]

    key(f"{prefix} ID", "id")
    if level == "location":  # whose location it is
        key("Provider ID", "provider id")
    key("Service / Population Group", "a service or population group")
    domain_keyless = key("Domain", "domain")
    checks.append((pc.and_(pc.invert(domain_keyless), pc.invert(pc.is_in(text("Domain"), value_set=pa.array(DOMAINS)))),
                   lambda cell, row, record: Issue(f"unknown domain {cell['Domain']!r} (expected one of {DOMAINS})",
                                                   row, "Domain", cell["Domain"], rule="unknown_category")))
    checks.append((pc.invert(pc.is_in(text("Latest Rating"), value_set=pa.array(RATINGS + NON_RATINGS))),
                   lambda cell, row, record: Issue(f"unknown rating {cell['Latest Rating']!r}", row, "Latest Rating",
                                                   cell["Latest Rating"], rule="unknown_category")))
    dated = pc.invert(key("Publication Date", "publication date"))
    checks.append((pc.and_(dated, pc.is_null(published)),
                   lambda cell, row, record: Issue(f"publication date {cell['Publication Date']!r} is not a date",
                                                   row, "Publication Date", cell["Publication Date"],
                                                   rule="date_format")))
    checks.append((pc.and_(dated, pc.fill_null(pc.greater(published, pa.scalar(as_at, pa.date32())), False)),
                   lambda cell, row, record: future_date_problem(_as_date(record[position["Publication Date"]]), row,
                                                                 "Publication Date", cell["Publication Date"], as_at)))
    checks.append((pc.invert(pc.is_in(inherited, value_set=pa.array(["Y", "N"]))),
                   lambda cell, row, record: Issue(
                       f"inherited flag {cell['Inherited Rating (Y/N)'].upper()!r} is not Y or N", row,
                       "Inherited Rating (Y/N)", cell["Inherited Rating (Y/N)"].upper(), rule="unknown_category")))

    def cells_of(i: int) -> list[str]:  # a row as the quarantine keeps it: its cells as text
        record = data[i]
        return [_as_text(v) for v in record] + [""] * (width - len(record))

    bad = _any_of([mask for mask, _ in checks], len(index))
    if pc.any(bad).as_py():
        hits = [pc.filter(mask, bad).to_pylist() for mask, _ in checks]
        for n, (i, row) in enumerate(zip(pc.filter(index, bad).to_pylist(), pc.filter(row_number, bad).to_pylist())):
            cells = cells_of(i)
            cell = {column: cells[at] for column, at in position.items()}
            problems = [problem(cell, row, data[i]) for (_, problem), hit in zip(checks, hits) if hit[n]]
            result.quarantine_row(row, f"{sheet}: " + as_record(cells), problems)
    good = pc.invert(bad)

    count = len(index)
    table = pa.table({
        "level": pa.array([level] * count, pa.string()), "provider_id": text("Provider ID"),
        "location_id": text("Location ID") if level == "location" else pa.nulls(count, pa.string()),
        "name": text(f"{prefix} Name"), "provider_name": text("Provider Name"), "region": text(f"{prefix} Region"),
        "location_type": text("Location Type") if level == "location" else text("Provider Type"),
        "primary_inspection_category": text(f"{prefix} Primary Inspection Category"),
        "service_population_group": text("Service / Population Group"), "domain": text("Domain"),
        "rating": text("Latest Rating"), "is_rating": pc.is_in(text("Latest Rating"), value_set=pa.array(RATINGS)),
        "publication_date": published, "report_type": text("Report Type"), "inherited": pc.equal(inherited, "Y"),
        "url": text("URL"), "_sheet": pa.array([sheet] * count, pa.string()), "_source_row": row_number,
        "_at": index,
    }).filter(good)

    # duplicates of the grain among the rows otherwise good: every copy is quarantined
    keys = ["level", "provider_id", "location_id", "service_population_group", "domain"]
    keyed = table.select(keys[:2] + keys[3:] + ["_source_row"]).append_column(  # no location: "" (a join skips nulls)
        "location_id", pc.fill_null(table["location_id"], ""))
    counts = keyed.group_by(keys, use_threads=False).aggregate([("_source_row", "count")])
    repeated = counts.filter(pc.greater(counts["_source_row_count"], 1))
    if repeated.num_rows:
        copies = keyed.join(repeated.select(keys), keys=keys, join_type="inner").sort_by("_source_row").to_pylist()
        at_of = dict(zip(table["_source_row"].to_pylist(), table["_at"].to_pylist()))
        by_key: dict[tuple, list[int]] = {}
        for copy in copies:
            by_key.setdefault(tuple(copy[k] or None for k in keys), []).append(copy["_source_row"])
        duplicates = result.quarantine_duplicates(
            by_key, "Domain", "rating for", lambda n: f"{sheet}: " + as_record(cells_of(at_of[n])),
            value_of=lambda key: key[-1], label_of=lambda key: " / ".join(k for k in key[1:] if k))
        table = table.filter(pc.invert(pc.is_in(table["_source_row"], value_set=pa.array(sorted(duplicates)))))
    return table.drop_columns(["_at"]).cast(pa.schema(SCHEMA))


# What fails a key cell: empty, or a missing-value marker (report.key_problem says which).
_KEY_FAILS = pa.array(sorted(set(MISSING_MARKERS) | {""}))


def _text_column(values) -> pa.Array:
    """A column's cells as text, trimmed, "" for an empty cell: pyarrow at once where every cell is text (or empty),
    else cell by cell (numbers and dates, as a spreadsheet shows them)."""
    try:
        column = pa.array(values, pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array([_as_text(v) for v in values], pa.string())
    return pc.utf8_trim_whitespace(pc.fill_null(column, ""))


def _all_of(masks: list, length: int) -> pa.Array:
    out = pa.array(np.ones(length, dtype=bool))
    for mask in masks:
        out = pc.and_(out, mask)
    return out


def _any_of(masks: list, length: int) -> pa.Array:
    out = pa.array(np.zeros(length, dtype=bool))
    for mask in masks:
        out = pc.or_(out, pc.fill_null(mask, False))
    return out


def _counts(column: pa.ChunkedArray) -> dict[str, int]:
    """How many rows hold each value, in the order values first appear."""
    counted = pc.value_counts(column)
    return dict(zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist()))


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _as_text(value) -> str:
    if isinstance(value, (date, datetime)):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def _as_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    return None
