"""The parsed ONS ICB names and codes (the health economies) as a whole.

The row rules — ODS and ONS codes in shape, a name, each of the three unique, names ending "Integrated Care
Board" (a caution) — are the parser's (orchestration/feeds/ods/layouts.py); not repeated here.
"""
from expectations.suites.rules import WARNING, rows_between

NAME = "ods_icbs"
TYPES = {"icb_ods_code": "str", "icb_ons_code": "str", "icb_name": "str"}


def build(context):
    return [
        # 42 ICBs from July 2022; 12 merged into 6 in April 2026: anything far outside is a caution.
        rows_between(30, 50, WARNING),
    ]
