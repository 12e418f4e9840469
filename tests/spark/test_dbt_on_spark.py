"""The same dbt project on Spark (dbt-spark, a local session): built from the same Parquet files as the DuckDB
warehouse, every mart holds the same rows. `make test-spark` runs it (CI runs it after `make test`); it needs Java 17
and the project's `spark` extra."""
import datetime
import decimal
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from orchestration.feeds.catalog import FEEDS
from tests.integration.support import environment, oversight

pytestmark = pytest.mark.spark

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
AS_AT = "2026-12-01"


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    """A small simulated England through the whole pipeline, then `dbt build` on DuckDB and on Spark on its files."""
    if shutil.which("java") is None:
        pytest.fail("Spark needs Java 17 on the PATH (`java` not found)")
    home = tmp_path_factory.mktemp("spark-home")
    env = environment(home)
    run = oversight(env, "run", "--scale", "small", "--seed", "2", "--as-at", AS_AT, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    _quarantine_some_rows(home)
    # The pipeline logs its mart checks after dbt has run: build on DuckDB again, then on Spark, from the same files.
    builds = {}
    for target in ("duckdb", "spark"):
        dbt_env = dict(env, DBT_TARGET_PATH=str(home / target / "target"), DBT_LOG_PATH=str(home / target / "logs"))
        build = subprocess.run([str(Path(sys.executable).parent / "dbt"), "build", "--target", target,
                                "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
                                "--vars", f'{{"as_at": "{AS_AT}"}}'],
                               env=dbt_env, cwd=home, capture_output=True, text=True, timeout=1800)
        assert build.returncode == 0, f"dbt build --target {target}:\n" + build.stdout[-6000:] + build.stderr[-3000:]
        builds[target] = build.stdout
    return home, builds["spark"]


def _quarantine_some_rows(home: Path) -> None:
    """The simulation is clean: put rows the real parsers refuse where the ingestion keeps them, one file in a
    release folder and one not, so that both engines read the quarantine's two layouts."""
    sickness = (home / "feeds/workforce/sickness/nhs_sickness_absence_2026-05.csv").read_text().splitlines()
    sickness[1] = sickness[1].rsplit(",", 1)[0] + ",99.99"                           # rate ≠ 100 × lost / available
    etr = (home / "feeds/ods/etr.csv").read_text().splitlines()
    fields = etr[2].split('","')
    fields[10] = "20241301"                                                          # month 13
    etr[2] = '","'.join(fields)
    for kind, lines, folder in (("sickness-absence", sickness, "workforce/sickness_absence/release=2026-05"),
                                ("ods-trusts", etr, "ods/trusts")):
        content = ("\r\n".join(lines) + "\r\n").encode()
        result = FEEDS[kind].parse(content, f"bad-{kind}.csv")
        assert result.rows_quarantined == 1, result.report()
        path = home / "quarantine" / folder / f"{hashlib.sha256(content).hexdigest()}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(result.quarantine_table(), path)


def _marts(home: Path) -> list[str]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as db:
        return [r[0] for r in db.execute("select table_name from information_schema.tables "
                                         "where table_schema = 'marts' order by 1").fetchall()]


def _value(value):
    """One cell, comparable across engines: numbers to 9 significant digits, JSON by meaning, not by spelling."""
    if isinstance(value, (float, decimal.Decimal)):
        return float(f"{float(value):.9g}")
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:  # DuckDB's timestamptz; Spark's is UTC
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.dumps(json.loads(value), sort_keys=True)
        except ValueError:
            return value
    return value


def _rows(db, relation: str, columns: list[str]) -> list[tuple]:
    listed = ", ".join(f'"{c}"' for c in columns)
    rows = db.execute(f"select {listed} from {relation}").fetchall()
    return sorted((tuple(_value(v) for v in row) for row in rows), key=repr)


def test_dbt_build_on_spark_runs_every_model_and_test(engines):
    home, log = engines
    assert "ERROR=0" in log and "SKIP=0" in log
    assert set(_marts(home)) <= {p.name for p in (home / "spark" / "warehouse" / "marts.db").iterdir()}


def test_every_mart_holds_the_same_rows_on_spark_as_on_duckdb(engines):
    home, _ = engines
    marts = _marts(home)
    assert {"fct_trust_failure_scale", "rpt_economy_trust_link", "fct_economy_condition",
            "fct_quarantined_rows"} <= set(marts)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as db:
        quarantined = db.execute("select feed_folder, table_name, partition_key, rule from marts.fct_quarantined_rows "
                                 "order by 1").fetchall()
    assert quarantined == [("ods", "trusts", "", "date_format"),
                           ("workforce", "sickness_absence", "2026-05", "rate_mismatch")]
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as db:
        for mart in marts:
            columns = [r[0] for r in db.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' "
                "and table_name = ? order by ordinal_position", [mart]).fetchall()]
            on_spark = f"read_parquet('{home}/spark/warehouse/marts.db/{mart}/*.parquet')"
            spark_columns = [r[0] for r in db.execute(f"describe select * from {on_spark}").fetchall()]
            assert spark_columns == columns, mart
            duck, spark = _rows(db, f"marts.{mart}", columns), _rows(db, on_spark, columns)
            assert len(duck) == len(spark), f"{mart}: {len(duck)} rows on DuckDB, {len(spark)} on Spark"
            assert duck == spark, f"{mart}: first difference " + next(
                f"{d} ≠ {s}" for d, s in zip(duck, spark) if d != s)
