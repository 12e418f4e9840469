"""Known answers: every failure-scale criterion (DOMAIN.md, methodology v1) on worked examples, the leave-one-out
economy condition, level 5, the criteria JSON and the calibration report.

The real dbt models run on DuckDB over a hand-made `int_failure_scale_inputs` (what the criteria look at), with the
methodology seeds loaded by dbt: nothing about the rules is re-implemented here, only the expected outcomes.
"""
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
PERIOD = date(2025, 12, 31)
MODELS = ["int_failure_scale_scenarios", "int_failure_scale_criteria", "int_economy_stress",
          "int_failure_scale_systemic_criteria", "int_failure_scale_levels", "fct_trust_failure_scale",
          "rpt_calibration"]

DEFAULT = dict(icb=None, overall="Good", safe="Good", well_led="Good", pockets=0, finance=1, scores=(1, 1, 1, 1, 1),
               sickness=(0.5,) * 6, surplus=10.0, income=1000.0, lost=5.0, available=100.0)

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
SUSTAINED = "S01"  # rated Inadequate in each of the twelve months to PERIOD, alone in its economy


def _month_ends(last: date, count: int) -> list[date]:
    ends, year, month = [], last.year, last.month
    for _ in range(count):
        ends.append(date(year, month, 31 if month in (1, 3, 5, 7, 8, 10, 12) else 30 if month != 2 else 28))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return sorted(ends)


def _input_rows() -> list[tuple]:
    rows = []

    def add(code: str, period: date, spec: dict) -> None:
        s = {**DEFAULT, **spec}
        rows.append((code, period, period.year * 12 + period.month, s["icb"] or f"Q{code}", code,
                     s["overall"], s["safe"], s["well_led"], date(2025, 6, 1), "published by CQC",
                     s["pockets"], date(2025, 6, 1) if s["pockets"] else None, s["finance"], *s["scores"],
                     date(2025, 12, 20), s["surplus"], s["income"], *s["sickness"], date(2025, 8, 31),
                     s["lost"], s["available"]))

    for code, (spec, _, _) in CASES.items():
        add(code, PERIOD, spec)
    for period in _month_ends(PERIOD, 12):
        add(SUSTAINED, period, {"overall": "Inadequate"})
    return rows


COLUMNS = """trust_code varchar, period date, period_index integer, icb_code varchar, restated_trust_code varchar,
    trust_overall_rating varchar, trust_safe_rating varchar, trust_well_led_rating varchar, trust_rating_date date,
    trust_rating_basis varchar, pockets integer, latest_pocket_date date, overall_finance_score integer,
    capital_service_capacity_score integer, liquidity_score integer, income_expenditure_margin_score integer,
    distance_from_plan_score integer, agency_spend_score integer, finance_return_received_on date,
    ytd_actual_surplus double, ytd_operating_income double,
    sickness_rank_1 double, sickness_rank_2 double, sickness_rank_3 double, sickness_rank_4 double,
    sickness_rank_5 double, sickness_rank_6 double, sickness_month date,
    sickness_fte_days_lost double, sickness_fte_days_available double"""


def _dbt(home: Path, *args: str) -> None:
    env = dict(os.environ, OVERSIGHT_HOME=str(home), DBT_SEND_ANONYMOUS_USAGE_STATS="False")
    dbt = str(Path(sys.executable).parent / "dbt")
    proc = subprocess.run([dbt, *args, "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT)],
                          capture_output=True, text=True, env=env, cwd=DBT_PROJECT, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    _dbt(home, "seed", "--select", "failure_scale_thresholds", "failure_scale_levels")
    rows = _input_rows()
    trust_months = sorted({(r[0], r[1], r[3], r[4]) for r in rows})
    with duckdb.connect(str(home / "warehouse.duckdb")) as db:
        db.execute("create schema if not exists intermediate")
        db.execute(f"create table intermediate.int_failure_scale_inputs ({COLUMNS})")
        db.executemany(f"insert into intermediate.int_failure_scale_inputs values ({', '.join('?' * len(rows[0]))})",
                       rows)
        db.execute("create table intermediate.int_trust_months (trust_code varchar, period date, icb_code varchar, "
                   "restated_trust_code varchar)")
        db.executemany("insert into intermediate.int_trust_months values (?, ?, ?, ?)", trust_months)
    _dbt(home, "run", "--select", *MODELS)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as db:
        scale = db.execute("select trust_code, period, level, level_name, criteria, consequence, methodology_version "
                           "from marts.fct_trust_failure_scale").fetchall()
        calibration = db.execute("select scenario, trusts_moved_up, trusts_moved_down, trusts_at_level_5, period "
                                 "from marts.rpt_calibration").fetchall()
        economy = db.execute("select trust_code, others_failing_share, stress_measures_passed, economy_failing "
                             "from intermediate.int_economy_stress where scenario = 'baseline' and period = ?",
                             [PERIOD]).fetchall()
    return ({(r[0], r[1]): r for r in scale}, {(r[0], r[4]): r[1:4] for r in calibration}, {r[0]: r[1:] for r in economy})


@pytest.mark.parametrize("trust", sorted(CASES))
def test_each_worked_example_gets_its_level_and_criteria(warehouse, trust):
    _, expected_level, expected_criteria = CASES[trust]
    row = warehouse[0][(trust, PERIOD)]
    criteria = json.loads(row[4])
    assert row[2] == expected_level
    assert {c["criterion"] for c in criteria} == expected_criteria
    assert row[6] == "v1"


def test_levels_carry_their_name_and_consequence(warehouse):
    scale = warehouse[0]
    assert scale[("T00", PERIOD)][3:6:2] == ("No identified concern", "none")
    assert scale[("T12", PERIOD)][3:6:2] == ("Serious failure", "mandated support")
    assert scale[("E1A", PERIOD)][3:6:2] == ("Systemic failure", "intensive support / special measures")


def test_each_criterion_names_its_value_threshold_source_and_date(warehouse):
    criteria = {c["criterion"]: c for c in json.loads(warehouse[0][("T07", PERIOD)][4])}
    assert criteria["pockets_of_poor_care"] == {
        "criterion": "pockets_of_poor_care", "level": 2, "value": "2", "threshold": "at least 2.0",
        "source": "cqc ratings", "source_date": "2025-06-01"}
    sickness = json.loads(warehouse[0][("T05", PERIOD)][4])[0]
    assert (sickness["value"], sickness["source_date"]) == ("3", "2025-08-31")
    assert sickness["threshold"] == "at least 3 months at percentile rank 0.9"


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
    assert calibration["pockets_for_multiple_concerns +10%"][:2] == (0, 1)   # T07's two pockets no longer enough
    assert calibration["pockets_for_multiple_concerns -10%"][:2] == (0, 0)   # 1.8: one pocket is still not two
    assert calibration["sickness_worst_percentile -10%"][:2] == (1, 0)       # T06's 0.89 now in the worst band
    # 10.8 months round up to 11: S01 reaches level 5 a month early
    eleventh = _month_ends(PERIOD, 12)[10]
    assert warehouse[1][("sustained_serious_months -10%", eleventh)][:2] == (1, 0)
    assert warehouse[1][("sustained_serious_months +10%", PERIOD)][:2] == (0, 1)
    # thresholds that are not calibrated have no scenario
    assert not any(s.startswith("failing_level") for s in calibration)
