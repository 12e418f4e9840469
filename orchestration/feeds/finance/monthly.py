"""The monthly in-year finance return (FEEDS.md §4b) — **restricted** management information.

No public per-trust monthly file exists; this is the platform's own return (simulator/finance.py documents it):
one row per trust and month, year-to-date figures in £000, enough for the five finance metrics of DOMAIN.md.
"""
from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from datetime import date, datetime

import pyarrow as pa

from orchestration.feeds.reference import OdsTrusts
from orchestration.feeds.report import (Issue, ParseResult, display_name, future_date_problem, key_problem,
                                        open_csv_with_layout, read_numbers)

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
SCHEMA = pa.schema([
    ("org_code", pa.string()), ("org_name", pa.string()), ("financial_year", pa.string()),
    ("month_number", pa.int32()), ("period_end", pa.date32()),
    *((name, kind) for out in NUMBERS.values()
      for name, kind in ((out, pa.float64()), (f"{out}_missing_reason", pa.string()))),
    ("_source_row", pa.int64()),
])
MAX_QUARANTINED_SHARE = 0.0  # a return per trust: any bad row stops the month, to be resubmitted
LIQUIDITY_DAYS_PLAUSIBLE = 365  # beyond a year either way is surely a units slip: a caution


def parse_finance_monthly(content: bytes, file: str = "finance_return.csv", reference: OdsTrusts | None = None,
                          *, as_at: date) -> ParseResult:
    """With `reference` (ODS trusts), a code that is not a trust, or a trust closed before the period, is
    quarantined: only trusts make this return. A period ending after `as_at` (the day of the check) too."""
    result = ParseResult(file=display_name(file), kind="finance-monthly", layout=None, valid=pa.table({}),
                         max_quarantined_share=MAX_QUARANTINED_SHARE, notes={"access": "restricted"})
    opened = open_csv_with_layout(content, result, LAYOUTS)
    if opened is None:
        return result
    position, data, first = opened
    parsed: dict[int, dict] = {}
    by_key: dict[tuple, list[int]] = defaultdict(list)
    markers: Counter = Counter()
    for row, record in enumerate(data, start=first):
        if not record:   # a blank line: no row
            continue
        if len(record) != len(position):
            result.quarantine_row(row, record, [Issue(f"expected {len(position)} columns, found {len(record)}", row,
                                                      rule="column_count")])
            continue
        problems: list[Issue | None] = []
        cell = {column: record[i].strip() for column, i in position.items()}
        value = {"org_code": cell["Org Code"], "org_name": cell["Org Name"], "financial_year": cell["Financial Year"]}
        value["period_end"] = _period_end(cell["Period End"], row, problems, as_at)
        problems.append(key_problem(cell["Org Code"], row, "Org Code", "organisation code"))
        if problems[-1] is None and reference is not None and value["period_end"] is not None:
            period_end = value["period_end"]
            problems.append(reference.problem(value["org_code"], period_end.replace(day=1), period_end,
                                              f"{period_end:%B %Y}", row, "Org Code", trusts_only=True))
        problems.append(key_problem(cell["Month Number"], row, "Month Number", "month number"))
        if problems[-1] is None:
            try:
                value["month_number"] = int(cell["Month Number"])
            except ValueError:
                problems.append(Issue(f"{cell['Month Number']!r} is not a whole number", row, "Month Number",
                                      cell["Month Number"], rule="not_a_number"))
            else:
                if not 1 <= value["month_number"] <= 12:
                    problems.append(Issue(f"month number {value['month_number']} is outside 1–12", row,
                                          "Month Number", cell["Month Number"], rule="out_of_range"))
                elif value["period_end"] is not None and value["month_number"] != _fiscal_month(value["period_end"]):
                    problems.append(Issue(
                        f"month number {value['month_number']} is not the financial year's month of the period "
                        f"ending {cell['Period End']} ({_fiscal_month(value['period_end'])}: April is 1)", row,
                        "Month Number", cell["Month Number"], rule="out_of_range"))
        problems = [p for p in problems if p is not None]
        read_numbers(record, position, NUMBERS, row, value, problems, markers, frozenset(SIGNED))
        liquidity = value.get("liquidity_days")
        if liquidity is not None and abs(liquidity) > LIQUIDITY_DAYS_PLAUSIBLE:  # a caution: the row is kept
            result.issues.append(Issue(f"liquidity of {liquidity} days is more than a year either way: a units slip?",
                                       row, "Liquidity Days", cell["Liquidity Days"], "warning", rule="out_of_range"))
        if problems:
            result.quarantine_row(row, record, problems)
            continue
        parsed[row] = dict(value, _source_row=row)
        by_key[(value["org_code"], value["period_end"])].append(row)

    # two returns for one trust and period: neither can be trusted, so both are held back for resubmission
    for row in result.quarantine_duplicates(by_key, "Org Code", "return for", lambda r: data[r - first],
                                            value_of=lambda key: key[0],
                                            label_of=lambda key: f"{key[0]} in {key[1]:%B %Y}"):
        del parsed[row]
    rows = [v for _, v in sorted(parsed.items())]
    result.valid = pa.Table.from_pylist(rows, schema=SCHEMA)
    result.notes.update({"periods": sorted({r["period_end"].isoformat() for r in rows}), "trusts": len(rows),
                         "missing_markers": dict(markers)})
    if reference is not None:
        result.notes["organisations_checked_against"] = reference.source
    return result


def _fiscal_month(period_end: date) -> int:
    return (period_end.month - 4) % 12 + 1


def _period_end(raw: str, row: int, problems: list, as_at: date) -> date | None:
    problem = key_problem(raw, row, "Period End", "period end date")
    if problem is None:
        try:
            period_end = datetime.strptime(raw, "%d/%m/%Y").date()
        except ValueError:
            problem = Issue(f"{raw!r} is not DD/MM/YYYY", row, "Period End", raw, rule="date_format")
        else:
            if period_end.day != calendar.monthrange(period_end.year, period_end.month)[1]:
                problem = Issue("period end is not a month end", row, "Period End", raw, rule="not_month_end")
            else:
                problem = future_date_problem(period_end, row, "Period End", raw, as_at)
            if problem is None:
                return period_end
    problems.append(problem)
    return None
