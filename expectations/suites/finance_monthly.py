"""The parsed in-year finance returns of one month (restricted data), against the release: what needs context.

The row rules — organisation codes (with ODS: trusts only, open in the month), the period end a month end, the
month number that period's, figures numbers and never negative where they cannot be, one return per trust and
month — are the parser's (orchestration/feeds/finance/monthly.py); not repeated here.
"""
from expectations.suites.rules import days_before, between, volume_band

NAME = "finance_monthly"
TYPES = {"org_code": "str", "period_end": "date", "month_number": "int", "ytd_actual_surplus": "float",
         "ytd_operating_income": "float", "ytd_agency_spend": "float", "ytd_agency_ceiling": "float"}


def build(context):
    return [
        between("days_before_publication", 0, None),                 # no return for a month not yet ended
        volume_band(context.previous_rows, 0.9, 1.1),                 # every trust returns every month
    ]


def derive(frame, context):
    return frame.assign(
        days_before_publication=days_before(context.published_on, frame["period_end"]) if context.published_on
        else None,
    )
