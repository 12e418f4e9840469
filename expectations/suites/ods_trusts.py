"""The parsed ODS trusts (etr.csv) as a whole, before any model is built on them.

The row rules — codes, names, region and ICB codes in shape, dates, close not before open, one row per code — are
the parser's (orchestration/feeds/ods/layouts.py); not repeated here. What is left needs the whole file.
"""
from expectations.suites.rules import WARNING, between, not_null

NAME = "ods_trusts"
TYPES = {"organisation_code": "str", "name": "str", "national_grouping": "str", "high_level_health_geography": "str",
         "open_date": "date", "close_date": "date"}


def build(context):
    return [
        # Almost every trust sits in an English health economy; a large share without one means a broken column.
        not_null("high_level_health_geography", mostly=0.9),
        # England has about 210 open trusts; far fewer or far more is a caution (a partial or a different file).
        between("open_trusts", 150, 300, WARNING),
    ]


def derive(frame, context):
    return frame.assign(open_trusts=int(frame["close_date"].isna().sum()))
