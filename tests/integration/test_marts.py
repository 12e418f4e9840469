"""The marts of the end-to-end run (small simulated England, seed 7), checked against the simulated files and the
simulator's planted truth — read independently here with the csv module and DOMAIN.md's rules, never from the
pipeline. The published snapshot is what is read: the marts as the API's users get them.
"""
import csv
import json
from datetime import date, datetime

import duckdb
import pytest

# DOMAIN.md finance bands, written out independently of the seed: (score, test) in order
BANDS = {
    "capital_service_capacity": [(1, lambda v: v > 2.5), (2, lambda v: v >= 1.75), (3, lambda v: v >= 1.25),
                                 (4, lambda v: True)],
    "liquidity_days": [(1, lambda v: v > 0), (2, lambda v: v >= -7), (3, lambda v: v >= -14), (4, lambda v: True)],
    "income_expenditure_margin": [(1, lambda v: v > 1), (2, lambda v: v >= 0), (3, lambda v: v > -1),
                                  (4, lambda v: True)],
    "distance_from_plan": [(1, lambda v: v >= 0), (2, lambda v: v > -1), (3, lambda v: v > -2), (4, lambda v: True)],
    "agency_spend_above_ceiling": [(1, lambda v: v <= 0), (2, lambda v: v <= 25), (3, lambda v: v <= 50),
                                   (4, lambda v: True)],
}


def score(metric: str, value: float) -> int:
    return next(s for s, test in BANDS[metric] if test(value))


def overall(scores: list[int]) -> int:
    mean = int(sum(scores) / len(scores) + 0.5)
    return max(3, mean) if 4 in scores else mean


@pytest.fixture(scope="module")
def snapshot(pipeline):
    with duckdb.connect(str(pipeline["home"] / "serving" / "oversight.duckdb"), read_only=True) as db:
        yield db


@pytest.fixture(scope="module")
def latest_period(snapshot):
    return snapshot.execute("select max(period) from fct_trust_failure_scale").fetchone()[0]


def releases(feed_dir) -> list[dict]:
    return json.loads((feed_dir / "releases.json").read_text())["releases"]


def latest_release_by(feed_dir, day: date) -> dict:
    return max((r for r in releases(feed_dir) if date.fromisoformat(r["published"]) <= day),
               key=lambda r: r["published"])


def test_every_mart_is_published(snapshot):
    tables = {r[0] for r in snapshot.execute("select table_name from information_schema.tables").fetchall()}
    assert {"fct_trust_quality", "fct_trust_workforce", "fct_trust_workforce_by_staff_group", "fct_trust_finance",
            "fct_trust_failure_scale", "fct_economy_condition", "rpt_economy_trust_link", "rpt_finance_quality_link",
            "rpt_pockets_of_poor_care", "rpt_ratings_trend", "rpt_calibration"} <= tables


def test_finance_scores_match_the_latest_return_received_by_the_period(pipeline, snapshot, latest_period):
    feed_dir = pipeline["feeds"] / "finance" / "monthly"
    release = latest_release_by(feed_dir, latest_period)
    with open(feed_dir / release["file"], newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    served = {r[0]: r[1:] for r in snapshot.execute(
        "select trust_code, return_period_end, overall_finance_score, income_expenditure_margin_score, "
        "agency_spend_score from fct_trust_finance where period = ?", [latest_period]).fetchall()}
    assert len(served) == len(rows)
    for row in rows:
        number = lambda column: float(row[column])  # noqa: E731
        metrics = {
            "capital_service_capacity": number("Revenue Available For Capital Service (£000)")
            / number("Capital Service (£000)"),
            "liquidity_days": number("Liquidity Days"),
            "income_expenditure_margin": 100 * number("YTD Actual Surplus (£000)") / number("YTD Operating Income (£000)"),
            "distance_from_plan": 100 * (number("YTD Actual Surplus (£000)") - number("YTD Plan Surplus (£000)"))
            / number("YTD Operating Income (£000)"),
            "agency_spend_above_ceiling": 100 * (number("YTD Agency Spend (£000)") - number("YTD Agency Ceiling (£000)"))
            / number("YTD Agency Ceiling (£000)"),
        }
        scores = {m: score(m, v) for m, v in metrics.items()}
        period_end, overall_score, margin_score, agency_score = served[row["Org Code"]]
        assert period_end.strftime("%d/%m/%Y") == row["Period End"]
        assert (overall_score, margin_score, agency_score) == (
            overall(list(scores.values())), scores["income_expenditure_margin"], scores["agency_spend_above_ceiling"])


def test_sickness_rate_and_national_percentile_match_the_latest_published_month(pipeline, snapshot, latest_period):
    feed_dir = pipeline["feeds"] / "workforce" / "sickness"
    release = latest_release_by(feed_dir, latest_period)
    trusts = {r[0] for r in csv.reader(open(pipeline["feeds"] / "ods" / "etr.csv", newline=""))}
    with open(feed_dir / release["file"], newline="", encoding="utf-8") as f:
        rates = {r["ORG_CODE"]: float(r["SICKNESS_ABSENCE_RATE_PERCENT"]) for r in csv.DictReader(f)
                 if r["ORG_CODE"] in trusts}
    ordered = sorted(rates.values())
    served = {r[0]: r[1:] for r in snapshot.execute(
        "select trust_code, sickness_absence_rate_percent, sickness_national_percentile_rank "
        "from fct_trust_workforce where period = ? and sickness_month is not null", [latest_period]).fetchall()}
    assert set(served) == set(rates)
    for code, rate in rates.items():
        assert served[code][0] == pytest.approx(rate)
        assert served[code][1] == pytest.approx(ordered.index(rate) / (len(ordered) - 1))


def test_the_planted_pockets_of_poor_care_are_found(pipeline, snapshot, latest_period):
    truth = json.loads((pipeline["feeds"] / "_truth" / "cqc.json").read_text())
    found = {(r[0], r[1], r[2]) for r in snapshot.execute(
        "select trust_code, location_id, service_name from rpt_pockets_of_poor_care where period = ?",
        [latest_period]).fetchall()}
    expected = {(p["provider_id"], p["location_id"], p["service"]) for p in truth["pockets"]}
    assert expected and expected <= found
    planted_in_good_trusts = {(p["provider_id"], p["location_id"], p["service"]) for p in truth["planted_pockets"]
                              if p["provider_id"] in {e[0] for e in expected}}
    assert planted_in_good_trusts and planted_in_good_trusts <= found


def test_ratings_trend_equals_the_simulated_inspections_with_inherited_excluded(pipeline, snapshot):
    truth = json.loads((pipeline["feeds"] / "_truth" / "cqc.json").read_text())["mean_overall_score_by_year"]
    trend = {int(r[0]): r[1] for r in snapshot.execute(
        "select publication_year, mean_score from rpt_ratings_trend").fetchall()}
    assert {str(y): round(v, 3) for y, v in trend.items()} == truth
    window = snapshot.execute("select publication_year, mean_score, five_year_slope_per_year from rpt_ratings_trend "
                              "where in_five_year_window order by 1").fetchall()
    years, means = [r[0] for r in window], [r[1] for r in window]
    assert years == list(range(max(trend) - 4, max(trend) + 1))
    x_mean, y_mean = sum(years) / 5, sum(means) / 5
    slope = sum((x - x_mean) * (y - y_mean) for x, y in zip(years, means)) / sum((x - x_mean) ** 2 for x in years)
    assert window[0][2] == pytest.approx(slope)


def test_published_trust_ratings_are_the_latest_sheet_releases(pipeline, snapshot, latest_period):
    feed_dir = pipeline["feeds"] / "cqc" / "ratings"
    release = latest_release_by(feed_dir, latest_period)
    sheet = feed_dir / "csv" / release["file"].replace(".ods", "_Providers.csv").replace(".xlsx", "_Providers.csv")
    if not sheet.exists():
        pytest.skip(f"no CSV edition of {release['file']} to read independently")
    lines = sheet.read_text(encoding="utf-8-sig").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Provider ID"))
    expected = {(r["Provider ID"], r["Domain"]): r["Latest Rating"] for r in csv.DictReader(lines[header:])}
    served = {(r[0], r[1]): (r[2], r[3]) for r in snapshot.execute(
        "select trust_code, key_question, rating, rating_basis from fct_trust_quality "
        "where period = ? and rating_level = 'trust'", [latest_period]).fetchall()}
    assert {k: v[0] for k, v in served.items() if k in expected} == expected
    assert all(v[1] == "published by CQC" for k, v in served.items() if k in expected)


def test_every_trust_month_has_a_level_with_its_reasons(snapshot):
    rows = snapshot.execute("select level, criteria, consequence, methodology_version from fct_trust_failure_scale"
                            ).fetchall()
    assert rows
    for level, criteria, consequence, version in rows:
        met = json.loads(criteria)
        assert version in ("v1", "v2") and consequence
        assert level == max((c["level"] for c in met), default=0)
        assert all({"criterion", "level", "value", "threshold", "source", "source_date"} <= set(c) for c in met)


def test_link_reports_have_one_row_per_version_and_month_with_consistent_tables(snapshot):
    months = snapshot.execute("select count(*) from (select distinct period from fct_trust_failure_scale)").fetchone()[0]
    trusts = dict(((v, p), n) for v, p, n in snapshot.execute(
        "select methodology_version, period, count(*) from fct_trust_failure_scale group by all").fetchall())
    for report in ("rpt_economy_trust_link", "rpt_finance_quality_link"):
        rows = snapshot.execute(f"select n_failing_in_failing, n_failing_in_other, n_ok_in_failing, n_ok_in_other, "
                                f"n_unclassified, methodology_version, period from {report}").fetchall()
        assert {r[5] for r in rows} == {"v1", "v2"} and len(rows) == 2 * months
        for a, b, c, d, unclassified, version, period in rows:
            assert a + b + c + d + unclassified == trusts[(version, period)]
    # each version's own levels: the economy link's failing trusts are those at level 3 or more under that version
    failing = dict(((v, p), n) for v, p, n in snapshot.execute(
        "select methodology_version, period, count(*) from fct_economy_condition where trust_is_failing = 1 "
        "and economy_failing is not null group by all").fetchall())
    for a, b, version, period in snapshot.execute(
            "select n_failing_in_failing, n_failing_in_other, methodology_version, period "
            "from rpt_economy_trust_link").fetchall():
        assert a + b == failing.get((version, period), 0)


def test_a_link_table_with_an_empty_row_or_column_is_not_estimable_and_gives_no_ratio(snapshot):
    """The grid reaches back to 2014, before the returns that classify economies and finance: those months' tables
    are empty, and an empty table must not give the odds ratio of 1 ("no link") the continuity correction alone
    would."""
    for report in ("rpt_economy_trust_link", "rpt_finance_quality_link"):
        rows = snapshot.execute(f"select estimable, n_failing_in_failing, n_failing_in_other, n_ok_in_failing, "
                                f"n_ok_in_other, relative_risk, rr_ci_low, rr_ci_high, odds_ratio, or_ci_low, "
                                f"or_ci_high from {report}").fetchall()
        assert False in {r[0] for r in rows}, report
        for estimable, a, b, c, d, *ratios in rows:
            assert estimable is (min(a + b, c + d, a + c, b + d) > 0)
            assert (None not in ratios) if estimable else ratios == [None] * 6


def test_every_readme_question_runs_on_the_published_marts(snapshot):
    """The README's example questions are run here, so the docs cannot drift from the marts."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    queries = re.findall(r"```sql\n(.*?)```", readme, re.S)
    marts = {r[0] for r in snapshot.execute("select table_name from information_schema.tables "
                                            "where table_name like 'fct_%' or table_name like 'rpt_%' "
                                            "or table_name like 'dim_%'").fetchall()}
    asked = {m for m in marts if any(re.search(rf"\bfrom {m}\b", q) for q in queries)}
    # the what-if's inputs are restricted and never served as rows: no question of their own
    assert asked == marts - {"fct_trust_workforce_by_staff_group", "dim_health_economy", "fct_quarantined_rows",
                             "fct_failure_scale_inputs"}, marts - asked
    # every query must run (a renamed column fails here); a small England may leave a few with no rows
    answered = [q.splitlines()[0] for q in queries if snapshot.execute(q).fetchall()]
    assert len(queries) == 17 and len(answered) >= 10, answered


def test_a_month_before_any_sheet_release_gets_cqcs_own_trust_ratings(pipeline, snapshot):
    """DOMAIN.md, "What was known on date D": a rating is known from its own publication date. The first reporting
    month ends before the first ratings sheet the platform holds was released; the trust ratings CQC had published
    by then (the latest sheet's provider rows dated on or before that month end, in force ever since) are CQC's
    own, not computed from locations."""
    feed_dir = pipeline["feeds"] / "cqc" / "ratings"
    first_sheet = min(date.fromisoformat(r["published"]) for r in releases(feed_dir))
    # the last reporting month before the first sheet release (the grid reaches back years before it)
    first = snapshot.execute("select max(period) from fct_trust_failure_scale where period < ?",
                             [first_sheet]).fetchone()[0]
    assert first is not None, "the simulation's first reporting month precedes its first ratings sheet"
    latest = max(releases(feed_dir), key=lambda r: r["published"])
    sheet = feed_dir / "csv" / latest["file"].replace(".ods", "_Providers.csv").replace(".xlsx", "_Providers.csv")
    if not sheet.exists():
        pytest.skip(f"no CSV edition of {latest['file']} to read independently")
    lines = sheet.read_text(encoding="utf-8-sig").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Provider ID"))
    expected = {(r["Provider ID"], r["Domain"]): r["Latest Rating"] for r in csv.DictReader(lines[header:])
                if r["Service / Population Group"] == "Overall" and r["Domain"] in ("Overall", "Well-led")
                and datetime.strptime(r["Publication Date"], "%d/%m/%Y").date() <= first}
    assert expected, "some trust ratings were published before the first reporting month ended"
    served = {(r[0], r[1]): (r[2], r[3]) for r in snapshot.execute(
        "select trust_code, key_question, rating, rating_basis from fct_trust_quality "
        "where period = ? and rating_level = 'trust'", [first]).fetchall()}
    held = {k: v for k, v in expected.items() if k[0] in {t for t, _ in served}}
    assert held and {k: served.get(k) for k in held} == {k: (v, "published by CQC") for k, v in held.items()}


def test_inherited_ratings_are_the_ones_the_feeds_mark(pipeline, snapshot):
    """Inherited ratings from the data, not from a date heuristic: the API's own fields (an "HSCA Predecessor"
    relationship, a report before the location's registration with its provider) and the sheet's
    `Inherited Rating (Y/N)`; the simulator writes both for a merged trust's sites, as the real feeds do."""
    marked = set()
    for path in (pipeline["feeds"] / "cqc" / "api" / "locations").glob("*.json"):
        document = json.loads(path.read_text())
        if any(r.get("type") == "HSCA Predecessor" for r in document.get("relationships") or []):
            marked.add(document["locationId"])
    assert marked, "the simulation merges trusts, whose sites inherit their predecessors' ratings"
    flagged = {r[0] for r in snapshot.execute(
        "select distinct location_id from fct_trust_quality where is_inherited").fetchall()}
    assert flagged and flagged <= marked
    assert not snapshot.execute("select count(*) from fct_trust_quality where is_inherited and is_aggregated"
                                ).fetchone()[0]


def test_the_grid_reaches_back_to_2014_and_sustained_level_four_is_counted_on_it(snapshot, latest_period):
    """DOMAIN.md, "Methodology v2" → History: the reporting grid runs back as far as the inputs allow (the CQC
    history the simulation writes starts in 2014), so "level 4 sustained for 12 months" is evaluated on the grid
    itself: each month where it is met follows eleven months at level 4 or more in the published levels (that it
    occurs on the national simulation: tests/analysis). Months before the first in-year finance return cannot
    assess the finance criteria (v2): they are not assessable, never "not met"."""
    first = snapshot.execute("select min(period) from fct_trust_failure_scale").fetchone()[0]
    assert first.year == 2014 and latest_period.year == 2026
    levels = {(v, t, p): level for v, t, p, level in snapshot.execute(
        "select methodology_version, trust_code, period, level from fct_trust_failure_scale").fetchall()}
    periods = sorted({p for _, _, p in levels})
    assert len(periods) == (latest_period.year - 2014) * 12 + latest_period.month - first.month + 1
    for version, trust, period, months in snapshot.execute(
            "select methodology_version, trust_code, period, criterion_value from fct_trust_failure_scale_criteria "
            "where criterion = 'serious_failure_sustained' and status = 'met'").fetchall():
        assert int(months) >= 12 and levels[(version, trust, period)] == 5
        index = periods.index(period)
        assert all(levels.get((version, trust, p), 0) >= 4 for p in periods[max(0, index - 11):index + 1])
    first_return = snapshot.execute("select min(return_period_end) from fct_trust_finance").fetchone()[0]
    before = snapshot.execute(
        "select distinct status from fct_trust_failure_scale_criteria where methodology_version = 'v2' "
        "and criterion = 'finance_score_multiple_concerns' and period < ?", [first_return]).fetchall()
    assert first_return > first and before == [("not_assessable",)]
