"""The parsed NHS Sickness Absence Rates of one monthly release."""
from expectations.suites.rules import (WARNING, between, days_before, holds, matches, not_null, ods_trust_status,
                                       unique, volume_band)

NAME = "workforce_sickness"
TYPES = {"month_end": "date", "org_code": "str", "org_type": "str", "fte_days_lost": "float",
         "fte_days_available": "float", "sickness_absence_rate_percent": "float"}
RATE_TOLERANCE = 0.005 + 1e-9   # published to two decimals


def build(context):
    return [
        not_null("month_end"), not_null("org_code"), unique("month_end", "org_code"),
        between("fte_days_lost", 0, None), between("fte_days_available", 0, None),
        between("sickness_absence_rate_percent", 0, 100),
        holds("lost_within_available"),
        between("rate_discrepancy", 0, RATE_TOLERANCE),          # rate = 100 × lost / available
        between("days_before_publication", 0, None),             # no month after the release's publication
        between("days_before_publication", None, 185, WARNING),  # freshness: about a quarter's lag is usual
        holds("trust_open_in_month"),                            # a trust ODS had closed by then cannot report
        matches("region_code", r"^(?:Y\d{2}|QZZ)$", WARNING),
        between("months_in_file", 1, 1, WARNING),                # a monthly file holds one month
        volume_band(context.previous_rows, 0.8, 1.25),           # organisations reporting, against the last release
    ]


def derive(frame, context):
    lost, available = frame["fte_days_lost"], frame["fte_days_available"]
    month_start = frame["month_end"].map(lambda d: d.replace(day=1) if d is not None else None)
    return frame.assign(
        lost_within_available=(lost <= available).where(lost.notna() & available.notna(), None),
        rate_discrepancy=(frame["sickness_absence_rate_percent"] - 100 * lost / available.where(available > 0)).abs(),
        days_before_publication=days_before(context.published_on, frame["month_end"]) if context.published_on else None,
        trust_open_in_month=ods_trust_status(frame["org_code"], month_start, frame["month_end"], context.ods_trusts),
        months_in_file=frame["month_end"].nunique(),
    )
