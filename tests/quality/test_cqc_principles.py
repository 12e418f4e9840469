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


def _group_frame(groups: dict[str, tuple[list[str], str]]):
    """One location per group: its key questions' ratings and an Overall row holding `overall`."""
    import pandas as pd
    rows = []
    for location, (key_questions, overall) in groups.items():
        rows += [{"location_id": location, "domain": f"KQ{i}", "rating": r} for i, r in enumerate(key_questions)]
        rows.append({"location_id": location, "domain": "Overall", "rating": overall})
    return pd.DataFrame(rows)


def test_the_column_wise_rule_marks_each_overall_as_the_principles_give_it():
    """The suites' column-wise rule, on every worked example laid out as a location (with its expected overall, and
    with an overall one step off): True, False, or NULL where there is nothing to judge."""
    from expectations.suites.cqc_principles import RATINGS, overall_follows_principles

    groups = {}
    for case, (ratings, expected, _) in SMALL_SETS.items():
        groups[f"{case}/right"] = (ratings, expected if expected in RATINGS else "Good")
        wrong = next(r for r in RATINGS if r != expected)
        groups[f"{case}/wrong"] = (ratings, wrong)
    groups["no key questions"] = ([], "Good")
    groups["overall not a rating"] = (["Good", "Good"], "Not rated")
    frame = _group_frame(groups)
    marked = overall_follows_principles(frame, ["location_id"])
    overall = frame["domain"] == "Overall"
    assert marked[~overall].isna().all()          # only Overall rows are judged
    got = dict(zip(frame.loc[overall, "location_id"], marked[overall]))
    for case, (ratings, expected, _) in SMALL_SETS.items():
        judged = expected != "No published rating"
        assert got[f"{case}/right"] == (True if judged else None), case
        assert got[f"{case}/wrong"] == (False if judged else None), case
    assert got["no key questions"] is None and got["overall not a rating"] is None


def test_the_column_wise_rule_equals_the_rule_group_by_group_on_a_random_release():
    import numpy as np
    import pandas as pd

    from expectations.suites.cqc_principles import overall_follows_principles

    rng = np.random.default_rng(7)
    words = ["Outstanding", "Good", "Requires improvement", "Inadequate", "Not rated", "Inspected but not rated"]
    frame = pd.DataFrame({
        "location_id": rng.integers(0, 400, 6000).astype(str),
        "group": rng.choice(["Overall", "Urgent care", None], 6000),
        "domain": rng.choice(["Overall", "Safe", "Effective", "Caring", "Responsive", "Well-led"], 6000),
        "rating": rng.choice(words, 6000, p=[.2, .35, .2, .15, .05, .05]),
    })
    marked = overall_follows_principles(frame, ["location_id", "group"])
    keys = list(zip(frame["location_id"], frame["group"].fillna("")))
    key_questions = {}
    for k, d, r in zip(keys, frame["domain"], frame["rating"]):
        if d != "Overall":
            key_questions.setdefault(k, []).append(r)
    for at in np.flatnonzero(frame["domain"].to_numpy() == "Overall"):
        kq = key_questions.get(keys[at], [])
        want = aggregated_rating(kq)
        expected = None if want == "No published rating" or frame["rating"][at] not in words[:4] \
            else frame["rating"][at] == want
        assert marked[at] == expected, (keys[at], kq, frame["rating"][at])
