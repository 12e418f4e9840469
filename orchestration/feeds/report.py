"""What a parser found in one feed file: valid rows, quarantined rows with reasons, and issues.

Every row read is accounted for: rows = rows_valid + rows_quarantined. Issues name the file, the row
(1-based record number in the file, the header counting as row 1 where there is one) and the column.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

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

    def describe(self, file: str) -> str:
        where = file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f" column {self.column}"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message,
                "scope": "file" if self.whole_file else "row"}


@dataclass
class ParseResult:
    file: str
    kind: str
    layout: str | None
    valid: pa.Table
    rows: int = 0
    quarantined: list[dict] = field(default_factory=list)  # {"row", "reason", "record"}
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

    def quarantine_table(self) -> pa.Table:
        return pa.table({
            "source_row": pa.array([q["row"] for q in self.quarantined], pa.int64()),
            "reason": pa.array([q["reason"] for q in self.quarantined], pa.string()),
            "record": pa.array([q["record"] for q in self.quarantined], pa.string()),
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


def decode_text(content: bytes, file: str, issues: list[Issue]) -> str | None:
    """UTF-8 (a BOM is dropped); Windows-1252 as a reported fallback; None if neither fits."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = content[: exc.start].count(b"\n") + 1
        try:
            text = content.decode("cp1252")
        except UnicodeDecodeError:
            issues.append(Issue(f"not UTF-8 or Windows-1252 text (byte {exc.start})", row=row, whole_file=True))
            return None
        issues.append(Issue(f"not UTF-8 (byte {exc.start}); read as Windows-1252", row=row, severity="warning"))
        return text


def csv_records(text: str) -> list[list[str]]:
    """CSV records with quoted commas and either line ending (the NHS publishes CRLF and LF)."""
    return list(csv.reader(io.StringIO(text, newline="")))


def display_name(path_or_name: str | Path) -> str:
    return Path(str(path_or_name)).name


def detect_layout(header: list[str], layouts: dict[str, list[str]]) -> tuple[str | None, str]:
    """The known layout whose columns are exactly this header, or None and what differs from the closest."""
    cleaned = [h.strip().lstrip("\ufeff") for h in header]
    for name, columns in layouts.items():
        if cleaned == columns:
            return name, ""
    name, columns = max(layouts.items(), key=lambda item: len(set(item[1]) & set(cleaned)))
    missing = [c for c in columns if c not in cleaned]
    unexpected = [c for c in cleaned if c not in columns]
    return None, f"closest known layout {name}: missing {missing or 'none'}, unexpected {unexpected or 'none'}"


def open_csv_with_layout(content: bytes, result: ParseResult, layouts: dict[str, list[str]]):
    """Decode a CSV with a header row and match the header to a known layout. Returns (column positions, data
    records) — or None after recording why not (empty file, unknown layout: every data row quarantined with it)."""
    text = decode_text(content, result.file, result.issues)
    records = [r for r in (csv_records(text) if text is not None else []) if r]
    if not records:
        result.issues.append(Issue("file is empty: no header and no rows", whole_file=True))
        return None
    header, data = records[0], records[1:]
    result.rows = len(data)
    layout, difference = detect_layout(header, layouts)
    if layout is None:
        result.issues.append(Issue(f"unknown layout: {difference}", row=1, whole_file=True))
        result.quarantined = [{"row": i, "reason": "file rejected", "record": ",".join(r)} for i, r in enumerate(data, 2)]
        return None
    result.layout = layout
    return {name: i for i, name in enumerate(layouts[layout])}, data


def read_numbers(record: list[str], position: dict[str, int], columns: dict[str, str], row: int, value: dict,
                 problems: list[Issue], markers, signed: frozenset[str] = frozenset()) -> None:
    """Each published column → value[out] (a number, or None with value[out + "_missing_reason"] for a marker, never
    0); anything else, or a negative where the column cannot be (not in `signed`), is a problem naming the cell."""
    from orchestration.feeds.missing import parse_number

    for column, out in columns.items():
        raw = record[position[column]]
        try:
            number, reason = parse_number(raw)
        except ValueError:
            problems.append(Issue(f"{raw!r} is not a number or a missing-value marker", row, column, raw))
            continue
        if number is not None and number < 0 and out not in signed:
            problems.append(Issue(f"{raw} is negative", row, column, raw))
        if reason:
            markers[raw.strip() or "(empty)"] += 1
        value[out], value[f"{out}_missing_reason"] = number, reason
