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

from orchestration.feeds.report import Issue, ParseResult, csv_records, decode_text, display_name

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


def _container(content: bytes) -> str:
    if content.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(content)).namelist()
        except zipfile.BadZipFile:
            return "damaged zip"
        if "mimetype" in names and b"opendocument.spreadsheet" in zipfile.ZipFile(io.BytesIO(content)).read("mimetype"):
            return "ods"
        if "xl/workbook.xml" in names:
            return "xlsx"
        return "zip"
    head = content[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<?xml")):
        return "html"
    return "csv"


def parse_ratings_sheet(content: bytes, file: str = "Latest_ratings.ods") -> ParseResult:
    result = ParseResult(file=display_name(file), kind="cqc-ratings-sheet", layout=None, valid=pa.table({}),
                         max_quarantined_share=MAX_QUARANTINED_SHARE)
    container = _container(content)
    result.notes["format"] = container
    sheets: dict[str, list[list]] = {}
    if container in ("ods", "xlsx"):
        from python_calamine import CalamineWorkbook

        try:
            book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        except Exception as exc:  # calamine raises its own errors for damaged workbooks
            result.issues.append(Issue(f"cannot be read as {container}: {exc}", whole_file=True))
            return result
        missing = [s for s in SHEETS if s not in book.sheet_names]
        if missing:
            result.issues.append(Issue(f"no sheet named {missing}; the workbook has {book.sheet_names}",
                                       whole_file=True))
            return result
        sheets = {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in SHEETS}
    elif container == "csv":
        text = decode_text(content, result.file, result.issues)
        records = csv_records(text) if text is not None else []
        first = next((r[0].strip() for r in records[:HEADER_SEARCH_ROWS] if r and r[0].strip() in SHEETS.values()),
                     None)
        if first is None:
            result.issues.append(Issue("no header row starting 'Location ID' or 'Provider ID' in the first "
                                       f"{HEADER_SEARCH_ROWS} rows", whole_file=True))
            return result
        sheets = {next(s for s, h in SHEETS.items() if h == first): records}
    else:
        result.issues.append(Issue(f"not a ratings spreadsheet: the file is {'an HTML page' if container == 'html' else 'a ' + container}",
                                   whole_file=True))
        return result

    rows: list[dict] = []
    layouts = []
    for sheet, records in sheets.items():
        layout = _parse_sheet(sheet, records, result, rows)
        if layout is None:
            return result
        layouts.append(layout)
    result.layout = next((l for l in layouts if l.startswith("cqc-latest-ratings")), layouts[0])
    _quarantine_duplicates(rows, result)
    result.valid = pa.table({name: pa.array([r[name] for r in rows], kind) for name, kind in SCHEMA.items()})
    result.notes.update({
        "ratings": dict(Counter(r["rating"] for r in rows).most_common()),
        "inherited": sum(r["inherited"] for r in rows),
        "rows_by_level": dict(Counter(r["level"] for r in rows)),
    })
    return result


def _parse_sheet(sheet: str, records: list[list], result: ParseResult, rows: list[dict]) -> str | None:
    first_column = SHEETS[sheet]
    header_at = next((i for i, r in enumerate(records[:HEADER_SEARCH_ROWS]) if r and str(r[0]).strip() == first_column),
                     None)
    if header_at is None:
        result.issues.append(Issue(f"sheet {sheet}: no header row starting {first_column!r} in the first "
                                   f"{HEADER_SEARCH_ROWS} rows", whole_file=True))
        return None
    header = [str(h).strip() for h in records[header_at]]
    while header and header[-1] == "":
        header.pop()
    layouts = LOCATION_LAYOUTS if sheet == "Locations" else {"cqc-latest-ratings-providers": PROVIDER_COLUMNS}
    layout = next((name for name, columns in layouts.items() if header == columns), None)
    if layout is None:
        name, columns = max(layouts.items(), key=lambda kv: len(set(kv[1]) & set(header)))
        result.issues.append(Issue(
            f"sheet {sheet}: unknown layout (closest {name}: missing {[c for c in columns if c not in header] or 'none'}, "
            f"unexpected {[c for c in header if c not in columns] or 'none'})", row=header_at + 1, whole_file=True))
        return None
    result.notes.setdefault("preamble_rows", {})[sheet] = header_at
    position = {c.replace("ICB", "CCG"): i for i, c in enumerate(header)}
    padding = 0
    level = "location" if sheet == "Locations" else "provider"
    prefix = "Location" if level == "location" else "Provider"
    for index in range(header_at + 1, len(records)):
        record = records[index]
        if all(_blank(v) for v in record):
            padding += 1
            continue
        row_number = index + 1  # as a spreadsheet shows it
        result.rows += 1
        cells = [_as_text(v) for v in record] + [""] * (len(header) - len(record))

        def get(column: str) -> str:
            return cells[position[column]]

        problems = []
        if len([v for v in record[len(header):] if not _blank(v)]):
            problems.append(Issue(f"{len(record)} cells where the header has {len(header)}", row_number))
        ident = get(f"{prefix} ID")
        if not ident:
            problems.append(Issue("empty id", row_number, f"{prefix} ID"))
        domain = get("Domain")
        if domain not in DOMAINS:
            problems.append(Issue(f"unknown domain {domain!r} (expected one of {DOMAINS})", row_number, "Domain", domain))
        rating = get("Latest Rating")
        if rating not in RATINGS and rating not in NON_RATINGS:
            problems.append(Issue(f"unknown rating {rating!r}", row_number, "Latest Rating", rating))
        published = _as_date(record[position["Publication Date"]] if position["Publication Date"] < len(record) else "")
        if published is None:
            problems.append(Issue(f"publication date {get('Publication Date')!r} is not a date", row_number,
                                  "Publication Date", get("Publication Date")))
        inherited = get("Inherited Rating (Y/N)").upper()
        if inherited not in ("Y", "N"):
            problems.append(Issue(f"inherited flag {inherited!r} is not Y or N", row_number, "Inherited Rating (Y/N)",
                                  inherited))
        if problems:
            result.issues.extend(problems)
            result.quarantined.append({"row": row_number, "record": f"{sheet}: " + ",".join(cells), "reason": "; ".join(
                f"column {p.column}: {p.message}" if p.column else p.message for p in problems)})
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
    return layout


def _quarantine_duplicates(rows: list[dict], result: ParseResult) -> None:
    seen: dict[tuple, list[int]] = {}
    for i, r in enumerate(rows):
        seen.setdefault((r["level"], r["provider_id"], r["location_id"], r["service_population_group"], r["domain"]),
                        []).append(i)
    drop = set()
    for key, indexes in seen.items():
        if len(indexes) > 1:
            for i in indexes:
                r = rows[i]
                result.issues.append(Issue(f"duplicate rating for {key}", r["_source_row"], "Domain", r["domain"]))
                result.quarantined.append({"row": r["_source_row"], "record": f"{r['_sheet']}: {key}",
                                           "reason": "column Domain: duplicate level, id, service and domain"})
                drop.add(i)
    if drop:
        rows[:] = [r for i, r in enumerate(rows) if i not in drop]
        result.quarantined.sort(key=lambda q: q["row"])


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
