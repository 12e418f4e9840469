"""What a parser found in one feed file: valid rows, quarantined rows with reasons, and issues.

Every row read is accounted for: rows = rows_valid + rows_quarantined. Issues name the file, the row
(1-based record number in the file, the header counting as row 1 where there is one) and the column.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO, Callable

import pyarrow as pa

from orchestration.feeds.missing import MISSING_MARKERS, parse_number

# A report lists at most this many issues; the counts stay exact.
MAX_LISTED_ISSUES = 500


class FeedRejected(ValueError):
    """A file failed validation; str() gives a readable summary naming file, rows and columns."""

    def __init__(self, result: "ParseResult"):
        self.result = result
        errors = result.errors
        shown = "\n".join(f"  - {e.describe(result.file)}" for e in errors[:20])
        more = f"\n  … and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(
            f"{result.file} rejected as {result.kind} (layout {result.layout or 'unknown'}): "
            f"{result.rows_quarantined} of {result.rows} rows quarantined, {len(errors)} errors\n{shown}{more}"
        )


@dataclass
class Issue:
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    severity: str = "error"  # "error" rejects the row (or the file); "warning" is reported only
    whole_file: bool = False  # the file as a whole cannot be read (unknown layout, empty, undecodable)
    rule: str | None = None  # the broken rule's short name (README, "When a feed is bad"), for machines

    def describe(self, file: str) -> str:
        where = file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f" column {self.column}"
        return f"{where}: {self.message}" + (f" [{self.rule}]" if self.rule else "")

    def reason(self) -> str:
        return f"column {self.column}: {self.message}" if self.column else self.message

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value, "rule": self.rule,
                "message": self.message, "scope": "file" if self.whole_file else "row"}


@dataclass
class ParseResult:
    file: str
    kind: str
    layout: str | None
    valid: pa.Table
    rows: int = 0
    # one record per rejected row: {"row", "column", "rule", "value", "reason", "record"} (see quarantine_row)
    quarantined: list[dict] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    notes: dict = field(default_factory=dict)
    # Share of rows that may be quarantined before the whole file is rejected. Reference data: none.
    max_quarantined_share: float = 0.0

    @property
    def rows_valid(self) -> int:
        return self.valid.num_rows

    @property
    def rows_quarantined(self) -> int:
        return len(self.quarantined)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def file_errors(self) -> list[Issue]:
        return [i for i in self.errors if i.whole_file]

    @property
    def accepted(self) -> bool:
        if self.file_errors or self.layout is None:
            return False
        return self.rows_quarantined <= self.max_quarantined_share * self.rows

    def quarantine_row(self, row: int, record, problems: list[Issue]) -> None:
        """The one way a row is rejected: one quarantine record holding the first problem's column, rule and value,
        a reason listing every problem, and the raw record; the problems become the file's issues."""
        self.issues.extend(problems)
        first = problems[0]
        self.quarantined.append({"row": row, "column": first.column, "rule": first.rule, "value": first.value,
                                 "reason": "; ".join(p.reason() for p in problems), "record": as_record(record)})

    def quarantine_duplicates(self, rows_by_key: dict, column: str | Callable[[int], str], what: str,
                              record_of: Callable[[int], object], value_of: Callable[[object], str] = str,
                              label_of: Callable[[object], str] | None = None) -> set[int]:
        """Every row of a key found more than once is quarantined (`duplicate_key`): which copy is right cannot be
        known. `column` names the key's column (or gives it per row), `value_of` its cell's value and `label_of` the
        key as the message shows it. Returns the rows quarantined, for the caller to drop from its valid rows."""
        quarantined: set[int] = set()
        for key, rows in rows_by_key.items():
            if len(rows) < 2:
                continue
            for row in rows:
                others = ", ".join(str(r) for r in rows if r != row)
                self.quarantine_row(row, record_of(row), [Issue(
                    f"duplicate {what} {(label_of or value_of)(key)} (also at row {others})", row,
                    column(row) if callable(column) else column, value_of(key), rule="duplicate_key")])
                quarantined.add(row)
        self.quarantined.sort(key=lambda q: q["row"])
        return quarantined

    def reject_file(self, issue: Issue, records=(), first_row: int = 1) -> None:
        """Refuse the whole file with one clear message. A refused file still accounts for the rows it holds:
        each goes to quarantine under the file's rule."""
        issue.whole_file = True
        self.issues.append(issue)
        for row, record in enumerate(records, first_row):
            if not record:   # a blank line holds no row (it still counts in the numbering)
                continue
            self.quarantined.append({"row": row, "column": None, "rule": issue.rule, "value": None,
                                     "reason": f"file rejected: {issue.message}", "record": as_record(record)})

    def quarantine_table(self) -> pa.Table:
        rows = sorted(self.quarantined, key=lambda q: q["row"])
        return pa.table({
            "file": pa.array([q.get("file", self.file) for q in rows], pa.string()),
            "source_row": pa.array([q["row"] for q in rows], pa.int64()),
            **{name: pa.array([q.get(name) for q in rows], pa.string())
               for name in ("column", "rule", "value", "reason", "record")},
        })

    def report(self) -> dict:
        assert self.rows == self.rows_valid + self.rows_quarantined, "every row must be accounted for"
        errors, warnings = self.errors, self.warnings
        return {
            "file": self.file,
            "kind": self.kind,
            "layout": self.layout,
            "accepted": self.accepted,
            "rows": self.rows,
            "rows_valid": self.rows_valid,
            "rows_quarantined": self.rows_quarantined,
            "errors": [e.as_dict() for e in errors[:MAX_LISTED_ISSUES]],
            "errors_total": len(errors),
            "warnings": [w.as_dict() for w in warnings[:MAX_LISTED_ISSUES]],
            "warnings_total": len(warnings),
            "notes": self.notes,
        }


def as_record(record) -> str:
    """A quarantined row's raw record as one CSV line (quoted where needed), or as given when already text."""
    if isinstance(record, str):
        return record
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(["" if v is None else v for v in record])
    return buffer.getvalue()


# --- whole-file refusals shared by every kind ---------------------------------------------------------------------

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
ZIP_MAGIC = b"PK\x03\x04"
_HTML_START = (b"<!doctype html", b"<html", b"<head", b"<body")
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def not_a_feed_file(content: bytes, expected: str) -> Issue | None:
    """What no feed file can be, whatever its kind: empty, UTF-16 text, or an HTML page (an error or login page
    saved in the file's place). None when the bytes may be the feed."""
    body = content.removeprefix(UTF8_BOM)
    if not body.strip():
        return Issue("the file is empty" + (" (only blank lines)" if body else " (0 bytes)"), whole_file=True,
                     rule="empty_file")
    head = body[:1024].lstrip().lower()
    if head.startswith(b"<?xml"):
        head = head[head.find(b"?>") + 2:].lstrip()
    if head.startswith(_HTML_START):
        title = _TITLE.search(body[:65536])
        text = " ".join(title.group(1).decode("utf-8", "replace").split())[:120] if title else ""
        return Issue(f"an HTML page where {expected} was expected"
                     + (f": its title is {text!r}" if text else " (it has no title)")
                     + " — probably an error or sign-in page saved in the file's place", row=1, value=text or None,
                     whole_file=True, rule="html_page")
    if body.startswith(UTF16_BOMS):
        return encoding_issue(body)
    return None


def too_large(content: bytes, expected: str, max_bytes: int | None) -> Issue | None:
    """A file bigger than its feed can be, or a zip whose members would unpack beyond it (a zip bomb: judged by the
    sizes its directory declares, before anything is unpacked; Python's zipfile never gives more than a member
    declares). None when within the limit, or when no limit is given."""
    if max_bytes is None:
        return None
    limit = f"{max_bytes / (1 << 20):,.0f} MB" if max_bytes >= 1 << 20 else f"{max_bytes:,} bytes"
    if len(content) > max_bytes:
        return Issue(f"{len(content):,} bytes, more than the {limit} {expected} can be: refused unread",
                     whole_file=True, rule="too_large")
    if not content.startswith(ZIP_MAGIC):
        return None
    try:
        members = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except zipfile.BadZipFile:
        return None   # a damaged zip: the parser says so (truncated_file)
    unpacked = sum(m.file_size for m in members)
    biggest = max(members, key=lambda m: m.file_size, default=None)
    if unpacked > max_bytes:
        return Issue(f"a zip of {len(content):,} bytes that would unpack to {unpacked:,} bytes ({biggest.filename!r} "
                     f"alone {biggest.file_size:,}), more than the {limit} {expected} can be — a zip bomb, or not "
                     "this feed: refused before unpacking", value=biggest.filename, whole_file=True, rule="too_large")
    return None


def encoding_issue(content: bytes) -> Issue | None:
    """None for UTF-8 text (a UTF-8 BOM is fine); otherwise a whole-file issue naming the first byte that is not
    UTF-8, its offset and row, and the encoding the bytes look like. Feeds are never read in a guessed encoding:
    a wrong guess silently changes names."""
    if content.startswith(UTF16_BOMS):
        return Issue("UTF-16 text (it starts with a UTF-16 byte-order mark): feeds are read as UTF-8 only; "
                     "save the file as UTF-8", row=1, whole_file=True, rule="not_utf8")
    try:
        content.decode("utf-8")
        return None
    except UnicodeDecodeError as exc:
        offset = exc.start
    row = content.count(b"\n", 0, offset) + 1
    line_start = content.rfind(b"\n", 0, offset) + 1
    line_end = content.find(b"\n", offset)
    line = content[line_start: line_end if line_end >= 0 else len(content)][:200]
    if b"\x00" in content[:1000]:
        looks = "UTF-16 text without a byte-order mark"
    elif sum(b < 32 and b not in b"\t\r\n" for b in content[:1000]) > 10:
        looks = "binary data, not text"
    else:
        try:
            line.decode("cp1252")
            looks = "Windows-1252 (latin-1) text"
        except UnicodeDecodeError:
            looks = "ISO-8859-1 (latin-1) text"
    sample = line.decode("cp1252", "replace").strip()
    return Issue(f"not UTF-8: byte 0x{content[offset]:02X} at offset {offset} (row {row}) is not valid UTF-8; "
                 f"the file looks like {looks}. Feeds are read as UTF-8 only: save the file as UTF-8",
                 row=row, value=sample, whole_file=True, rule="not_utf8")


def decode_text(content: bytes, file: str, issues: list[Issue]) -> str | None:
    """UTF-8 text (a BOM is dropped); None, with the reason among the issues, for anything else."""
    problem = encoding_issue(content)
    if problem is not None:
        issues.append(problem)
        return None
    return content.decode("utf-8-sig")


def csv_records(text: str) -> list[list[str]]:
    """CSV records with quoted commas and either line ending (the NHS publishes CRLF and LF)."""
    return list(csv.reader(io.StringIO(text, newline="")))


def display_name(path_or_name: str | Path) -> str:
    return Path(str(path_or_name)).name


def open_zip(content: bytes, result: ParseResult) -> zipfile.ZipFile | None:
    """The zip archive these bytes are, or None (recording why) when they start like one but cannot be opened —
    which is what a zip (or an .xlsx, .ods) cut short in transfer looks like."""
    try:
        return zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        result.reject_file(Issue(f"the file starts as a zip archive but cannot be opened ({exc}): it looks "
                                 f"truncated or damaged ({len(content)} bytes)", rule="truncated_file"))
        return None


def zip_member(content: bytes, result: ParseResult, wanted: Callable[[str], bool], what: str) -> bytes | None:
    """A published zip's one member that `wanted` picks (plain files pass through); None after recording why not —
    a damaged zip, or one holding the wrong file (named)."""
    if not content.startswith(ZIP_MAGIC):
        return content
    opener = zip_member_opener(content, result, wanted, what)
    if opener is None:
        return None
    with opener() as stream:
        return stream.read()


def zip_member_opener(content: bytes, result: ParseResult, wanted: Callable[[str], bool],
                      what: str) -> Callable[[], BinaryIO] | None:
    """As `zip_member`, but what it gives opens the member as a stream (each call from its start), for a reader
    that parses while the member is inflated rather than after."""
    if not content.startswith(ZIP_MAGIC):
        return lambda: io.BytesIO(content)
    archive = open_zip(content, result)
    if archive is None:
        return None
    names = archive.namelist()
    members = [n for n in names if wanted(n)]
    if len(members) != 1:
        result.reject_file(Issue(f"the zip holds {names}, not {'one ' if members else ''}{what}",
                                 value=", ".join(names), rule="wrong_zip_member"))
        return None
    result.notes["zip_member"] = members[0]
    result.file = f"{result.file}!{members[0]}"
    return lambda: archive.open(members[0])


def open_workbook(content: bytes, result: ParseResult, expected: str):
    """A spreadsheet (.xlsx, .ods, .xls) opened with calamine; None after recording why not: a zip that holds no
    workbook (its files named), a workbook cut short, or bytes that are not a workbook at all."""
    from python_calamine import CalamineWorkbook

    if content.startswith(ZIP_MAGIC):
        archive = open_zip(content, result)
        if archive is None:
            return None
        names = archive.namelist()
        if "xl/workbook.xml" not in names and "content.xml" not in names:
            result.reject_file(Issue(f"the zip holds {names}, not {expected}", value=", ".join(names),
                                     rule="wrong_zip_member"))
            return None
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(content))
    except Exception as exc:  # calamine raises its own error types for what it cannot read
        damaged = content.startswith(ZIP_MAGIC)
        result.reject_file(Issue(f"{'a damaged workbook' if damaged else 'not ' + expected}: it cannot be opened "
                                 f"({exc})", rule="truncated_file" if damaged else "wrong_file_type"))
        return None


def read_csv_records(content: bytes, result: ParseResult) -> tuple[str, list[list[str]]] | None:
    """A CSV's text and records; None after recording why not (a zip — an .xlsx, say — not UTF-8, empty). A blank
    line holds no row but keeps its place, as an empty record: the rows after it keep their numbers in the file (a
    spreadsheet's row numbers), so a problem is reported where a person opening the file finds it. Callers skip the
    empty records (`rows_in`); blank lines at the end are dropped."""
    if content.startswith(ZIP_MAGIC):
        archive = open_zip(content, result)
        if archive is not None:
            names = archive.namelist()
            result.reject_file(Issue(f"a zip archive holding {names[:10]} where a CSV file was expected",
                                     value=", ".join(names[:10]), rule="wrong_file_type"))
        return None
    text = decode_text(content, result.file, result.issues)
    if text is None:
        return None
    records = csv_records(text)
    while records and not records[-1]:
        records.pop()
    if not records:
        result.reject_file(Issue("the file is empty: no header and no rows", rule="empty_file"))
        return None
    return text, records


def rows_in(records: list[list[str]]) -> int:
    """How many rows these records hold: blank lines are not rows."""
    return sum(1 for record in records if record)


def first_row_at(records: list[list[str]]) -> int:
    """The index of the first record that is not a blank line (the header, where a file has one)."""
    return next((i for i, record in enumerate(records) if record), len(records))


def drop_truncated(text: str, records: list[list[str]], width: int, result: ParseResult, first_row: int) -> list:
    """A last line cut short in transfer: no line end after it, and fewer fields than the layout (or a quote left
    open). That row is quarantined (`truncated_record`) and the file refused (`truncated_file`): rows after it may
    be lost. Returns the records without it."""
    if not records or text.endswith(("\n", "\r")):
        return records
    last_line = text[max(text.rfind("\n"), text.rfind("\r")) + 1:]
    if len(records[-1]) >= width and last_line.count('"') % 2 == 0:
        return records  # a complete last row without a final line end: nothing lost
    row = first_row + len(records) - 1
    result.quarantine_row(row, records[-1], [Issue(
        f"the last row is cut short: {len(records[-1])} of {width} fields and no line end", row, value=last_line[-80:],
        rule="truncated_record")])
    result.issues.append(Issue(f"the file looks truncated: its last line (row {row}) ends without a line end, "
                               f"part-way through a row; rows after it may be missing", row=row, whole_file=True,
                               rule="truncated_file"))
    return records[:-1]


def detect_layout(header: list[str], layouts: dict[str, list[str]]) -> tuple[str | None, str]:
    """The known layout whose columns are exactly this header, or None and what differs from the closest."""
    cleaned = [h.strip().lstrip("\ufeff") for h in header]
    for name, columns in layouts.items():
        if cleaned == columns:
            return name, ""
    name, columns = max(layouts.items(), key=lambda item: len(set(item[1]) & set(cleaned)))
    missing = [c for c in columns if c not in cleaned]
    unexpected = [c for c in cleaned if c not in columns]
    order = "" if missing or unexpected else " (the same columns in another order)"
    return None, f"closest known layout {name}: missing {missing or 'none'}, unexpected {unexpected or 'none'}{order}"


def open_csv_with_layout(content: bytes, result: ParseResult, layouts: dict[str, list[str]]):
    """Decode a CSV with a header row and match the header to a known layout. Returns (column positions, data
    records, the first data record's row in the file; a blank line is an empty record, not a row) — or None after
    recording why not (not UTF-8, empty, unknown layout: every data row quarantined with it, header only). A last
    row cut short is quarantined here and the file refused."""
    read = read_csv_records(content, result)
    if read is None:
        return None
    text, records = read
    at = first_row_at(records)   # blank lines before the header are not rows either
    header, data, first = records[at], records[at + 1:], at + 2
    result.rows = rows_in(data)
    layout, difference = detect_layout(header, layouts)
    if layout is None:
        result.reject_file(Issue(f"unknown layout: {difference}", row=at + 1, rule="unknown_layout"), data,
                           first_row=first)
        return None
    result.layout = layout
    if not result.rows:
        result.reject_file(Issue("a header and no data rows", row=at + 1, rule="header_only"))
        return None
    return ({name: i for i, name in enumerate(layouts[layout])},
            drop_truncated(text, data, len(header), result, first), first)


def key_problem(raw: str, row: int, column: str, what: str) -> Issue | None:
    """A key or date cell must hold a value: empty is `empty_key`, and a missing-value marker (`*`, `-`, `..`, `:`)
    is `missing_marker_in_key` — markers are allowed only in number columns, where they mean NULL."""
    text = raw.strip()
    if not text:
        return Issue(f"{what} is empty", row, column, raw, rule="empty_key")
    if text in MISSING_MARKERS:
        return Issue(f"missing-value marker {text!r} in {what}: markers are allowed only in number columns, never in "
                     "a key or a date", row, column, text, rule="missing_marker_in_key")
    return None


def future_date_problem(period_end, row: int, column: str, raw: str, as_at: date) -> Issue | None:
    """Statistics for a period are published after it ends, so a period ending after the day of the check is a wrong
    date."""
    if period_end > as_at:
        return Issue(f"{raw} is in the future (the period ends after the day of the check, {as_at}): data cannot "
                     "exist for it yet", row, column, raw, rule="future_date")
    return None


def read_numbers(record: list[str], position: dict[str, int], columns: dict[str, str], row: int, value: dict,
                 problems: list[Issue], markers, signed: frozenset[str] = frozenset()) -> None:
    """Each published column → value[out] (a number, or None with value[out + "_missing_reason"] for a marker, never
    0); anything else, or a negative where the column cannot be (not in `signed`), is a problem naming the cell."""
    for column, out in columns.items():
        raw = record[position[column]]
        try:
            number, reason = parse_number(raw)
        except ValueError:
            problems.append(Issue(f"{raw!r} is not a number or a missing-value marker", row, column, raw,
                                  rule="not_a_number"))
            continue
        if number is not None and number < 0 and out not in signed:
            problems.append(Issue(f"{raw} is negative", row, column, raw, rule="negative_value"))
        if reason:
            markers[raw.strip() or "(empty)"] += 1
        value[out], value[f"{out}_missing_reason"] = number, reason
