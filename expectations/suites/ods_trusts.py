"""The parsed ODS trusts (etr.csv), before any model is built on them."""
from expectations.suites.rules import WARNING, between, matches, not_null, rows_between, unique

NAME = "ods_trusts"
TYPES = {"organisation_code": "str", "name": "str", "national_grouping": "str", "high_level_health_geography": "str",
         "open_date": "date", "close_date": "date"}


def build(context):
    import great_expectations.expectations as gxe

    return [
        rows_between(1, None),
        not_null("organisation_code"),
        unique("organisation_code"),
        matches("organisation_code", r"^[A-Z0-9]{3,6}$"),
        not_null("name"),
        not_null("open_date"),
        # NHS England regions are Y-codes; trusts outside England have none (NULL is allowed).
        matches("national_grouping", r"^Y\d{2}$"),
        matches("high_level_health_geography", r"^Q[A-Z0-9]{2}$"),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="close_date", column_B="open_date", or_equal=True,
                                                    ignore_row_if="either_value_is_missing", severity="critical"),
        # Almost every trust sits in an English health economy; a large share without one means a broken column.
        not_null("high_level_health_geography", mostly=0.9),
        # England has about 210 open trusts; far fewer or far more is a caution (a partial or a different file).
        between("open_trusts", 150, 300, WARNING),
    ]


def derive(frame, context):
    return frame.assign(open_trusts=int(frame["close_date"].isna().sum()))
