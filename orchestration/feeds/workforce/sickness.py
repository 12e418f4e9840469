"""NHS Sickness Absence Rates, monthly CSV (FEEDS.md §3b), one row per organisation and month.

Non-trust organisations (ICBs, CSUs, national bodies under the QZZ pseudo-region, private companies) are kept:
which rows are trusts is decided later by joining to ODS, not by ORG_TYPE (community interest companies report
as "Community Provider Trust").
"""
from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from datetime import datetime

import pyarrow as pa

from orchestration.feeds.report import Issue, ParseResult, display_name, open_csv_with_layout, read_numbers

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
# The published rate is 100 × lost / available rounded to two decimals; allow for either rounding rule.
RATE_TOLERANCE = 0.005 + 1e-9
# A statistical feed of ~300 organisations: up to 1% of rows may be quarantined before the file is refused.
MAX_QUARANTINED_SHARE = 0.01


def parse_sickness(content: bytes, file: str = "sickness.csv") -> ParseResult:
    result = ParseResult(file=display_name(file), kind="sickness-absence", layout=None, valid=pa.table({}),
                         max_quarantined_share=MAX_QUARANTINED_SHARE)
    opened = open_csv_with_layout(content, result, LAYOUTS)
    if opened is None:
        return result
    position, data = opened

    parsed: dict[int, dict] = {}
    by_key: dict[tuple, list[int]] = defaultdict(list)
    markers: Counter = Counter()
    rates_checked = 0
    for row, record in enumerate(data, start=2):
        problems: list[Issue] = []
        if len(record) != len(position):
            problems.append(Issue(f"expected {len(position)} columns, found {len(record)}", row=row))
        else:
            value = {out: record[position[col]].strip() for col, out in TEXT_COLUMNS.items()}
            raw_date = record[position["DATE"]].strip()
            try:
                month_end = datetime.strptime(raw_date, "%d/%m/%Y").date()
                value["month_end"] = month_end
                if month_end.day != calendar.monthrange(month_end.year, month_end.month)[1]:
                    result.issues.append(Issue(f"date {raw_date} is not a month end", row, "DATE", raw_date, "warning"))
            except ValueError:
                problems.append(Issue(f"date {raw_date!r} is not DD/MM/YYYY", row, "DATE", raw_date))
            if not value["org_code"]:
                problems.append(Issue("organisation code is empty", row, "ORG_CODE"))
            read_numbers(record, position, NUMBER_COLUMNS, row, value, problems, markers)
            if not problems:
                rates_checked += _check_rate(value, row, problems)
        if problems:
            result.issues.extend(problems)
            result.quarantined.append({"row": row, "record": ",".join(record), "reason": "; ".join(
                f"column {p.column}: {p.message}" if p.column else p.message for p in problems)})
            continue
        parsed[row] = value
        by_key[(value["month_end"], value["org_code"])].append(row)

    for (month_end, code), rows in by_key.items():
        if len(rows) > 1:
            for r in rows:
                result.issues.append(Issue(f"duplicate organisation {code} for {month_end} (rows {rows})", r, "ORG_CODE", code))
                result.quarantined.append({"row": r, "reason": "column ORG_CODE: duplicate organisation and month",
                                           "record": ",".join(data[r - 2])})
                del parsed[r]
    result.quarantined.sort(key=lambda q: q["row"])

    rows = [dict(v, _source_row=r) for r, v in sorted(parsed.items())]
    schema = {"month_end": pa.date32(), **{c: pa.string() for c in TEXT_COLUMNS.values()}}
    for out in NUMBER_COLUMNS.values():
        schema[out], schema[f"{out}_missing_reason"] = pa.float64(), pa.string()
    schema["_source_row"] = pa.int64()
    result.valid = pa.table({name: pa.array([r[name] for r in rows], t) for name, t in schema.items()})
    months = sorted({r["month_end"].isoformat() for r in rows})
    if len(months) > 1:
        result.issues.append(Issue(f"a monthly file holding {len(months)} months: {months}", severity="warning"))
    result.notes = {
        "months": months,
        "organisations_by_type": dict(Counter(r["org_type"] for r in rows).most_common()),
        "national_bodies_qzz": sum(1 for r in rows if r["region_code"] == "QZZ"),
        "missing_markers": dict(markers),
        "rates_cross_checked": rates_checked,
    }
    return result


def _check_rate(value: dict, row: int, problems: list[Issue]) -> bool:
    """Rate = 100 × lost / available, to two decimals. True when the check could be made."""
    lost, available, rate = (value[c] for c in NUMBER_COLUMNS.values())
    if lost is None or available is None or rate is None:
        return False
    if available == 0:
        if lost != 0:
            problems.append(Issue(f"{lost} days lost out of 0 days available", row, "FTE_DAYS_AVAILABLE", "0"))
        return False
    expected = 100 * lost / available
    if abs(expected - rate) > RATE_TOLERANCE:
        problems.append(Issue(f"rate {rate} is not 100 × {lost} / {available} = {expected:.4f} (to two decimals)",
                              row, "SICKNESS_ABSENCE_RATE_PERCENT", str(rate)))
    return True
