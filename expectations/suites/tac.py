"""The parsed Trust Accounts Consolidation data of one financial year (long format, £000): what needs the whole
release or the one before.

The row rules — organisation codes in shape (with ODS: trusts only, open in the year), subcodes, values numbers or
markers, one row per organisation, subcode, main code and row number, one financial year — are the parser's
(orchestration/feeds/finance/tac.py); not repeated here.
"""
from expectations.suites.rules import WARNING, not_null, volume_band

NAME = "tac"
TYPES = {"financial_year": "str", "org_code": "str", "subcode": "str", "value_gbp_thousands": "float"}


def build(context):
    return [
        not_null("value_gbp_thousands", WARNING, mostly=0.95),   # markers become NULL with a reason: not too many
        volume_band(context.previous_rows, 0.7, 1.4),             # subcodes change between years: a wide band
    ]
