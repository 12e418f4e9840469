"""The parsed ONS ICB names and codes: the health economies."""
from expectations.suites.rules import WARNING, matches, not_null, rows_between, unique

NAME = "ods_icbs"
TYPES = {"icb_ods_code": "str", "icb_ons_code": "str", "icb_name": "str"}


def build(context):
    return [
        not_null("icb_ods_code"), unique("icb_ods_code"), matches("icb_ods_code", r"^Q[A-Z0-9]{2}$"),
        not_null("icb_ons_code"), unique("icb_ons_code"), matches("icb_ons_code", r"^E54\d{6}$"),
        not_null("icb_name"), unique("icb_name"),
        matches("icb_name", r"Integrated Care Board$", WARNING),
        # 42 ICBs from July 2022; 12 merged into 6 in April 2026: anything far outside is a caution.
        rows_between(30, 50, WARNING),
    ]
