"""Must show (issue 4): on the national simulation the analysis finds what the simulator planted, and nothing when
nothing was planted. Two real `oversight run`s at national scale, differing only in the planted economy effect:
  - with it (economy strength 0.6), the odds ratio's 95% CI lies above 1 in most months;
  - with it set to zero, the CI contains 1 in most months.
The finance↔quality link the simulator plants in both is found in both. The two runs go side by side, with the
suite's other heavy runs (tests/early.py).
"""
from functools import partial

import duckdb
import pytest

from tests.early import early_run
from tests.integration.support import environment, oversight

MARTS = ["dim_trust", "dim_health_economy", "fct_trust_quality", "fct_trust_workforce",
         "fct_trust_workforce_by_staff_group", "fct_trust_finance", "fct_trust_failure_scale", "fct_economy_condition",
         "rpt_economy_trust_link", "rpt_finance_quality_link", "rpt_pockets_of_poor_care", "rpt_ratings_trend",
         "rpt_calibration"]


STRENGTHS = (0.6, 0.0)


def national_run(strength: float, root, prepared) -> dict:
    feeds = root / "feeds"
    env = environment(root / "home")
    # the workforce series from 2025 only: the analysis reads its recent months, and the run stays quick
    simulated = oversight(env, "simulate", "--scale", "national", "--seed", "1", "--economy-strength", str(strength),
                          "--workforce-from", "2025", "--out", str(feeds))
    assert simulated.returncode == 0, simulated.stderr[-3000:]
    env["OVERSIGHT_FEEDS_URL"] = feeds.resolve().as_uri()
    run = oversight(env, "run", timeout=1200)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    with duckdb.connect(str(root / "home" / "serving" / "oversight.duckdb"), read_only=True) as db:
        return {
            "economy": db.execute("select period, or_ci_low, or_ci_high from rpt_economy_trust_link").fetchall(),
            "finance": db.execute("select period, or_ci_low, or_ci_high from rpt_finance_quality_link").fetchall(),
            "rows": {m: db.execute(f"select count(*) from {m}").fetchone()[0] for m in MARTS},
            "trusts": db.execute("select count(*) from dim_trust where is_open and icb_code is not null").fetchone()[0],
        }


for _strength in STRENGTHS:
    early_run(f"national-{_strength}", fixture="national_runs")(partial(national_run, _strength))


@pytest.fixture(scope="module")
def national_runs(early_runs) -> dict[float, dict]:
    """Both runs at once: each is a separate `oversight` process with its own home."""
    return {strength: early_runs.result(f"national-{strength}") for strength in STRENGTHS}


@pytest.fixture(scope="module")
def with_effect(national_runs):
    return national_runs[0.6]


@pytest.fixture(scope="module")
def without_effect(national_runs):
    return national_runs[0.0]


def test_with_the_economy_effect_the_odds_ratio_ci_lies_above_one_in_most_months(with_effect):
    months = with_effect["economy"]
    above = [period for period, low, _ in months if low > 1]
    assert len(months) >= 5 and len(above) > len(months) / 2, months


def test_without_the_economy_effect_the_odds_ratio_ci_contains_one_in_most_months(without_effect):
    months = without_effect["economy"]
    containing = [period for period, low, high in months if low <= 1 <= high]
    assert len(months) >= 5 and len(containing) > len(months) / 2, months


def test_the_planted_finance_quality_link_is_found(with_effect, without_effect):
    for run in (with_effect, without_effect):
        months = run["finance"]
        assert len([p for p, low, _ in months if low > 1]) > len(months) / 2, months


def test_every_mart_is_built_at_national_scale(with_effect):
    assert all(rows > 0 for rows in with_effect["rows"].values()), with_effect["rows"]
    assert with_effect["trusts"] > 150
