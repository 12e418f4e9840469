"""Known answers: what was known at each month end (DOMAIN.md, "What was known on date D") for the two models that
work it out over the whole history — the CQC ratings in force (int_cqc_ratings_known) and the finance return each
trust had filed (int_trust_finance_scored). Each version is in force over an interval, from the month end it is
known by until a version earlier in the choice's order is; these cases pin the order, the late and the withdrawn.

The real models run on DuckDB over hand-made tables in place of the models they read.
"""
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.models.dbt_show import run_dbt

MONTHS = [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30), date(2024, 5, 31),
          date(2024, 6, 30), date(2024, 7, 31), date(2024, 8, 31)]
KEY = ("location", "RX1", "L1", "Overall", "Safe")
EVENT_COLUMNS = ("rating_level, trust_code, location_id, service_name, key_question, rating, is_rating, "
                 "publication_date, is_inherited, source, report_link_id, source_release, known_from, received_on, "
                 "release_change, source_sha256")


def _sheet(release: str, rating: str, published: str | None, change: str = "changed", key=KEY,
           released_on: str | None = None) -> tuple:
    """A sheet version: known from its rating's publication date (a removal: from the release that removed it)."""
    known_from = released_on if change == "removed" or published is None else published
    return (*key, rating, True, published, False, "cqc-ratings-sheet", None, release, known_from, released_on,
            change, "sha")


def _api(report: str, rating: str, published: str, is_rating: bool = True, key=KEY) -> tuple:
    return (*key, rating, is_rating, published, False, "cqc-api", report, "2024-08-31", published, "2024-08-31",
            "new", "sha")


def _grid(db) -> None:
    db.execute("create schema if not exists intermediate")
    db.execute("create schema if not exists staging")
    db.execute("create table intermediate.int_reporting_months (month_end date)")
    db.executemany("insert into intermediate.int_reporting_months values (?)", [(m,) for m in MONTHS])


@pytest.fixture(scope="module")
def ratings(tmp_path_factory) -> dict[tuple, list[tuple]]:
    """(key question, source) → the rating in force at each month end: [(month, rating, source_release)]."""
    home = tmp_path_factory.mktemp("known")
    other = ("location", "RX1", "L2", "Overall", "Safe")
    both = ("location", "RX1", "L3", "Overall", "Safe")
    events = [
        # L1 on the sheet: A in the January release (rated June 2023); B in March's (rated 20 Feb 2024, so known
        # from February's end, as of its own publication); C in February's release, rated 15 April — later
        # eligible but from an earlier release than B, so never in force; May's release removes the rating
        _sheet("2024-01", "Good", "2023-06-10", "new", released_on="2024-01-05"),
        _sheet("2024-03", "Requires improvement", "2024-02-20", released_on="2024-03-05"),
        _sheet("2024-02", "Outstanding", "2024-04-15", released_on="2024-02-05"),
        _sheet("2024-05", "Requires improvement", "2024-02-20", "removed", released_on="2024-05-01"),
        # a version without a publication date is never in force
        _sheet("2024-06", "Inadequate", None, released_on="2024-06-03"),
        # L2 from the API: two reports on one day (the one that rated it wins), then a later report
        _api("r1", "No rating", "2024-03-10", is_rating=False, key=other),
        _api("r2", "Good", "2024-03-10", key=other),
        _api("r3", "Inadequate", "2024-06-01", key=other),
        # L3 from both routes: the later publication wins whichever route; on the same day, the sheet
        _sheet("2024-01", "Good", "2023-12-01", "new", key=both, released_on="2024-01-05"),
        _api("r4", "Outstanding", "2024-04-02", key=both),
        _sheet("2024-05", "Inadequate", "2024-04-02", key=both, released_on="2024-05-01"),
    ]
    with duckdb.connect(str(home / "warehouse.duckdb")) as db:
        _grid(db)
        db.execute("create table intermediate.int_cqc_rating_events as select "
                   + ", ".join(f"cast(null as {t}) as {c}" for c, t in zip(
                       EVENT_COLUMNS.split(", "), ["varchar"] * 6 + ["boolean", "date", "boolean"] + ["varchar"] * 3
                       + ["date", "date", "varchar", "varchar"])) + " where false")
        db.executemany(f"insert into intermediate.int_cqc_rating_events ({EVENT_COLUMNS}) values "
                       f"({', '.join('?' * 16)})", events)
    run_dbt(home, "run", "--select", "int_cqc_ratings_known", "--vars", "{as_at: 2024-09-01}")
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as db:
        rows = db.execute("select location_id, period, rating, source, source_release "
                          "from intermediate.int_cqc_ratings_known order by location_id, period").fetchall()
    found: dict[str, list[tuple]] = {}
    for location, period, rating, source, release in rows:
        found.setdefault(location, []).append((period, rating, source, release))
    return found


def test_a_sheet_rating_is_the_latest_releases_version_known_by_then_and_gone_once_removed(ratings):
    assert [(p, r, rel) for p, r, _, rel in ratings["L1"]] == [
        (date(2024, 1, 31), "Good", "2024-01"),
        (date(2024, 2, 29), "Requires improvement", "2024-03"),  # March's release: known from its 20 Feb rating
        (date(2024, 3, 31), "Requires improvement", "2024-03"),
        (date(2024, 4, 30), "Requires improvement", "2024-03"),  # February's, eligible now, is an earlier release
    ]  # from May's end: removed (and June's version has no publication date)


def test_an_api_rating_is_the_latest_report_published_by_then_the_rating_one_first_on_a_tie(ratings):
    assert [(p, r) for p, r, _, _ in ratings["L2"]] == [
        (date(2024, 3, 31), "Good"), (date(2024, 4, 30), "Good"), (date(2024, 5, 31), "Good"),
        (date(2024, 6, 30), "Inadequate"), (date(2024, 7, 31), "Inadequate"), (date(2024, 8, 31), "Inadequate")]


def test_between_the_routes_the_later_publication_wins_and_the_sheet_on_the_same_day(ratings):
    assert [(p, r, s) for p, r, s, _ in ratings["L3"]] == [
        (date(2024, 1, 31), "Good", "cqc-ratings-sheet"), (date(2024, 2, 29), "Good", "cqc-ratings-sheet"),
        (date(2024, 3, 31), "Good", "cqc-ratings-sheet"),
        # 2 April: the API's report; May's sheet release carries the same day's rating (known from 2 April too)
        (date(2024, 4, 30), "Inadequate", "cqc-ratings-sheet"), (date(2024, 5, 31), "Inadequate", "cqc-ratings-sheet"),
        (date(2024, 6, 30), "Inadequate", "cqc-ratings-sheet"), (date(2024, 7, 31), "Inadequate", "cqc-ratings-sheet"),
        (date(2024, 8, 31), "Inadequate", "cqc-ratings-sheet")]


def _return(period_end: str, release: str, published: str, liquidity: float, change: str = "new") -> tuple:
    return ("RX1", period_end, "2024-25", release, published, published, change, liquidity)


@pytest.fixture(scope="module")
def returns(tmp_path_factory) -> list[tuple]:
    """The finance return RX1 had filed at each month end: [(month, return month, liquidity days)]."""
    home = tmp_path_factory.mktemp("finance")
    rows = [
        _return("2024-04-30", "2024-04", "2024-05-20", 1.0),
        _return("2024-05-31", "2024-05", "2024-06-15", 2.0),
        _return("2024-04-30", "2024-06", "2024-07-10", 1.5, "changed"),   # April resubmitted in July
        _return("2024-05-31", "2024-07", "2024-08-10", 2.0, "removed"),   # May withdrawn in August
    ]
    with duckdb.connect(str(home / "warehouse.duckdb")) as db:
        _grid(db)
        db.execute("create table staging.stg_finance__monthly_returns (org_code varchar, period_end date, "
                   "financial_year varchar, release_key varchar, published_on date, received_on date, "
                   "release_change varchar, liquidity_days double, ytd_plan_surplus double, ytd_actual_surplus "
                   "double, ytd_operating_income double, ytd_agency_spend double, ytd_agency_ceiling double, "
                   "revenue_available_for_capital_service double, capital_service double, source_sha256 varchar)")
        db.executemany("insert into staging.stg_finance__monthly_returns (org_code, period_end, financial_year, "
                       "release_key, published_on, received_on, release_change, liquidity_days) "
                       "values (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    run_dbt(home, "seed", "--select", "finance_metric_thresholds")
    run_dbt(home, "run", "--select", "int_trust_finance_scored", "--vars", "{as_at: 2024-09-01}")
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as db:
        versions = db.execute("select count(distinct methodology_version) from methodology.finance_metric_thresholds"
                              ).fetchone()[0]
        found = db.execute("select period, return_period_end, liquidity_days, count(*) "
                           "from intermediate.int_trust_finance_scored group by all order by period").fetchall()
    assert {n for *_, n in found} == {versions}  # one row per methodology version
    return [row[:3] for row in found]


def test_the_return_filed_by_each_month_end_as_it_then_stood(returns):
    assert returns == [
        (date(2024, 5, 31), date(2024, 4, 30), 1.0),
        (date(2024, 6, 30), date(2024, 5, 31), 2.0),
        (date(2024, 7, 31), date(2024, 5, 31), 2.0),  # April's resubmission does not displace the newer May
        (date(2024, 8, 31), date(2024, 4, 30), 1.5),  # May withdrawn: April, as resubmitted
    ]
