"""Known answers: the five finance metrics' scores at and around every band boundary, and the overall score."""
import pytest

from tests.models.dbt_show import dbt_show

# metric → [(value, score)] — DOMAIN.md bands, boundaries as the seed documents them
CASES = {
    "capital_service_capacity": [(3.0, 1), (2.51, 1), (2.5, 2), (1.75, 2), (1.74, 3), (1.25, 3), (1.24, 4), (-1, 4)],
    "liquidity_days": [(5, 1), (0.1, 1), (0, 2), (-7, 2), (-7.1, 3), (-14, 3), (-14.1, 4)],
    "income_expenditure_margin": [(1.5, 1), (1.01, 1), (1, 2), (0, 2), (-0.5, 3), (-0.99, 3), (-1, 4), (-3, 4)],
    "distance_from_plan": [(0.5, 1), (0, 1), (-0.5, 2), (-1, 3), (-1.5, 3), (-2, 4), (-5, 4)],
    "agency_spend_above_ceiling": [(-10, 1), (0, 1), (0.1, 2), (25, 2), (25.1, 3), (50, 3), (50.1, 4)],
}
VERSIONS = ("v1", "v2")
# metric scores → overall: the mean rounded (halves up); any 4 makes it at least 3
OVERALL = [((1, 1, 1, 1, 1), 1), ((1, 2, 2, 1, 1), 1), ((2, 2, 1, 1, 2), 2), ((1, 1, 1, 2, 2), 1),
           ((1, 2, 2, 2, 1), 2), ((1, 1, 1, 1, 4), 3), ((4, 4, 4, 4, 4), 4), ((3, 3, 4, 3, 4), 3), ((2, 3, 3, 2, 3), 3)]


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    parts = [f"select '{version}' as version, '{metric}' as metric, t.value, band.score "
             f"from (select {value} as value) as t "
             f"{{{{ finance_band_join('{metric}', 't.value', 'band', \"'{version}'\") }}}}"
             for version in VERSIONS for metric, cases in CASES.items() for value, _ in cases]
    rows = dbt_show(" union all ".join(parts), home, seeds=("finance_metric_thresholds",))
    by_version = {(r["version"], r["metric"], float(r["value"])): r["score"] for r in rows}
    # every version scores the same bands (DOMAIN.md gives one set; a version that changes them is new seed rows)
    assert {k[1:]: v for k, v in by_version.items() if k[0] == "v1"} == \
           {k[1:]: v for k, v in by_version.items() if k[0] == "v2"}
    metrics = {k[1:]: v for k, v in by_version.items() if k[0] == "v2"}
    columns = ["s1", "s2", "s3", "s4", "s5"]
    rows = ", ".join(f"({n}, {', '.join(map(str, scores))})" for n, (scores, _) in enumerate(OVERALL))
    overall = dbt_show(f"select n, {{{{ overall_finance_score({columns}) }}}} as overall "
                       f"from (values {rows}) as t(n, {', '.join(columns)})", home)
    return metrics, {r["n"]: r["overall"] for r in overall}


@pytest.mark.parametrize("metric, value, expected", [(m, v, s) for m, cases in CASES.items() for v, s in cases])
def test_every_metric_band_boundary(scored, metric, value, expected):
    assert scored[0][(metric, float(value))] == expected


@pytest.mark.parametrize("n", range(len(OVERALL)))
def test_overall_finance_score(scored, n):
    scores, expected = OVERALL[n]
    assert scored[1][n] == expected, scores
