"""The parsed NHS Workforce Statistics, Staff Group and Organisation, of one cumulative release, against its
release: freshness and volume (millions of rows: only the month column is read).

The row rules — dates, codes, staff groups and their sort orders, data types, values never negative, one row per
month, organisation, staff group and data type, trusts closed before the month — are the parser's, checked
column-wise (orchestration/feeds/workforce/staff_group.py); not repeated here.
"""
from expectations.suites.rules import WARNING, between, days_before, volume_band

NAME = "workforce_staff_group"
TYPES = {"month_end": None}
COLUMNS = ["month_end"]


def build(context):
    return [
        between("days_before_publication", 0, None),             # no month after the release's publication
        between("latest_month_lag_days", None, 185, WARNING),    # freshness of the newest month
        # A cumulative series only grows: fewer rows than the last release means months went missing.
        volume_band(context.previous_rows, 0.98, 1.25),
    ]


def derive(frame, context):
    lag = None
    if context.published_on:  # a few hundred months across millions of rows: compute each month once
        months = frame["month_end"].drop_duplicates()
        lag = frame["month_end"].map(dict(zip(months, days_before(context.published_on, months))))
    return frame.assign(
        days_before_publication=lag,
        latest_month_lag_days=lag.min() if lag is not None else None,
    )
