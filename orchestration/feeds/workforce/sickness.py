"""NHS Sickness Absence Rates, monthly CSV (FEEDS.md §3b), one row per organisation and month.

Non-trust organisations (ICBs, CSUs, national bodies under the QZZ pseudo-region, private companies) are kept:
which rows are trusts is decided later by joining to ODS, not by ORG_TYPE (community interest companies report
as "Community Provider Trust").
"""
from __future__ import annotations

import calendar
import re
from collections import Counter, defaultdict
from datetime import date, datetime

import pyarrow as pa

from orchestration.feeds.reference import OdsTrusts
from orchestration.feeds.report import (Issue, ParseResult, display_name, future_date_problem, key_problem,
                                        open_csv_with_layout, read_numbers)

LAYOUTS = {
    "nhs-sickness-absence-2024": [
        "DATE", "NHSE_REGION_CODE", "NHSE_REGION_NAME", "ICS_CODE", "ICS_NAME", "ORG_CODE", "ORG_NAME", "ORG_TYPE",
        "FTE_DAYS_LOST", "FTE_DAYS_AVAILABLE", "SICKNESS_ABSENCE_RATE_PERCENT",
    ],
}
TEXT_COLUMNS = {
    "NHSE_REGION_CODE": "region_code", "NHSE_REGION_NAME": "region_name", "ICS_CODE": "ics_code",
    "ICS_NAME": "ics_name", "ORG_CODE": "org_code", "ORG_NAME": "org_name", "ORG_TYPE": "org_type",
}
NUMBER_COLUMNS = {
    "FTE_DAYS_LOST": "fte_days_lost", "FTE_DAYS_AVAILABLE": "fte_days_available",
    "SICKNESS_ABSENCE_RATE_PERCENT": "sickness_absence_rate_percent",
}
# The valid rows: one per organisation and month, each measure NULL with its reason where the file suppressed it.
SCHEMA = pa.schema([
    ("month_end", pa.date32()), *((c, pa.string()) for c in TEXT_COLUMNS.values()),
    *((name, kind) for out in NUMBER_COLUMNS.values()
      for name, kind in ((out, pa.float64()), (f"{out}_missing_reason", pa.string()))),
    ("_source_row", pa.int64()),
])
# The published rate is 100 × lost / available rounded to two decimals; allow for either rounding rule.
RATE_TOLERANCE = 0.005 + 1e-9
# NHS England regions (Y56 London …), or the pseudo-region of the national bodies
REGION_CODE = re.compile(r"^(?:Y\d{2}|QZZ)$")
# A statistical feed of ~300 organisations: up to 1% of rows may be quarantined before the file is refused.
MAX_QUARANTINED_SHARE = 0.01


def parse_sickness(content: bytes, file: str = "sickness.csv", reference: OdsTrusts | None = None,
                   *, as_at: date) -> ParseResult:
    """With `reference` (ODS trusts), a trust that had closed before the row's month (or opened after it) is
    quarantined; codes ODS does not know as trusts are fine here (ICBs, CSUs, companies). A month ending after
    `as_at` (the day of the check) is quarantined."""
    result = ParseResult(file=display_name(file), kind="sickness-absence", layout=None, valid=pa.table({}),
                         max_quarantined_share=MAX_QUARANTINED_SHARE)
    opened = open_csv_with_layout(content, result, LAYOUTS)
    if opened is None:
        return result
    position, data, first = opened

    parsed: dict[int, dict] = {}
    by_key: dict[tuple, list[int]] = defaultdict(list)
    markers: Counter = Counter()
    rates_checked = 0
    for row, record in enumerate(data, start=first):
        if not record:   # a blank line: no row
            continue
        problems: list[Issue] = []
        if len(record) != len(position):
            result.quarantine_row(row, record, [Issue(f"expected {len(position)} columns, found {len(record)}",
                                                      row=row, rule="column_count")])
            continue
        value = {out: record[position[col]].strip() for col, out in TEXT_COLUMNS.items()}
        raw_date = record[position["DATE"]].strip()
        value["month_end"] = _month_end(raw_date, row, problems, result, as_at)
        problem = key_problem(record[position["ORG_CODE"]], row, "ORG_CODE", "organisation code")
        if problem is None and reference is not None and value["month_end"] is not None:
            month_end = value["month_end"]
            problem = reference.problem(value["org_code"], month_end.replace(day=1), month_end, f"{month_end:%B %Y}",
                                        row, "ORG_CODE", trusts_only=False)
        if problem is not None:
            problems.append(problem)
        read_numbers(record, position, NUMBER_COLUMNS, row, value, problems, markers)
        if not problems:
            rates_checked += _check_rate(value, row, problems)
        if not REGION_CODE.match(value["region_code"]):  # a caution: the row is kept
            result.issues.append(Issue(f"region code {value['region_code']!r} is neither an NHS England region (Y56…) "
                                       "nor the national bodies' QZZ", row, "NHSE_REGION_CODE", value["region_code"],
                                       "warning", rule="code_format"))
        if problems:
            result.quarantine_row(row, record, problems)
            continue
        parsed[row] = value
        by_key[(value["month_end"], value["org_code"])].append(row)

    for row in result.quarantine_duplicates(by_key, "ORG_CODE", "organisation", lambda r: data[r - first],
                                            value_of=lambda key: key[1], label_of=lambda key: f"{key[1]} for {key[0]}"):
        del parsed[row]

    rows = [dict(v, _source_row=r) for r, v in sorted(parsed.items())]
    result.valid = pa.Table.from_pylist(rows, schema=SCHEMA)
    months = sorted({r["month_end"].isoformat() for r in rows})
    if len(months) > 1:
        result.issues.append(Issue(f"a monthly file holding {len(months)} months: {months}", severity="warning",
                                   rule="several_months"))
    result.notes = {
        "months": months,
        "organisations_by_type": dict(Counter(r["org_type"] for r in rows).most_common()),
        "national_bodies_qzz": sum(1 for r in rows if r["region_code"] == "QZZ"),
        "missing_markers": dict(markers),
        "rates_cross_checked": rates_checked,
    }
    if reference is not None:
        result.notes["organisations_checked_against"] = reference.source
    return result


def _month_end(raw: str, row: int, problems: list[Issue], result: ParseResult, as_at: date) -> date | None:
    problem = key_problem(raw, row, "DATE", "date")
    if problem is None:
        try:
            month_end = datetime.strptime(raw, "%d/%m/%Y").date()
        except ValueError:
            problem = Issue(f"date {raw!r} is not DD/MM/YYYY", row, "DATE", raw, rule="date_format")
        else:
            if month_end.day != calendar.monthrange(month_end.year, month_end.month)[1]:
                result.issues.append(Issue(f"date {raw} is not a month end", row, "DATE", raw, "warning",
                                           rule="not_month_end"))
            problem = future_date_problem(month_end, row, "DATE", raw, as_at)
            if problem is None:
                return month_end
    problems.append(problem)
    return None


def _check_rate(value: dict, row: int, problems: list[Issue]) -> bool:
    """Rate within 0–100, lost ≤ available, and rate = 100 × lost / available to two decimals. True when the
    cross-check could be made."""
    lost, available, rate = (value[c] for c in NUMBER_COLUMNS.values())
    if rate is not None and rate > 100:
        problems.append(Issue(f"rate {rate} is outside 0–100", row, "SICKNESS_ABSENCE_RATE_PERCENT", str(rate),
                              rule="out_of_range"))
    if lost is not None and available is not None and lost > available:
        problems.append(Issue(f"{lost} FTE days lost is more than the {available} available", row, "FTE_DAYS_LOST",
                              str(lost), rule="lost_exceeds_available"))
    if lost is None or available is None or rate is None or available == 0:
        return False
    expected = 100 * lost / available
    if abs(expected - rate) > RATE_TOLERANCE:
        problems.append(Issue(f"rate {rate} is not 100 × {lost} / {available} = {expected:.4f} (to two decimals)",
                              row, "SICKNESS_ABSENCE_RATE_PERCENT", str(rate), rule="rate_mismatch"))
    return True
