"""The parsed NHS Workforce Statistics, Staff Group and Organisation, of one cumulative release (millions of rows:
only the columns the rules need are read, and the repeating ones stay dictionary-encoded)."""
from orchestration.feeds.workforce.staff_group import DATA_TYPES, STAFF_GROUPS
from expectations.suites.rules import WARNING, between, days_before, holds, not_null, one_of, volume_band

NAME = "workforce_staff_group"
TYPES = {"month_end": None, "org_code": None, "staff_group": None, "data_type": None, "value": "float"}
COLUMNS = ["month_end", "org_code", "staff_group_sort_order", "staff_group", "data_type", "value"]


def build(context):
    return [
        not_null("month_end"), not_null("org_code"),
        one_of("staff_group", STAFF_GROUPS.values()),
        one_of("staff_group_sort_order", STAFF_GROUPS.keys()),
        holds("sort_order_matches_group"),
        one_of("data_type", DATA_TYPES),
        between("value", 0, None),                               # FTE and headcount are never negative
        between("days_before_publication", 0, None),             # no month after the release's publication
        between("latest_month_lag_days", None, 185, WARNING),    # freshness of the newest month
        # A cumulative series only grows: fewer rows than the last release means months went missing.
        volume_band(context.previous_rows, 0.98, 1.25),
    ]


def derive(frame, context):
    groups = frame["staff_group"].astype("string")
    orders = frame["staff_group_sort_order"].astype("string")
    lag = None
    if context.published_on:  # a few hundred months across millions of rows: compute each month once
        months = frame["month_end"].drop_duplicates()
        lag = frame["month_end"].map(dict(zip(months, days_before(context.published_on, months))))
    return frame.assign(
        sort_order_matches_group=orders.map(STAFF_GROUPS).eq(groups),
        days_before_publication=lag,
        latest_month_lag_days=lag.min() if lag is not None else None,
    )
