"""CQC "Latest ratings" spreadsheet (FEEDS.md §2b): `.ods`, `.xlsx`, or one sheet saved as `.csv`.

Sheets `Locations` and `Providers`, each with a preamble before its header row (found by its first cell), long
format: one row per location (or provider) × service/population group × domain. ODS files end in a huge run of
repeated empty rows: empty rows are padding, not data, and are counted apart. Both sheets become one table with a
`level` column. Non-ratings (`Inspected but not rated`, …) are kept with is_rating = false, never scored.
"""
from __future__ import annotations

import io
import zipfile
from collections import Counter
from datetime import date, datetime

import pyarrow as pa

from orchestration.feeds.report import (ZIP_MAGIC, Issue, ParseResult, as_record, csv_records, decode_text,
                                        check_day, detect_layout, display_name, drop_truncated, future_date_problem, key_problem,
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


def parse_ratings_sheet(content: bytes, file: str = "Latest_ratings.ods", as_at: date | None = None) -> ParseResult:
    as_at = check_day(as_at)  # a publication date after it is quarantined
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
    rows: list[dict] = []
    for sheet, records in sheets.items():
        layout, header_at, header = found[sheet]
        if text is not None:
            kept = drop_truncated(text, records, len(header), result, first_row=1)
            result.rows += len(records) - len(kept)
            records = kept
        rows += _parse_rows(sheet, records, header_at, header, result, as_at)
    layouts = [layout for layout, _, _ in found.values()]
    result.layout = next((l for l in layouts if l.startswith("cqc-latest-ratings")), layouts[0])
    result.quarantined.sort(key=lambda q: q["row"])
    result.valid = pa.table({name: pa.array([r[name] for r in rows], kind) for name, kind in SCHEMA.items()})
    result.notes.update({
        "ratings": dict(Counter(r["rating"] for r in rows).most_common()),
        "inherited": sum(r["inherited"] for r in rows),
        "rows_by_level": dict(Counter(r["level"] for r in rows)),
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
                as_at: date) -> list[dict]:
    result.notes.setdefault("preamble_rows", {})[sheet] = header_at
    position = {c.replace("ICB", "CCG"): i for i, c in enumerate(header)}
    padding = 0
    level = "location" if sheet == "Locations" else "provider"
    prefix = "Location" if level == "location" else "Provider"
    rows: list[dict] = []
    cells_of: dict[int, list[str]] = {}
    for index in range(header_at + 1, len(records)):
        record = records[index]
        if all(_blank(v) for v in record):
            padding += 1
            continue
        row_number = index + 1  # as a spreadsheet shows it
        result.rows += 1
        cells = [_as_text(v) for v in record] + [""] * (len(header) - len(record))
        cells_of[row_number] = cells

        def get(column: str) -> str:
            return cells[position[column]]

        problems: list[Issue | None] = []
        if len([v for v in record[len(header):] if not _blank(v)]):
            problems.append(Issue(f"{len(record)} cells where the header has {len(header)}", row_number,
                                  rule="column_count"))
        ident = get(f"{prefix} ID")
        problems.append(key_problem(ident, row_number, f"{prefix} ID", "id"))
        if level == "location":  # whose location it is
            problems.append(key_problem(get("Provider ID"), row_number, "Provider ID", "provider id"))
        problems.append(key_problem(get("Service / Population Group"), row_number, "Service / Population Group",
                                    "a service or population group"))
        domain = get("Domain")
        problems.append(key_problem(domain, row_number, "Domain", "domain"))
        if problems[-1] is None and domain not in DOMAINS:
            problems.append(Issue(f"unknown domain {domain!r} (expected one of {DOMAINS})", row_number, "Domain",
                                  domain, rule="unknown_category"))
        rating = get("Latest Rating")
        if rating not in RATINGS and rating not in NON_RATINGS:
            problems.append(Issue(f"unknown rating {rating!r}", row_number, "Latest Rating", rating,
                                  rule="unknown_category"))
        problems.append(key_problem(get("Publication Date"), row_number, "Publication Date", "publication date"))
        published = None
        if problems[-1] is None:
            published = _as_date(record[position["Publication Date"]])
            if published is None:
                problems.append(Issue(f"publication date {get('Publication Date')!r} is not a date", row_number,
                                      "Publication Date", get("Publication Date"), rule="date_format"))
            else:
                problems.append(future_date_problem(published, row_number, "Publication Date",
                                                    get("Publication Date"), as_at))
        inherited = get("Inherited Rating (Y/N)").upper()
        if inherited not in ("Y", "N"):
            problems.append(Issue(f"inherited flag {inherited!r} is not Y or N", row_number, "Inherited Rating (Y/N)",
                                  inherited, rule="unknown_category"))
        problems = [p for p in problems if p is not None]
        if problems:
            result.quarantine_row(row_number, f"{sheet}: " + as_record(cells), problems)
            continue
        rows.append({
            "level": level, "provider_id": get("Provider ID"),
            "location_id": ident if level == "location" else None,
            "name": get(f"{prefix} Name"), "provider_name": get("Provider Name"),
            "region": get(f"{prefix} Region"),
            "location_type": get("Location Type") if level == "location" else get("Provider Type"),
            "primary_inspection_category": get(f"{prefix} Primary Inspection Category"),
            "service_population_group": get("Service / Population Group"), "domain": domain, "rating": rating,
            "is_rating": rating in RATINGS, "publication_date": published, "report_type": get("Report Type"),
            "inherited": inherited == "Y", "url": get("URL"), "_sheet": sheet, "_source_row": row_number,
        })
    result.notes.setdefault("padding_rows_ignored", {})[sheet] = padding
    by_key: dict[tuple, list[int]] = {}
    for r in rows:
        by_key.setdefault((r["level"], r["provider_id"], r["location_id"], r["service_population_group"],
                           r["domain"]), []).append(r["_source_row"])
    duplicates = result.quarantine_duplicates(
        by_key, "Domain", "rating for", lambda n: f"{sheet}: " + as_record(cells_of[n]), value_of=lambda key: key[-1],
        label_of=lambda key: " / ".join(k for k in key[1:] if k))
    return [r for r in rows if r["_source_row"] not in duplicates]


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
