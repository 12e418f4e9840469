"""The parsed Trust Accounts Consolidation data of one financial year (long format, £000)."""
from expectations.suites.rules import WARNING, holds, matches, not_null, ods_trust_status, unique, volume_band

NAME = "tac"
TYPES = {"financial_year": "str", "org_code": "str", "subcode": "str", "value_gbp_thousands": "float"}


def build(context):
    return [
        not_null("org_code"), matches("org_code", r"^[A-Z0-9]{3}$"), not_null("subcode"),
        matches("financial_year", r"^\d{4}-\d{2}$"), holds("one_financial_year"),
        unique("financial_year", "org_code", "subcode", "main_code", "row_number"),
        not_null("value_gbp_thousands", WARNING, mostly=0.95),   # markers become NULL with a reason, never 0
        holds("trust_open_in_year"),                              # a trust ODS had open in that year
        volume_band(context.previous_rows, 0.7, 1.4),             # subcodes change between years: a wide band
    ]


def derive(frame, context):
    import pandas as pd

    year_start = pd.to_datetime(frame["financial_year"].str.slice(0, 4) + "-04-01", errors="coerce")
    year_end = year_start + pd.DateOffset(years=1, days=-1)
    return frame.assign(one_financial_year=frame["financial_year"].nunique() == 1,
                        trust_open_in_year=ods_trust_status(frame["org_code"], year_start, year_end,
                                                            context.ods_trusts, trusts_only=True))
