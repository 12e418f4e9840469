"""Known answers: rpt_ratings_trend flags the year of the run's as-at date as a part-year (with the months it covers)
and shows each year's rating age at the as-at date (DOMAIN.md question 5: "inherited ratings excluded, rating age
shown"); a year is whole once the as-at date reaches its last day.

The real model runs on DuckDB over a hand-made int_cqc_rating_events.
"""
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
# location → (publication date, overall rating, inherited)
RATINGS = {
    "1-L1": (date(2024, 3, 1), "Good", False),
    "1-L2": (date(2025, 6, 1), "Inadequate", False),
    "1-L3": (date(2026, 2, 1), "Outstanding", False),
    "1-L4": (date(2026, 8, 1), "Good", True),          # inherited: excluded, and its age not counted
}


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("trend")
    with duckdb.connect(str(home / "warehouse.duckdb")) as db:
        db.execute("create schema intermediate")
        db.execute("create table intermediate.int_cqc_rating_events (rating_level varchar, key_question varchar, "
                   "is_rating boolean, release_change varchar, source varchar, location_id varchar, "
                   "publication_date date, rating varchar, is_inherited boolean)")
        db.executemany("insert into intermediate.int_cqc_rating_events values "
                       "('location', 'Overall', true, 'new', 'cqc-api', ?, ?, ?, ?)",
                       [(loc, *rating) for loc, rating in RATINGS.items()])
    return home


def _trend(home: Path, as_at: date) -> dict[int, tuple]:
    env = dict(os.environ, OVERSIGHT_HOME=str(home), DBT_SEND_ANONYMOUS_USAGE_STATS="False")
    proc = subprocess.run([str(Path(sys.executable).parent / "dbt"), "run", "--select", "rpt_ratings_trend",
                           "--vars", f"{{as_at: {as_at.isoformat()}}}",
                           "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT)],
                          capture_output=True, text=True, env=env, cwd=DBT_PROJECT, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as db:
        return {int(r[0]): r[1:] for r in db.execute(
            "select publication_year, ratings, inherited_ratings_excluded, is_part_year, months_covered, "
            "mean_rating_age_days from marts.rpt_ratings_trend").fetchall()}


def test_the_current_year_is_flagged_as_a_part_year_with_its_rating_ages(home):
    as_at = date(2026, 11, 15)
    trend = _trend(home, as_at)
    assert trend[2024] == (1, 0, False, 12, (as_at - date(2024, 3, 1)).days)      # 989 days
    assert trend[2025] == (1, 0, False, 12, (as_at - date(2025, 6, 1)).days)
    # 2026 so far: eleven months, one rating of its own (287 days old), the inherited one excluded
    assert trend[2026] == (1, 1, True, 11, (as_at - date(2026, 2, 1)).days) == (1, 1, True, 11, 287)


def test_a_year_is_whole_on_its_last_day(home):
    trend = _trend(home, date(2026, 12, 31))
    assert trend[2026][2:4] == (False, 12)
