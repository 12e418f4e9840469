"""The CQC suites' cross-field rule applies the same ratings principles as the warehouse's dbt macro: on every
worked example of up to eight ratings (a location's five key questions), the two give the same aggregate."""
import pytest

from expectations.suites.cqc_principles import aggregated_rating
from tests.models.test_cqc_aggregation import EXAMPLES

SMALL_SETS = {case: example for case, example in EXAMPLES.items() if len(example[0]) <= 8}


@pytest.mark.parametrize("case", SMALL_SETS)
def test_python_principles_agree_with_the_worked_examples(case):
    ratings, expected, why = SMALL_SETS[case]
    assert aggregated_rating(ratings) == expected, why


def test_the_examples_cover_every_outcome():
    assert {expected for _, expected, _ in SMALL_SETS.values()} == {
        "Outstanding", "Good", "Requires improvement", "Inadequate", "No published rating"}
