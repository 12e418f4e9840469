"""Workforce feeds in their published formats (FEEDS.md §3): the monthly sickness absence CSV."""
from __future__ import annotations

import calendar
import csv
import io
import random
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from simulator.england import England

SICKNESS_HEADER = ["DATE", "NHSE_REGION_CODE", "NHSE_REGION_NAME", "ICS_CODE", "ICS_NAME", "ORG_CODE", "ORG_NAME",
                   "ORG_TYPE", "FTE_DAYS_LOST", "FTE_DAYS_AVAILABLE", "SICKNESS_ABSENCE_RATE_PERCENT"]
ORG_TYPE = {"acute": "Acute", "mental_health": "Mental Health", "community": "Community Provider Trust",
            "ambulance": "Ambulance"}
QZZ = ("QZZ", "Special Health Authorities and other statutory bodies")
# Non-trust organisations the real file mixes in: national bodies and CSUs under the QZZ pseudo-region.
NATIONAL_BODIES = [
    ("0AR", "NHS Northmoor Commissioning Support Unit", "Commissioning Support Unit", 1700),
    ("0DF", "NHS Southdale, Central and West Commissioning Support Unit", "Commissioning Support Unit", 1800),
    ("T1450", "NHS Business Services Authority", "Others", 4700),
    ("T1460", "NHS Blood and Transplant", "Others", 5600),
    ("X24", "NHS England", "Others", 18000),
    ("Z1E5K", "Health Services Safety Investigations Body", "Others", 40),  # small enough to be suppressed
]


def sickness_months(as_of: date, count: int) -> list[date]:
    """The latest `count` month ends published by as_of (sickness absence is published about four months on)."""
    year, month = as_of.year, as_of.month - 4
    ends = []
    for _ in range(count):
        while month < 1:
            year, month = year - 1, month + 12
        ends.append(date(year, month, calendar.monthrange(year, month)[1]))
        month -= 1
    return sorted(ends)


def _title(name: str) -> str:
    return name.title().replace("Nhs", "NHS").replace(" And ", " and ")


def _ics_name(icb_name: str) -> str:
    return icb_name.removeprefix("NHS ").removesuffix(" Integrated Care Board")


def _rate_text(lost: float, available: float) -> str:
    return str(Decimal(repr(100 * lost / available)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def sickness_rows(england: England, month_end: date) -> list[list[str]]:
    rng = random.Random(f"{england.scale}:{england.seed}:sickness:{month_end.isoformat()}")
    days = month_end.day
    winter = 0.8 if month_end.month in (12, 1, 2) else 0.0
    regions = {r.code: r for r in england.regions}
    icbs = {i.code: i for i in england.icbs}
    stamp = month_end.strftime("%d/%m/%Y")

    def figures(fte: float, rate_percent: float) -> tuple[str, str, str]:
        available = fte * days * rng.uniform(0.96, 1.0)
        lost = available * max(rate_percent, 0.5) / 100
        # five decimals as published, with the float noise a spreadsheet export leaves behind
        available = round(available, 5) + rng.choice([0.0, 0.0, 0.0, -1e-11, 1e-11])
        lost = round(lost, 5)
        return repr(lost), repr(available), _rate_text(lost, available)

    rows = []
    for trust in england.trusts:
        open_at_month = trust.open_date <= month_end and (trust.close_date is None or trust.close_date > month_end)
        if not (trust.icb and open_at_month):
            continue
        region, icb = regions[trust.region], icbs[trust.icb]
        rate = 4.9 + 0.6 * trust.condition + winter + rng.gauss(0, 0.25)
        rows.append([stamp, region.code, region.name, icb.code, _ics_name(icb.name), trust.code, _title(trust.name),
                     ORG_TYPE[trust.kind], *figures(trust.fte, rate)])
    for icb in england.icbs:
        region = regions[icb.region]
        name = f"NHS {_ics_name(icb.name)} ICB"
        rows.append([stamp, region.code, region.name, icb.code, _ics_name(icb.name), icb.code, name,
                     "Integrated Care Board", *figures(rng.uniform(300, 700), 3.1 + rng.gauss(0, 0.3))])
    for code, name, org_type, fte in NATIONAL_BODIES:
        lost, available, rate = figures(fte, 3.4 + rng.gauss(0, 0.4))
        if fte < 50:  # small numbers are suppressed, not zero
            lost, rate = "*", "*"
        rows.append([stamp, *QZZ, *QZZ, code, name, org_type, lost, available, rate])
    rows.sort(key=lambda r: (r[1] != "QZZ", r[1], r[3], r[5]))
    return rows


def write_sickness(england: England, month_end: date, path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # published with CRLF line endings
    writer.writerow(SICKNESS_HEADER)
    writer.writerows(sickness_rows(england, month_end))
    path.write_bytes(buffer.getvalue().encode("utf-8"))
