"""The methodology seeds in a home an earlier build left behind: a new methodology release that adds a column to a
seed must load, not fail against the table the earlier build created (seeds are recreated: `+full_refresh`)."""
import duckdb

from tests.models.dbt_show import run_dbt

SEED = "failure_scale_thresholds"


def _columns(home) -> list[str]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as db:
        return [r[0] for r in db.execute(
            "select column_name from duckdb_columns() where schema_name = 'methodology' and table_name = ? "
            "order by column_index", [SEED]).fetchall()]


def test_a_seed_that_gained_a_column_loads_over_the_table_an_earlier_build_left(tmp_path):
    run_dbt(tmp_path, "seed", "--select", SEED)
    columns = _columns(tmp_path)
    assert {"calibration_step", "data_access"} <= set(columns)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as db:   # the table as the release before left it
        db.execute(f"alter table methodology.{SEED} drop column calibration_step")
        db.execute(f"alter table methodology.{SEED} drop column data_access")
    run_dbt(tmp_path, "seed", "--select", SEED)
    assert _columns(tmp_path) == columns
