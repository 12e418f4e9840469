"""Known answers: the reporting grid (int_reporting_months) reaches back as far as the inputs allow (DOMAIN.md,
"Methodology v2" → History) — the earliest CQC rating, the workforce series' first month, the first financial year,
the first finance return — not only to the first monthly release; it ends at the last monthly release published
by the run's as-at date, and holds at most `report_months_max` months, counted back from the last.

The real model runs on DuckDB over hand-made tables in place of the staging models (and the rating events) it reads.
"""
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.models.dbt_show import run_dbt

AS_AT = date(2026, 11, 15)


def _month_ends(home: Path, months_max: int | None = None) -> list[date]:
    variables = f"{{as_at: {AS_AT.isoformat()}" + (f", report_months_max: {months_max}" if months_max else "") + "}"
    run_dbt(home, "run", "--select", "int_reporting_months", "--vars", variables)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as db:
        return [r[0] for r in db.execute("select month_end from intermediate.int_reporting_months order by 1").fetchall()]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("grid")
    with duckdb.connect(str(home / "warehouse.duckdb")) as db:
        db.execute("create schema staging")
        db.execute("create schema intermediate")
        # monthly releases: the ratings sheet from May 2026 (one published after the as-at date: not yet out)
        db.execute("create table staging.stg_cqc__latest_ratings (published_on date)")
        db.executemany("insert into staging.stg_cqc__latest_ratings values (?)",
                       [(date(2026, m, 1),) for m in range(5, 11)] + [(date(2026, 12, 1),)])
        db.execute("create table staging.stg_finance__monthly_returns (published_on date, period_end date)")
        db.execute("insert into staging.stg_finance__monthly_returns values ('2026-05-20', '2026-04-30')")
        db.execute("create table staging.stg_workforce__sickness_absence (published_on date, month_end date)")
        db.execute("insert into staging.stg_workforce__sickness_absence values ('2026-06-01', '2026-02-28')")
        # what reaches further back: a location rated in March 2014 (a registration without a rating before it),
        # the workforce series from June 2014, the annual accounts from 2022-23
        db.execute("create table intermediate.int_cqc_rating_events (publication_date date, is_rating boolean)")
        db.execute("insert into intermediate.int_cqc_rating_events values "
                   "('2013-05-01', false), ('2014-03-13', true), ('2026-09-01', true)")
        db.execute("create table staging.stg_workforce__staff_group (month_end date)")
        db.execute("insert into staging.stg_workforce__staff_group values ('2014-06-30'), ('2026-07-31')")
        db.execute("create table staging.stg_finance__tac (financial_year varchar)")
        db.execute("insert into staging.stg_finance__tac values ('2022-23'), ('2024-25')")
    return home


def test_the_grid_reaches_back_to_the_earliest_rating(home):
    months = _month_ends(home)
    # from the first CQC rating (March 2014; the registration before it rated nothing) to the last release out by
    # the as-at date (October 2026): the old grid began at the first monthly release, May 2026
    assert (months[0], months[-1]) == (date(2014, 3, 31), date(2026, 10, 31))
    assert len(months) == (2026 - 2014) * 12 + (10 - 3) + 1 == 152
    assert date(2016, 2, 29) in months    # every month end, leap years included


def test_the_grid_starts_with_the_workforce_series_where_that_is_earlier(home):
    with duckdb.connect(str(home / "warehouse.duckdb")) as db:
        db.execute("insert into staging.stg_workforce__staff_group values ('2013-11-30')")
    try:
        assert _month_ends(home)[0] == date(2013, 11, 30)
    finally:
        with duckdb.connect(str(home / "warehouse.duckdb")) as db:
            db.execute("delete from staging.stg_workforce__staff_group where month_end = '2013-11-30'")


def test_the_grid_holds_at_most_report_months_max_counted_back_from_the_last(home):
    months = _month_ends(home, months_max=24)
    assert (len(months), months[0], months[-1]) == (24, date(2024, 11, 30), date(2026, 10, 31))
