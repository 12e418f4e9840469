"""The parsed NHS Sickness Absence Rates of one monthly release, against its release: what needs context.

The row rules — dates, organisation codes (and, with ODS, trusts closed before the month or opened after it),
numbers, rates within 0–100 and equal to 100 × lost / available, lost within available, one row per organisation
and month, the region code — are the parser's (orchestration/feeds/workforce/sickness.py); not repeated here.
"""
from expectations.suites.rules import WARNING, between, days_before, volume_band

NAME = "workforce_sickness"
TYPES = {"month_end": "date", "org_code": "str", "org_type": "str", "fte_days_lost": "float",
         "fte_days_available": "float", "sickness_absence_rate_percent": "float"}


def build(context):
    return [
        between("days_before_publication", 0, None),             # no month after the release's publication
        between("days_before_publication", None, 185, WARNING),  # freshness: about a quarter's lag is usual
        volume_band(context.previous_rows, 0.8, 1.25),           # organisations reporting, against the last release
    ]


def derive(frame, context):
    return frame.assign(
        days_before_publication=days_before(context.published_on, frame["month_end"]) if context.published_on else None,
    )
