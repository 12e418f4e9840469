"""The monthly in-year finance return (FEEDS.md §4b) — **restricted** management information.

No public per-trust monthly file exists; this is the platform's own return (simulator/finance.py documents it):
one row per trust and month, year-to-date figures in £000, enough for the five finance metrics of DOMAIN.md.
"""
from __future__ import annotations

import calendar
from collections import Counter
from datetime import datetime

import pyarrow as pa

from orchestration.feeds.report import Issue, ParseResult, display_name, open_csv_with_layout, read_numbers

NUMBERS = {
    "YTD Plan Surplus (£000)": "ytd_plan_surplus", "YTD Actual Surplus (£000)": "ytd_actual_surplus",
    "YTD Operating Income (£000)": "ytd_operating_income", "YTD Agency Spend (£000)": "ytd_agency_spend",
    "YTD Agency Ceiling (£000)": "ytd_agency_ceiling", "Cash (£000)": "cash",
    "Daily Operating Expenditure (£000)": "daily_operating_expenditure", "Liquidity Days": "liquidity_days",
    "Revenue Available For Capital Service (£000)": "revenue_available_for_capital_service",
    "Capital Service (£000)": "capital_service",
}
# Figures that can be negative (a deficit, a liquidity shortfall); every other figure must be ≥ 0.
SIGNED = {"ytd_plan_surplus", "ytd_actual_surplus", "liquidity_days", "revenue_available_for_capital_service"}
LAYOUTS = {"oversight-finance-return-v1": ["Org Code", "Org Name", "Financial Year", "Month Number", "Period End",
                                           *NUMBERS]}
MAX_QUARANTINED_SHARE = 0.0  # a return per trust: any bad row stops the month, to be resubmitted


def parse_finance_monthly(content: bytes, file: str = "finance_return.csv") -> ParseResult:
    result = ParseResult(file=display_name(file), kind="finance-monthly", layout=None, valid=pa.table({}),
                         max_quarantined_share=MAX_QUARANTINED_SHARE, notes={"access": "restricted"})
    opened = open_csv_with_layout(content, result, LAYOUTS)
    if opened is None:
        return result
    position, data = opened
    rows, seen, markers = [], {}, Counter()
    for index, record in enumerate(data, start=2):
        problems = []
        if len(record) != len(position):
            problems.append(Issue(f"expected {len(position)} columns, found {len(record)}", index))
        else:
            value = {"org_code": record[0].strip(), "org_name": record[1].strip(), "financial_year": record[2].strip()}
            try:
                period_end = datetime.strptime(record[position["Period End"]].strip(), "%d/%m/%Y").date()
                value["period_end"] = period_end
                if period_end.day != calendar.monthrange(period_end.year, period_end.month)[1]:
                    problems.append(Issue("period end is not a month end", index, "Period End", record[4]))
            except ValueError:
                problems.append(Issue(f"{record[4]!r} is not DD/MM/YYYY", index, "Period End", record[4]))
            try:
                value["month_number"] = int(record[position["Month Number"]])
                if not 1 <= value["month_number"] <= 12:
                    raise ValueError
            except ValueError:
                problems.append(Issue(f"{record[3]!r} is not a month number 1–12", index, "Month Number", record[3]))
            if not value["org_code"]:
                problems.append(Issue("organisation code is empty", index, "Org Code"))
            read_numbers(record, position, NUMBERS, index, value, problems, markers, frozenset(SIGNED))
            key = (value.get("org_code"), value.get("period_end"))
            if not problems and key in seen:
                problems.append(Issue(f"a second return for {key[0]} in this period (row {seen[key]})", index, "Org Code"))
        if problems:
            result.issues.extend(problems)
            result.quarantined.append({"row": index, "record": ",".join(record), "reason": "; ".join(
                f"column {p.column}: {p.message}" if p.column else p.message for p in problems)})
            continue
        seen[key] = index
        rows.append(dict(value, _source_row=index))
    schema = {"org_code": pa.string(), "org_name": pa.string(), "financial_year": pa.string(),
              "month_number": pa.int32(), "period_end": pa.date32()}
    for out in NUMBERS.values():
        schema[out], schema[f"{out}_missing_reason"] = pa.float64(), pa.string()
    schema["_source_row"] = pa.int64()
    result.valid = pa.table({name: pa.array([r[name] for r in rows], kind) for name, kind in schema.items()})
    result.notes.update({"periods": sorted({r["period_end"].isoformat() for r in rows}), "trusts": len(rows),
                         "missing_markers": dict(markers)})
    return result
