"""Known answers: the CQC ratings principles (cqc_aggregated_rating macro) on worked examples, through real dbt."""
import pytest

from tests.models.dbt_show import dbt_show

O, G, RI, I = "Outstanding", "Good", "Requires improvement", "Inadequate"
NOT_RATED = "Inspected but not rated"

# (underlying ratings, the aggregate the principles give, why)
EXAMPLES = {
    "all_good": ([G, G, G, G, G], G, "all Good"),
    "one_ri": ([G, RI, G, G, G], G, "Good allows at most one RI"),
    "two_ri": ([G, RI, RI, G, G], RI, "two or more RI give RI"),
    "one_inadequate": ([G, G, I, G, G], RI, "Good needs no Inadequate; one Inadequate is not yet Inadequate"),
    "two_inadequate": ([G, I, I, G, O], I, "two or more Inadequate give Inadequate"),
    "two_outstanding": ([O, O, G, G, G], O, "two Outstanding, the rest Good"),
    "one_outstanding": ([O, G, G, G, G], G, "one Outstanding is not enough"),
    "outstanding_with_ri": ([O, O, O, RI, G], G, "Outstanding needs the rest Good"),
    "non_ratings_ignored": ([O, O, G, NOT_RATED, G], O, "a non-rating is not a rating"),
    "only_non_ratings": ([NOT_RATED, "No published rating"], "No published rating", "nothing rated"),
    "large_set_quarter": ([O] * 3 + [G] * 9, O, "beyond 8 ratings: a quarter Outstanding (3 of 12)"),
    "large_set_too_few": ([O] * 2 + [G] * 10, G, "beyond 8 ratings: 2 of 12 is under a quarter"),
    "single_outstanding": ([O], O, "one rating only: it is the aggregate"),
}


@pytest.fixture(scope="module")
def aggregated(tmp_path_factory):
    values = ", ".join(f"('{case}', '{rating}')" for case, (ratings, _, _) in EXAMPLES.items() for rating in ratings)
    inline = (f"select case_id, {{{{ cqc_aggregated_rating('rating') }}}} as aggregate_rating "
              f"from (values {values}) as t(case_id, rating) group by case_id")
    rows = dbt_show(inline, tmp_path_factory.mktemp("home"))
    return {row["case_id"]: row["aggregate_rating"] for row in rows}


@pytest.mark.parametrize("case", EXAMPLES)
def test_the_ratings_principles_on_worked_examples(aggregated, case):
    ratings, expected, why = EXAMPLES[case]
    assert aggregated[case] == expected, why
