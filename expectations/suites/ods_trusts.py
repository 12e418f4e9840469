"""What must hold for the parsed ODS trusts (etr.csv) before any model is built on them."""
import great_expectations as gx
import great_expectations.expectations as gxe

NAME = "ods_trusts"


def build() -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name=NAME)
    for expectation in [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToNotBeNull(column="organisation_code"),
        gxe.ExpectColumnValuesToBeUnique(column="organisation_code"),
        gxe.ExpectColumnValuesToMatchRegex(column="organisation_code", regex=r"^[A-Z0-9]{3,6}$"),
        gxe.ExpectColumnValuesToNotBeNull(column="name"),
        gxe.ExpectColumnValuesToNotBeNull(column="open_date"),
        # NHS England regions are Y-codes; trusts outside England have none (NULL is allowed).
        gxe.ExpectColumnValuesToMatchRegex(column="national_grouping", regex=r"^Y\d{2}$"),
        gxe.ExpectColumnValuesToMatchRegex(column="high_level_health_geography", regex=r"^Q[A-Z0-9]{2}$"),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="close_date", column_B="open_date", or_equal=True, ignore_row_if="either_value_is_missing"),
        # Almost every trust sits in an English health economy; a large share without one means a broken column.
        gxe.ExpectColumnValuesToNotBeNull(column="high_level_health_geography", mostly=0.9),
    ]:
        suite.add_expectation(expectation)
    return suite
