"""Which models a new release reaches only through the reporting months, and when they may stay as built
(orchestration/grid.py): on the project's own asset graph, and on a real DuckDB warehouse whose grid is a view."""
import dagster as dg
import duckdb
import pytest

from orchestration import grid
from orchestration.settings import Settings

SICKNESS = dg.AssetKey(["workforce", "sickness_absence"])
CQC_SHEET = dg.AssetKey(["cqc", "latest_ratings"])


@pytest.fixture(scope="module")
def graph():
    from orchestration.definitions import defs
    return defs.resolve_asset_graph()


def _names(keys) -> set[str]:
    return {k.to_user_string() for k in keys}


def test_a_sickness_month_reaches_the_ratings_and_the_finance_only_through_the_grid(graph):
    kept = _names(grid.through_grid_only({SICKNESS}, graph))
    assert {"int_cqc_ratings_known", "fct_trust_quality", "int_trust_finance_scored", "fct_trust_finance",
            "fct_trust_workforce_by_staff_group", "int_trust_months"} <= kept
    # what reads the sickness releases themselves is rebuilt: the workforce, the failure scale, the economies
    assert not kept & {"int_sickness_known", "fct_trust_workforce", "int_failure_scale_criteria",
                       "fct_trust_failure_scale", "fct_economy_condition", "rpt_economy_trust_link", "serving/snapshot",
                       "int_reporting_months"}


def test_a_ratings_sheet_reaches_the_ratings_directly(graph):
    kept = _names(grid.through_grid_only({CQC_SHEET, SICKNESS}, graph))
    assert not kept & {"int_cqc_ratings_known", "fct_trust_quality", "rpt_pockets_of_poor_care"}
    assert "fct_trust_finance" in kept


# --- when the grid is known unchanged ---------------------------------------------------------------------------

@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("OVERSIGHT_HOME", str(tmp_path))
    monkeypatch.delenv("OVERSIGHT_ENGINE", raising=False)
    monkeypatch.delenv("OVERSIGHT_REPORT_MONTHS_MAX", raising=False)
    settings = Settings.from_env()
    with duckdb.connect(str(settings.warehouse_path)) as db:
        db.execute("CREATE SCHEMA intermediate")
        db.execute("CREATE TABLE intermediate.releases AS SELECT * FROM (VALUES (DATE '2026-09-30'), "
                   "(DATE '2026-10-31')) AS t(month_end)")
        db.execute("CREATE VIEW intermediate.int_reporting_months AS SELECT month_end FROM intermediate.releases")
    return settings


def _add_month(settings, month_end: str) -> None:
    with duckdb.connect(str(settings.warehouse_path)) as db:
        db.execute(f"INSERT INTO intermediate.releases VALUES (DATE '{month_end}')")


def test_the_grid_is_read_live_through_the_view(home):
    assert grid.live(home) == grid.Grid(2, "2026-09-30", "2026-10-31")
    _add_month(home, "2026-11-30")
    assert grid.live(home) == grid.Grid(3, "2026-09-30", "2026-11-30")


def test_models_stay_as_built_only_after_the_served_build_on_the_same_grid(home, graph):
    through = grid.through_grid_only({SICKNESS}, graph)
    assert grid.prunable(home, "run-1", {SICKNESS}, graph) == set()        # no build recorded: rebuild
    grid.begun(home, "run-1")
    assert grid.prunable(home, "run-1", {SICKNESS}, graph) == set()        # a build begun, never finished
    grid.finished(home, "run-1")
    assert grid.prunable(home, "run-1", {SICKNESS}, graph) == through      # the served build, the same grid
    assert grid.prunable(home, "run-0", {SICKNESS}, graph) == set()        # another build is served
    grid.begun(home, "run-2")
    grid.finished(home, "run-2")                                            # a build since, not published
    assert grid.prunable(home, "run-1", {SICKNESS}, graph) == set()
    _add_month(home, "2026-11-30")                                          # the new release moves the grid
    assert grid.prunable(home, "run-2", {SICKNESS}, graph) == set()


def test_another_reporting_length_or_a_grid_built_as_a_table_rebuilds(home, graph, monkeypatch):
    grid.begun(home, "run-1")
    grid.finished(home, "run-1")
    monkeypatch.setenv("OVERSIGHT_REPORT_MONTHS_MAX", "24")
    assert grid.prunable(Settings.from_env(), "run-1", {SICKNESS}, graph) == set()
    monkeypatch.delenv("OVERSIGHT_REPORT_MONTHS_MAX")
    with duckdb.connect(str(home.warehouse_path)) as db:   # a table holds the grid as last built, not as it is now
        db.execute("DROP VIEW intermediate.int_reporting_months")
        db.execute("CREATE TABLE intermediate.int_reporting_months AS SELECT * FROM intermediate.releases")
    assert grid.live(home) is None and grid.prunable(home, "run-1", {SICKNESS}, graph) == set()
