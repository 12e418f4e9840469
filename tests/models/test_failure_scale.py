"""Known answers: every failure-scale criterion (DOMAIN.md, methodology v1 and v2) on worked examples, the
leave-one-out economy condition, level 5, the criteria JSON, the three-valued criteria (met / not met / not
assessable, with staleness), `assessment_complete`, the versions side by side and the calibration report.

The real dbt models run on DuckDB over a hand-made `int_failure_scale_inputs` (what the criteria look at), with the
methodology seeds loaded by dbt: nothing about the rules is re-implemented here, only the expected outcomes.
"""
import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.models.dbt_show import run_dbt

PERIOD = date(2025, 12, 31)
MODELS = ["int_failure_scale_scenarios", "int_failure_scale_evaluated", "int_failure_scale_criteria",
          "int_economy_stress", "int_failure_scale_systemic_criteria", "int_failure_scale_levels",
          "fct_trust_failure_scale_criteria", "fct_trust_failure_scale", "rpt_calibration", "rpt_methodology_comparison",
          "int_economy_trust_link_counts", "rpt_economy_trust_link", "int_finance_quality_link_counts",
          "rpt_finance_quality_link"]
SEEDS = ["failure_scale_thresholds", "failure_scale_levels", "failure_scale_rules", "failure_scale_criteria",
         "oversight_domain_ratings"]
VERSIONS = ("v1", "v2")
DOMAIN_SCORES = {"Outstanding": 1, "Good": 2, "Requires improvement": 3, "Inadequate": 4}  # v2: quality, leadership

DEFAULT = dict(icb=None, overall="Good", safe="Good", well_led="Good", pockets=0, finance=1, scores=(1, 1, 1, 1, 1),
               sickness=(0.5,) * 6, surplus=10.0, income=1000.0, lost=5.0, available=100.0,
               return_month=date(2025, 11, 30), rating_date=date(2025, 6, 1))

# trust → (inputs that differ from DEFAULT, expected level, expected criteria)
CASES = {
    "T00": ({}, 0, set()),
    "T01": ({"pockets": 1}, 1, {"pocket_of_poor_care"}),
    "T02": ({"scores": (3, 1, 1, 1, 1), "finance": 2}, 1, {"finance_domain_score_of_concern"}),
    "T03": ({"overall": "Requires improvement"}, 2, {"trust_rated_requires_improvement"}),
    "T04": ({"scores": (4, 2, 2, 2, 2), "finance": 3}, 2,
            {"finance_domain_score_of_concern", "finance_score_multiple_concerns"}),
    "T05": ({"sickness": (0.95, 0.92, 0.9, 0.3, 0.3, 0.3)}, 2, {"sickness_worst_decile_sustained"}),
    "T06": ({"sickness": (0.95, 0.92, 0.89, 0.99, 0.99, 0.99)}, 0, set()),  # the run is broken in month three
    "T07": ({"pockets": 2}, 2, {"pocket_of_poor_care", "pockets_of_poor_care"}),
    "T08": ({"overall": "Requires improvement", "safe": "Inadequate"}, 3,
            {"trust_rated_requires_improvement", "requires_improvement_with_safe_or_well_led_inadequate"}),
    "T09": ({"overall": "Requires improvement", "well_led": "Inadequate", "finance": 2}, 3,
            {"trust_rated_requires_improvement", "requires_improvement_with_safe_or_well_led_inadequate"}),
    "T10": ({"scores": (4, 4, 4, 4, 4), "finance": 4}, 3,
            {"finance_domain_score_of_concern", "finance_score_multiple_concerns", "finance_score_significant",
             "finance_domains_of_concern"}),
    "T11": ({"scores": (3, 3, 1, 1, 1), "finance": 2}, 3,
            {"finance_domain_score_of_concern", "finance_domains_of_concern"}),
    "T12": ({"overall": "Inadequate"}, 4, {"trust_rated_inadequate"}),
    "T13": ({"well_led": "Inadequate", "scores": (4, 1, 1, 1, 1), "finance": 3}, 4,
            {"finance_domain_score_of_concern", "finance_score_multiple_concerns",
             "well_led_inadequate_with_finance_concern"}),
    "T14": ({"well_led": "Inadequate", "finance": 2}, 0, set()),  # Well-led Inadequate alone is not level 4
    # economy E1: four trusts, all in deficit. For E1A the others (two failing of three, margin -5%) pass two bars.
    "E1A": ({"icb": "E1", "overall": "Inadequate", "surplus": -50.0}, 5,
            {"trust_rated_inadequate", "serious_failure_in_failing_economy"}),
    "E1B": ({"icb": "E1", "overall": "Inadequate", "surplus": -50.0}, 5,
            {"trust_rated_inadequate", "serious_failure_in_failing_economy"}),
    "E1C": ({"icb": "E1", "scores": (3, 3, 1, 1, 1), "finance": 2, "surplus": -50.0}, 3,
            {"finance_domain_score_of_concern", "finance_domains_of_concern"}),
    "E1D": ({"icb": "E1", "surplus": -50.0}, 0, set()),  # a failing economy does not make a sound trust fail
    # economy E2: only E2A fails. Counting E2A itself would give a failing share of 1/2 and a failing economy;
    # left out, its economy passes one bar (the other's deficit) of the two needed.
    "E2A": ({"icb": "E2", "overall": "Inadequate", "surplus": -50.0}, 4, {"trust_rated_inadequate"}),
    "E2B": ({"icb": "E2", "surplus": -50.0, "lost": 2.0}, 0, set()),
}
# Methodology v2 (oversight domains: quality, leadership, finance, workforce) on the same inputs, where it differs
# from v1; every other case has v1's level and criteria plus domain_score_of_concern where a domain is at 3 or 4.
D1, D2 = "domain_score_of_concern", "domains_of_concern"
V2 = {
    "T02": (0, set()),                           # one finance metric at 3 is not a domain at 3
    "T03": (2, {"trust_rated_requires_improvement", D1}),
    "T04": (2, {D1, "finance_score_multiple_concerns"}),
    "T05": (2, {"sickness_worst_decile_sustained", D1}),   # the worst decile is workforce domain 4
    "T06": (1, {D1}),
    "T08": (3, {"trust_rated_requires_improvement", "requires_improvement_with_safe_or_well_led_inadequate", D1}),
    "T09": (3, {"trust_rated_requires_improvement", "requires_improvement_with_safe_or_well_led_inadequate", D1, D2}),
    "T10": (3, {D1, "finance_score_multiple_concerns", "finance_score_significant"}),
    "T11": (0, set()),                           # two finance metrics at 3 alone: level 3 under v1, nothing under v2
    "T12": (4, {"trust_rated_inadequate", D1}),
    "T13": (4, {D1, D2, "finance_score_multiple_concerns", "well_led_inadequate_with_finance_concern"}),
    "T14": (1, {D1}),                            # leadership domain 4
    "E1A": (5, {"trust_rated_inadequate", D1, "serious_failure_in_failing_economy"}),
    "E1B": (5, {"trust_rated_inadequate", D1, "serious_failure_in_failing_economy"}),
    "E1C": (0, set()),
    "E2A": (4, {"trust_rated_inadequate", D1}),
}
# Cases of the three-valued criteria and of history (trust → inputs, v1 level, v2 level, v2 criteria met)
EXTRA = {
    # a sickness month without the trust's figure: the worst-decile run cannot be judged
    "M01": ({"sickness": (0.95, None, 0.95, 0.95, 0.95, 0.95)}, 0, 1, {D1}),
    # the latest finance return is four months old: stale under v2 (limit 2), used as it is by v1
    "F01": ({"scores": (4, 4, 4, 4, 4), "finance": 4, "return_month": date(2025, 8, 31)}, 3, 0, set()),
}
SUSTAINED = "S01"  # rated Inadequate in each of the twelve months to PERIOD, alone in its economy
# rated Inadequate by CQC on 15 December 2024 and ever since, alone in its economy; the grid holds only the six
# months to PERIOD (as the demo's reporting months do): 13 months at level 4 by PERIOD, 6 of them in the grid
HISTORY = "H13"
HISTORY_RATED = date(2024, 12, 15)


def _month_ends(last: date, count: int) -> list[date]:
    ends, year, month = [], last.year, last.month
    for _ in range(count):
        ends.append(date(year, month, 31 if month in (1, 3, 5, 7, 8, 10, 12) else 30 if month != 2 else 28))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return sorted(ends)


def _months(later: date, earlier: date) -> int:
    return (later.year * 12 + later.month) - (earlier.year * 12 + earlier.month)


def _input_rows() -> list[tuple]:
    rows = []

    def add(code: str, period: date, spec: dict) -> None:
        s = {**DEFAULT, **spec}
        for version in VERSIONS:
            scored = version == "v2"
            rows.append((version, code, period, period.year * 12 + period.month, s["icb"] or f"Q{code}", code,
                         s["overall"], s["safe"], s["well_led"], s["rating_date"], "published by CQC",
                         DOMAIN_SCORES.get(s["overall"]) if scored else None,
                         DOMAIN_SCORES.get(s["well_led"]) if scored else None,
                         s["pockets"], date(2025, 6, 1) if s["pockets"] else None, s["finance"], *s["scores"],
                         date(2025, 12, 20), s["return_month"], _months(period, s["return_month"]),
                         s["surplus"], s["income"], *s["sickness"], date(2025, 8, 31), date(2025, 11, 14),
                         _months(period, date(2025, 8, 31)), s["lost"], s["available"]))

    for code, (spec, _, _) in CASES.items():
        add(code, PERIOD, spec)
    for code, (spec, *_) in EXTRA.items():
        add(code, PERIOD, spec)
    for period in _month_ends(PERIOD, 12):
        add(SUSTAINED, period, {"overall": "Inadequate", "return_month": period})
    for period in _month_ends(PERIOD, 6):
        add(HISTORY, period, {"overall": "Inadequate", "rating_date": HISTORY_RATED, "return_month": period})
    return rows


COLUMNS = """methodology_version varchar, trust_code varchar, period date, period_index integer, icb_code varchar,
    restated_trust_code varchar, trust_overall_rating varchar, trust_safe_rating varchar, trust_well_led_rating varchar,
    trust_rating_date date, trust_rating_basis varchar, quality_domain_score integer, leadership_domain_score integer,
    pockets integer, latest_pocket_date date, overall_finance_score integer,
    capital_service_capacity_score integer, liquidity_score integer, income_expenditure_margin_score integer,
    distance_from_plan_score integer, agency_spend_score integer, finance_return_received_on date,
    finance_return_period_end date, finance_return_age_months integer,
    ytd_actual_surplus double, ytd_operating_income double,
    sickness_rank_1 double, sickness_rank_2 double, sickness_rank_3 double, sickness_rank_4 double,
    sickness_rank_5 double, sickness_rank_6 double, sickness_month date, sickness_published_on date,
    sickness_age_months integer, sickness_fte_days_lost double, sickness_fte_days_available double"""


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    run_dbt(home, "seed", "--select", *SEEDS)
    rows = _input_rows()
    trust_months = sorted({(r[1], r[2], r[4], r[5]) for r in rows})
    with duckdb.connect(str(home / "warehouse.duckdb")) as db:
        db.execute("create schema if not exists intermediate")
        db.execute(f"create table intermediate.int_failure_scale_inputs ({COLUMNS})")
        db.executemany(f"insert into intermediate.int_failure_scale_inputs values ({', '.join('?' * len(rows[0]))})",
                       rows)
        db.execute("create table intermediate.int_trust_months (trust_code varchar, period date, icb_code varchar, "
                   "restated_trust_code varchar)")
        db.executemany("insert into intermediate.int_trust_months values (?, ?, ?, ?)", trust_months)
    run_dbt(home, "run", "--select", *MODELS)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as db:
        scale = db.execute("select trust_code, period, level, level_name, criteria, consequence, methodology_version, "
                           "assessment_complete, missing_inputs from marts.fct_trust_failure_scale").fetchall()
        calibration = db.execute("select scenario, trusts_moved_up, trusts_moved_down, trusts_at_level_5, period "
                                 "from marts.rpt_calibration where methodology_version = 'v1'").fetchall()
        economy = db.execute("select trust_code, others_failing_share, stress_measures_passed, economy_failing "
                             "from intermediate.int_economy_stress where scenario = 'baseline' and period = ? "
                             "and methodology_version = 'v1'", [PERIOD]).fetchall()
        statuses = db.execute("select methodology_version, trust_code, period, criterion, status, criterion_value, "
                              "criterion_threshold, source_date, missing_input "
                              "from marts.fct_trust_failure_scale_criteria").fetchall()
        comparison = db.execute("select trust_code, from_level, to_level from marts.rpt_methodology_comparison "
                                "where period = ? and from_version = 'v1' and to_version = 'v2'", [PERIOD]).fetchall()
        links = {(report, r[0]): r[1:] for report in ("rpt_economy_trust_link", "rpt_finance_quality_link")
                 for r in db.execute(f"select methodology_version, n_failing_in_failing, n_failing_in_other, "
                                     f"n_ok_in_failing, n_ok_in_other, n_unclassified from marts.{report} "
                                     f"where period = ?", [PERIOD]).fetchall()}
    v1 = {(r[0], r[1]): r for r in scale if r[6] == "v1"}
    v2 = {(r[0], r[1]): r for r in scale if r[6] == "v2"}
    return (v1, {(r[0], r[4]): r[1:4] for r in calibration}, {r[0]: r[1:] for r in economy}, v2,
            {(r[0], r[1], r[2], r[3]): r[4:] for r in statuses}, {r[0]: r[1:] for r in comparison}, links)


@pytest.mark.parametrize("trust", sorted(CASES))
def test_each_worked_example_gets_its_level_and_criteria(warehouse, trust):
    _, expected_level, expected_criteria = CASES[trust]
    row = warehouse[0][(trust, PERIOD)]
    criteria = json.loads(row[4])
    assert row[2] == expected_level
    assert {c["criterion"] for c in criteria} == expected_criteria
    assert row[6] == "v1"


@pytest.mark.parametrize("trust", sorted(CASES))
def test_each_worked_example_under_v2(warehouse, trust):
    _, v1_level, v1_criteria = CASES[trust]
    expected_level, expected_criteria = V2.get(trust, (v1_level, v1_criteria))
    row = warehouse[3][(trust, PERIOD)]
    assert (row[2], {c["criterion"] for c in json.loads(row[4])}) == (expected_level, expected_criteria)
    assert row[6] == "v2"


def test_two_finance_metrics_at_three_make_level_three_under_v1_only(warehouse):
    assert warehouse[0][("T11", PERIOD)][2] == 3
    assert warehouse[3][("T11", PERIOD)][2] == 0
    assert warehouse[5]["T11"] == (3, 0)          # the versions side by side: it moves from 3 to 0


def test_a_missing_sickness_month_is_not_assessable_and_the_assessment_incomplete(warehouse):
    status = warehouse[4][("v2", "M01", PERIOD, "sickness_worst_decile_sustained")]
    assert status[0] == "not_assessable"
    assert status[-1] == "a sickness absence month without a figure for the trust"
    row = warehouse[3][("M01", PERIOD)]
    assert (row[2], row[7]) == (1, False)
    assert "sickness_worst_decile_sustained" in row[8]
    assert warehouse[3][("T00", PERIOD)][7] is True           # nothing missing: complete


def test_a_stale_finance_return_is_flagged_with_its_age(warehouse):
    for criterion in ("finance_score_multiple_concerns", "finance_score_significant"):
        status = warehouse[4][("v2", "F01", PERIOD, criterion)]
        assert (status[0], status[-1]) == ("not_assessable", "in-year finance return stale: 4 months old (limit 2)")
        assert warehouse[4][("v1", "F01", PERIOD, criterion)][0] == "met"       # v1 reuses it, unflagged
    row = warehouse[3][("F01", PERIOD)]
    assert (row[2], row[7]) == (0, False)
    assert "in-year finance return stale: 4 months old (limit 2)" in row[8]
    assert warehouse[0][("F01", PERIOD)][2] == 3


def test_extra_cases_levels(warehouse):
    for trust, (_, v1_level, v2_level, v2_criteria) in EXTRA.items():
        assert warehouse[0][(trust, PERIOD)][2] == v1_level, trust
        row = warehouse[3][(trust, PERIOD)]
        assert (row[2], {c["criterion"] for c in json.loads(row[4])}) == (v2_level, v2_criteria), trust


def test_inadequate_for_thirteen_months_is_level_five_by_duration_under_v2(warehouse):
    """The grid holds six months; CQC's rating, published 15 December 2024, says the trust has been Inadequate
    since: thirteen month ends at level 4 by PERIOD. v1 counts only the grid's six."""
    v2 = warehouse[3][(HISTORY, PERIOD)]
    met = {c["criterion"]: c for c in json.loads(v2[4])}
    assert v2[2] == 5
    assert met["serious_failure_sustained"]["value"] == "13"
    assert met["serious_failure_sustained"]["threshold"] == "at least 12 consecutive months at level 4"
    assert warehouse[0][(HISTORY, PERIOD)][2] == 4
    # the month before, twelve months: level 5 already; a trust whose run is all the data shows is not assessable
    assert warehouse[3][(HISTORY, _month_ends(PERIOD, 2)[0])][2] == 5
    assert warehouse[4][("v1", HISTORY, PERIOD, "serious_failure_sustained")][0] == "not_assessable"


def test_levels_carry_their_name_and_consequence(warehouse):
    scale = warehouse[0]
    assert scale[("T00", PERIOD)][3:6:2] == ("No identified concern", "none")
    assert scale[("T12", PERIOD)][3:6:2] == ("Serious failure", "mandated support")
    assert scale[("E1A", PERIOD)][3:6:2] == ("Systemic failure", "intensive support / special measures")


def test_each_criterion_names_its_value_threshold_source_and_date(warehouse):
    criteria = {c["criterion"]: c for c in json.loads(warehouse[0][("T07", PERIOD)][4])}
    assert criteria["pockets_of_poor_care"] == {
        "criterion": "pockets_of_poor_care", "level": 2, "value": "2", "threshold": "at least 2",
        "source": "cqc ratings", "source_date": "2025-06-01"}
    sickness = json.loads(warehouse[0][("T05", PERIOD)][4])[0]
    # the date is the figure's publication (14 November), not the month it describes (August)
    assert (sickness["value"], sickness["source_date"]) == ("3", "2025-11-14")
    assert sickness["threshold"] == "at least 3 months at percentile rank 0.9"   # as configured: no "3.0"


def test_economy_stress_leaves_the_trust_out(warehouse):
    economy = warehouse[2]
    assert economy["E1A"] == (pytest.approx(2 / 3), 2, True)
    assert economy["E2A"] == (0.0, 1, False)   # with itself counted the share would be 1/2, past the 0.25 bar
    assert economy["E2B"] == (1.0, 2, True)    # for E2B the other is failing and in deficit: a failing economy
    assert economy["T00"][2] is None           # alone in its economy: no others to measure it by


def test_level_four_sustained_for_twelve_months_is_level_five(warehouse):
    scale = warehouse[0]
    months = _month_ends(PERIOD, 12)
    assert [scale[(SUSTAINED, m)][2] for m in months] == [4] * 11 + [5]
    last = {c["criterion"]: c for c in json.loads(scale[(SUSTAINED, PERIOD)][4])}
    assert last["serious_failure_sustained"]["value"] == "12"


def test_calibration_counts_the_trusts_each_threshold_moves(warehouse):
    calibration = {scenario: counts for (scenario, period), counts in warehouse[1].items() if period == PERIOD}
    assert calibration["baseline"] == (0, 0, 3)  # E1A, E1B and S01 at level 5
    # whole-number thresholds move by one step: a ±10% move of 2 pockets (1.8, 2.2) would change nothing downwards
    assert calibration["pockets_for_multiple_concerns +1"][:2] == (0, 1)     # T07's two pockets no longer enough
    assert calibration["pockets_for_multiple_concerns -1"][:2] == (1, 0)     # T01's one pocket now enough
    assert calibration["sickness_worst_percentile -10%"][:2] == (1, 0)       # T06's 0.89 now in the worst band
    # 11 months: S01 reaches level 5 a month early
    eleventh = _month_ends(PERIOD, 12)[10]
    assert warehouse[1][("sustained_serious_months -1", eleventh)][:2] == (1, 0)
    assert warehouse[1][("sustained_serious_months +1", PERIOD)][:2] == (0, 1)
    # thresholds that are not calibrated have no scenario
    assert not any(s.startswith("failing_level") for s in calibration)


def test_the_link_reports_are_built_for_every_methodology_version(warehouse):
    """Each version's own levels make its 2×2 table. E1C (two finance metrics at 3) is failing under v1 only: under
    v1 the failing trusts in failing economies are E1A, E1B, E1C, under v2 E1A and E1B (E1C counts as a sound trust
    in a failing economy, with E1D and E2B); E2A fails in an economy that is not failing under both; the 19 trusts
    alone in their economy are unclassified."""
    links = warehouse[6]
    assert links[("rpt_economy_trust_link", "v1")] == (3, 1, 2, 0, 19)
    assert links[("rpt_economy_trust_link", "v2")] == (2, 1, 3, 0, 19)
    # the same ratings and finance scores under both versions' bars (3): the same table, once per version
    assert links[("rpt_finance_quality_link", "v1")] == links[("rpt_finance_quality_link", "v2")]
    assert sum(links[("rpt_finance_quality_link", "v1")]) == 25
