"""Known answers: the dbt link_statistics macro (RR, OR, 95% CIs, Fisher's exact p) equals SciPy on the same tables.

The macro runs through real dbt on DuckDB (`dbt show --inline`), over 2×2 tables of the sizes the platform sees.
"""
import math
import random

import pytest
from scipy.stats import fisher_exact
from scipy.stats.contingency import odds_ratio, relative_risk

from tests.models.dbt_show import dbt_show

Z = 1.959963984540054


def _cases() -> list[tuple[str, int, int, int, int]]:
    rng = random.Random(20261122)
    cases = [("known", 10, 5, 20, 30), ("small", 3, 1, 1, 3), ("zero_a", 0, 7, 12, 40), ("zero_d", 6, 4, 9, 0),
             ("balanced", 8, 8, 8, 8), ("national", 14, 9, 37, 151),
             # an empty row or column: nothing classified, no trust failing, every trust failing, no economy failing
             ("empty", 0, 0, 0, 0), ("none_failing", 0, 0, 12, 40), ("all_failing", 5, 9, 0, 0),
             ("no_failing_economy", 0, 6, 0, 30)]
    for n in range(12):
        cases.append((f"random_{n:02d}", *(rng.randint(0, 60) for _ in range(4))))
    return cases


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    values = ", ".join(f"('{p}', {a}, {b}, {c}, {d})" for p, a, b, c, d in _cases())
    inline = (f"with cases as (select * from (values {values}) as t(period, a, b, c, d)) "
              "select * from ({{ link_statistics('cases') }}) as s")
    rows = dbt_show(inline, tmp_path_factory.mktemp("home"))
    return {row["period"]: row for row in rows}


@pytest.mark.parametrize("period, a, b, c, d", _cases())
def test_link_statistics_equal_scipy(computed, period, a, b, c, d):
    row = computed[period]
    assert (row["n_failing_in_failing"], row["n_failing_in_other"], row["n_ok_in_failing"], row["n_ok_in_other"]) \
        == (a, b, c, d)
    assert row["fisher_p"] == pytest.approx(fisher_exact([[a, b], [c, d]]).pvalue, rel=1e-9, abs=1e-12)
    if a + b:
        assert row["share_failing_in_failing_economies"] == pytest.approx(a / (a + b))
    estimable = min(a + b, c + d, a + c, b + d) > 0
    assert row["estimable"] is estimable
    if not estimable:  # SciPy's ratios are NaN here (or it refuses): no 1 that would read as "no link"
        assert math.isnan(odds_ratio([[a, b], [c, d]], kind="sample").statistic)
        assert all(row[k] is None for k in ("relative_risk", "rr_ci_low", "rr_ci_high", "odds_ratio", "or_ci_low",
                                             "or_ci_high"))
    elif 0 not in (a, b, c, d):
        result = odds_ratio([[a, b], [c, d]], kind="sample")
        interval = result.confidence_interval(0.95)
        assert (row["odds_ratio"], row["or_ci_low"], row["or_ci_high"]) == pytest.approx(
            (result.statistic, interval.low, interval.high), rel=1e-9)
        risk = relative_risk(a, a + c, b, b + d)
        interval = risk.confidence_interval(0.95)
        assert (row["relative_risk"], row["rr_ci_low"], row["rr_ci_high"]) == pytest.approx(
            (risk.relative_risk, interval.low, interval.high), rel=1e-9)
    else:  # a zero cell: 0.5 added to every cell (DOMAIN.md), then the same Woolf and Katz intervals
        ca, cb, cc, cd = (x + 0.5 for x in (a, b, c, d))
        odds = ca * cd / (cb * cc)
        se = math.sqrt(1 / ca + 1 / cb + 1 / cc + 1 / cd)
        assert (row["odds_ratio"], row["or_ci_low"], row["or_ci_high"]) == pytest.approx(
            (odds, odds * math.exp(-Z * se), odds * math.exp(Z * se)), rel=1e-9)
        rr = (ca / (ca + cc)) / (cb / (cb + cd))
        se = math.sqrt(1 / ca - 1 / (ca + cc) + 1 / cb - 1 / (cb + cd))
        assert (row["relative_risk"], row["rr_ci_low"], row["rr_ci_high"]) == pytest.approx(
            (rr, rr * math.exp(-Z * se), rr * math.exp(Z * se)), rel=1e-9)
