"""Known answers for the marts' suites where a bound depends on a scale: the ratings trend's mean score is on CQC's
0 (Inadequate) … 3 (Outstanding) scale, so a year of mostly Requires improvement (below 1) is real, and above 3 is not.
Found by the quick benchmark's small England, whose 2017 mean was 0.95 and stopped the run."""
import pyarrow as pa
import pytest

from expectations.registry import MART_SUITES, validate


def _trend(mean_score: float) -> pa.Table:
    return pa.table({"publication_year": [2021, 2022], "mean_score": [mean_score, 2.0],
                     "share_good_or_outstanding": [0.2, 0.7], "in_five_year_window": [True, True]})


@pytest.mark.parametrize("mean_score", [0.0, 0.95, 3.0])
def test_a_mean_on_the_0_to_3_scale_passes(mean_score):
    outcome = validate(_trend(mean_score), MART_SUITES["rpt_ratings_trend"])
    assert not outcome.blocking, outcome.summary()


@pytest.mark.parametrize("mean_score", [-0.1, 3.2])
def test_a_mean_off_the_scale_is_blocking(mean_score):
    outcome = validate(_trend(mean_score), MART_SUITES["rpt_ratings_trend"])
    assert outcome.blocking and "mean_score" in str(outcome.summary())
