"""The parsed in-year finance returns of one month (restricted data)."""
from expectations.suites.rules import (WARNING, between, days_before, holds, not_null, ods_trust_status, unique,
                                       volume_band)

NAME = "finance_monthly"
TYPES = {"org_code": "str", "period_end": "date", "month_number": "int", "ytd_actual_surplus": "float",
         "ytd_operating_income": "float", "ytd_agency_spend": "float", "ytd_agency_ceiling": "float"}


def build(context):
    return [
        not_null("org_code"), unique("period_end", "org_code"), not_null("period_end"),
        between("month_number", 1, 12), holds("month_number_matches_period"),
        between("ytd_operating_income", 0, None), between("ytd_agency_spend", 0, None),
        between("ytd_agency_ceiling", 0, None), between("capital_service", 0, None),
        between("daily_operating_expenditure", 0, None),
        between("liquidity_days", -365, 365, WARNING),               # a year either way is surely a units slip
        between("days_before_publication", 0, None),                 # no return for a month not yet ended
        holds("trust_open_in_month"),                                 # returns come from open trusts only
        volume_band(context.previous_rows, 0.9, 1.1),                 # every trust returns every month
    ]


def derive(frame, context):

    period = frame["period_end"]
    fiscal_month = period.map(lambda d: (d.month - 4) % 12 + 1 if d is not None else None)
    month_start = period.map(lambda d: d.replace(day=1) if d is not None else None)
    return frame.assign(
        month_number_matches_period=(fiscal_month == frame["month_number"]),
        days_before_publication=days_before(context.published_on, period) if context.published_on else None,
        trust_open_in_month=ods_trust_status(frame["org_code"], month_start, period, context.ods_trusts,
                                             trusts_only=True),
    )
