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
from tests.integration.support import SHORT_GRID, environment, oversight

MARTS = ["dim_trust", "dim_health_economy", "fct_trust_quality", "fct_trust_workforce",
         "fct_trust_workforce_by_staff_group", "fct_trust_finance", "fct_trust_failure_scale", "fct_economy_condition",
         "rpt_economy_trust_link", "rpt_finance_quality_link", "rpt_pockets_of_poor_care", "rpt_ratings_trend",
         "rpt_calibration"]


STRENGTHS = (0.6, 0.0)
# The run with the effect keeps the grid back to 2014: its tests read that history (level 5 by duration). The tests
# of the run without it read only the link reports' months it can be measured in, the last six — the same months
# and intervals on a two-year grid (compared on 2 December 2026), built in half the CPU time.
GRIDS = {0.6: {}, 0.0: SHORT_GRID}


def national_run(strength: float, root, prepared) -> dict:
    feeds = root / "feeds"
    env = environment(root / "home", **GRIDS[strength])
    # the workforce series from 2025 only: the analysis reads its recent months, and the run stays quick
    simulated = oversight(env, "simulate", "--scale", "national", "--seed", "1", "--economy-strength", str(strength),
                          "--workforce-from", "2025", "--out", str(feeds))
    assert simulated.returncode == 0, simulated.stderr[-3000:]
    env["OVERSIGHT_FEEDS_URL"] = feeds.resolve().as_uri()
    run = oversight(env, "run", timeout=1200)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    with duckdb.connect(str(root / "home" / "serving" / "oversight.duckdb"), read_only=True) as db:
        return {
            # the latest version's tables in the months they can be measured: the reporting grid reaches back to
            # 2014, before the finance returns and sickness figures that classify economies and finance existed
            **{name: db.execute(f"select period, or_ci_low, or_ci_high from {report} where methodology_version = "
                                f"'v2' and estimable").fetchall()
               for name, report in (("economy", "rpt_economy_trust_link"), ("finance", "rpt_finance_quality_link"))},
            "rows": {m: db.execute(f"select count(*) from {m}").fetchone()[0] for m in MARTS},
            # level 5 by duration, met on the grid that reaches back to 2014: (version, trust, period, months)
            "sustained": db.execute("select methodology_version, trust_code, period, criterion_value "
                                    "from fct_trust_failure_scale_criteria where criterion = "
                                    "'serious_failure_sustained' and status = 'met'").fetchall(),
            "levels": {(v, t, p): level for v, t, p, level in db.execute(
                "select methodology_version, trust_code, period, level from fct_trust_failure_scale").fetchall()},
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


def test_level_five_by_duration_occurs_and_is_found(with_effect):
    """DOMAIN.md, "Methodology v2" → History: on the default national simulation (seed 1), whose CQC history runs
    from 2014, trusts reach level 5 because level 4 was sustained for 12 months — under both versions, in the latest
    month too — each after twelve published months at level 4 or more."""
    sustained, levels = with_effect["sustained"], with_effect["levels"]
    latest = max(p for _, _, p in levels)
    periods = sorted({p for _, _, p in levels})
    assert {v for v, *_ in sustained} == {"v1", "v2"}
    assert any(p == latest for _, _, p, _ in sustained)
    for version, trust, period, months in sustained:
        index = periods.index(period)
        assert int(months) >= 12 and levels[(version, trust, period)] == 5
        assert all(levels.get((version, trust, p), 0) >= 4 for p in periods[max(0, index - 11):index + 1])
