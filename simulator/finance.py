"""Trust finance (FEEDS.md §4): annual TAC "All data" workbooks and the monthly restricted in-year return.

Planted: each trust's finance stress is `sqrt(link) × condition + sqrt(1 − link) × own noise` — the same latent
condition the ratings and sickness follow — so finance and quality failure are linked at a strength the
`finance_link` flag sets (0: no link). `finance_truth` gives the stress per trust, for tests only.

The monthly return has no public equivalent; its layout is this platform's definition (one row per trust and month,
year-to-date figures), enough to compute the five finance metrics of DOMAIN.md. It is restricted data.
"""
from __future__ import annotations

import calendar
import csv
import io
import random
from datetime import date, timedelta
from pathlib import Path

from simulator.archives import save_workbook
from simulator.england import England, Trust
from simulator.workforce import _title

SUBCODES_SEED = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "tac_subcodes.csv"
TAC_VALUE_RENAMED = 2019   # from 2019-20 the value column is "Value number"; before, "Total" (simulated change)
TAC_COLUMNS = ["WorkSheetName", "TableID", "MainCode", "RowNumber", "SubCode", "Organisation code",
               "Organisation name"]
MONTHLY_COLUMNS = [
    "Org Code", "Org Name", "Financial Year", "Month Number", "Period End", "YTD Plan Surplus (£000)",
    "YTD Actual Surplus (£000)", "YTD Operating Income (£000)", "YTD Agency Spend (£000)",
    "YTD Agency Ceiling (£000)", "Cash (£000)", "Daily Operating Expenditure (£000)", "Liquidity Days",
    "Revenue Available For Capital Service (£000)", "Capital Service (£000)"]
# Lines of the accounts that are not among the measures the platform maps: written, so the parser sees them.
NOISE_SUBCODES = [("SCI0150", "finance income"), ("SCI0160", "finance expense"), ("SOFP0100", "intangible assets"),
                  ("SOFP0110", "property, plant and equipment"), ("SOFP0260", "cash and cash equivalents")]


def subcode_mapping() -> dict[str, dict[str, str]]:
    """financial year → {measure: subcode} from the seed the pipeline reads too."""
    mapping: dict[str, dict[str, str]] = {}
    with open(SUBCODES_SEED, newline="") as f:
        for row in csv.DictReader(f):
            mapping.setdefault(row["financial_year"], {})[row["measure"]] = row["subcode"]
    return mapping


def financial_year(start_year: int) -> str:
    return f"{start_year}-{str(start_year + 1)[2:]}"


def tac_years(as_of: date, count: int | None = 3) -> list[str]:
    """Financial years whose accounts were published by as_of (TAC data come out in the December after)."""
    last = as_of.year - 1 if as_of >= date(as_of.year, 12, 1) else as_of.year - 2
    years = [financial_year(y) for y in range(2014, last + 1)]
    return years if count is None else years[-count:]


def tac_published(year: str) -> date:
    return date(int(year[:4]) + 1, 12, 1)


def finance_stress(world: England, link: float) -> dict[str, float]:
    if not 0 <= link <= 1:
        raise ValueError(f"finance_link must be between 0 and 1, not {link}")
    rng = random.Random(f"{world.scale}:{world.seed}:finance-stress")
    return {t.code: link ** 0.5 * t.condition + (1 - link) ** 0.5 * rng.gauss(0, 1) for t in world.trusts}


def finance_truth(world: England, link: float = 0.6) -> dict[str, float]:
    return finance_stress(world, link)


def _open_during(trust: Trust, start: date, end: date) -> bool:
    return trust.icb != "" and trust.open_date <= end and (trust.close_date is None or trust.close_date > start)


def _annual(trust: Trust, stress: float, year_start: int, rng: random.Random) -> dict[str, float]:
    """£000 for a year: income from size, margin and agency from the finance stress."""
    growth = 1 + 0.04 * (year_start - 2020)
    income = trust.fte * 62 * growth * rng.uniform(0.95, 1.05)
    margin = 0.004 - 0.018 * stress + rng.gauss(0, 0.006)
    staff = income * rng.uniform(0.6, 0.68)
    agency = staff * max(0.005, 0.035 + 0.02 * stress + rng.gauss(0, 0.006))
    patient_share = rng.uniform(0.86, 0.93)
    surplus = income * margin
    return {"operating_income_patient_care": income * patient_share,
            "other_operating_income": income * (1 - patient_share),
            "operating_expenses": income - surplus - income * 0.01,
            "operating_surplus": surplus + income * 0.01,
            "surplus_for_year": surplus,
            "agency_staff_costs": agency, "total_staff_costs": staff}


def tac_rows(world: England, year: str, link: float = 0.6) -> list[list]:
    start = int(year[:4])
    mapping = subcode_mapping()[year]
    stress = finance_stress(world, link)
    rng = random.Random(f"{world.scale}:{world.seed}:tac:{year}")
    rows = []
    lines = {"operating_income_patient_care": ("SoCI", "1", "SCI0100", 1), "other_operating_income": ("SoCI", "1", "SCI0110", 2),
             "operating_expenses": ("SoCI", "1", "SCI0125", 3), "operating_surplus": ("SoCI", "1", "SCI0140", 4),
             "surplus_for_year": ("SoCI", "1", "SCI0240", 12), "agency_staff_costs": ("Staff", "4", "STA0310", 6),
             "total_staff_costs": ("Staff", "4", "STA0330", 8)}
    for trust in world.trusts:
        if not _open_during(trust, date(start, 4, 1), date(start + 1, 3, 31)):
            continue
        figures = _annual(trust, stress[trust.code], start, rng)
        name = _title(trust.name)
        for measure, value in figures.items():
            sheet, table, main, row_number = lines[measure]
            rows.append([sheet, table, main, row_number, mapping[measure], trust.code, name,
                         round(value, 0) + rng.choice([0.0, 0.0, 1e-9])])  # £000, with spreadsheet float noise
        for code, _ in NOISE_SUBCODES:
            value = "-" if rng.random() < 0.05 else round(abs(rng.gauss(figures["total_staff_costs"] * 0.05, 500)), 0)
            rows.append(["Other", "9", code[:-2], 1, code, trust.code, name, value])
    return rows


def write_tac_year(world: England, year: str, path: Path, link: float = 0.6) -> None:
    from openpyxl import Workbook

    value_column = "Value number" if int(year[:4]) >= TAC_VALUE_RENAMED else "Total"
    book = Workbook(write_only=True)
    notes = book.create_sheet("Notes")
    for line in (["Trust accounts consolidation (TAC) data"], [f"Financial year: {year}"],
                 ["Values are in £000. Foundation trusts and NHS trusts."]):
        notes.append(line)
    data = book.create_sheet("All data")
    data.append([*TAC_COLUMNS, value_column])
    for row in tac_rows(world, year, link):
        data.append(row)
    save_workbook(book, path, tac_published(year))


# --- the monthly in-year return --------------------------------------------------------------------------------------

def finance_months(as_of: date, count: int) -> list[date]:
    """Month ends of the latest `count` returns received by as_of (about three weeks after the month)."""
    ends, year, month = [], as_of.year, as_of.month
    while len(ends) < count:
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        end = date(year, month, calendar.monthrange(year, month)[1])
        if end + timedelta(days=20) <= as_of:
            ends.append(end)
    return sorted(ends)


def return_received(month_end: date) -> date:
    return month_end + timedelta(days=20)


def finance_month_rows(world: England, month_end: date, link: float = 0.6) -> list[list[str]]:
    start_year = month_end.year if month_end.month >= 4 else month_end.year - 1
    month_number = (month_end.month - 4) % 12 + 1
    stress = finance_stress(world, link)
    rows = []
    for trust in world.trusts:
        if not _open_during(trust, month_end.replace(day=1), month_end):
            continue
        annual = _annual(trust, stress[trust.code], start_year, random.Random(
            f"{world.scale}:{world.seed}:finance-plan:{trust.code}:{start_year}"))
        rng = random.Random(f"{world.scale}:{world.seed}:finance-month:{trust.code}:{month_end.isoformat()}")
        share = month_number / 12
        income = annual["operating_income_patient_care"] + annual["other_operating_income"]
        ytd_income = income * share * rng.uniform(0.99, 1.01)
        plan = income * 0.002 * share
        actual = annual["surplus_for_year"] * share + rng.gauss(0, income * 0.002)
        ceiling = annual["agency_staff_costs"] / (1 + max(-0.3, 0.25 * stress[trust.code])) * share
        agency = annual["agency_staff_costs"] * share * rng.uniform(0.95, 1.05)
        daily = annual["operating_expenses"] / 365
        liquidity = 4 - 9 * stress[trust.code] + rng.gauss(0, 3)
        cash = daily * max(2.0, 20 - 6 * stress[trust.code])
        capital_service = income * 0.03 * share
        available = capital_service * max(0.2, 2.2 - 0.9 * stress[trust.code] + rng.gauss(0, 0.2))
        values = [plan, actual, ytd_income, agency, ceiling, cash, daily, liquidity, available, capital_service]
        texts = [repr(round(v, 3)) for v in values]
        if rng.random() < 0.02:
            texts[5] = "-"  # cash not returned this month: not available, never 0
        rows.append([trust.code, _title(trust.name), financial_year(start_year), str(month_number),
                     month_end.strftime("%d/%m/%Y"), *texts])
    return rows


def write_finance_month(world: England, month_end: date, path: Path, link: float = 0.6) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(MONTHLY_COLUMNS)
    writer.writerows(finance_month_rows(world, month_end, link))
    path.write_bytes(buffer.getvalue().encode("utf-8"))
