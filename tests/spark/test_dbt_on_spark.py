"""The whole pipeline on Spark: `oversight run --engine spark` runs the same Dagster definitions with dbt on the Spark
target (a local session), the mart checks on Spark's tables, and publishes the snapshot from Spark's Parquet marts.
On the same simulated feeds as a DuckDB run, the two published snapshots hold the same tables, column types and rows,
and the API answers the same. `make test-spark` runs it (CI runs it after `make test`); it needs Java 17 and the
project's `spark` extra."""
import shutil
from pathlib import Path

import duckdb
import httpx
import pytest

from orchestration.compare import compare_snapshots
from orchestration.whatif import WHATIF_SQL_TABLE
from tests.integration.support import environment, oversight, serving

pytestmark = pytest.mark.spark

AS_AT = "2026-12-01"


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    """One small simulated mirror run through the pipeline twice: once with the models on DuckDB and once on Spark,
    each in a home of its own."""
    if shutil.which("java") is None:
        pytest.fail("Spark needs Java 17 on the PATH (`java` not found)")
    feeds = tmp_path_factory.mktemp("mirror")
    simulated = oversight(environment(feeds), "simulate", "--scale", "small", "--seed", "2", "--out", str(feeds))
    assert simulated.returncode == 0, simulated.stderr[-3000:]
    runs = {}
    for engine in ("duckdb", "spark"):
        home = tmp_path_factory.mktemp(f"{engine}-home")
        env = environment(home, OVERSIGHT_FEEDS_URL=feeds.as_uri())
        run = oversight(env, "run", "--engine", engine, "--as-at", AS_AT, timeout=1800)
        assert run.returncode == 0, f"--engine {engine}:\n" + run.stdout[-4000:] + run.stderr[-3000:]
        runs[engine] = {"home": home, "env": env, "stdout": run.stdout}
    return runs


def _snapshot(run) -> Path:
    return run["home"] / "serving" / "oversight.duckdb"


def test_the_spark_run_builds_every_model_on_spark_and_publishes_from_it(engines):
    spark = engines["spark"]
    assert "models on spark" in spark["stdout"]
    built = spark["home"] / "spark" / "warehouse" / "marts.db"
    with duckdb.connect(str(_snapshot(spark)), read_only=True) as db:
        assert db.execute("select engine from publication").fetchone() == ("spark",)
        marts = [r[0] for r in db.execute("select table_name from information_schema.tables").fetchall()
                 if r[0].startswith(("fct_", "dim_", "rpt_"))]
    assert set(marts) <= {p.name for p in built.iterdir()}, "a published mart Spark did not build"
    assert not (spark["home"] / "warehouse.duckdb").exists(), "the Spark run built on DuckDB"
    rebuilt = [line for line in engines["duckdb"]["stdout"].splitlines() if "models rebuilt" in line]
    assert rebuilt and rebuilt == [line.replace(str(spark["home"]), str(engines["duckdb"]["home"]))
                                   for line in spark["stdout"].splitlines() if "models rebuilt" in line]


def test_the_published_snapshots_are_the_same_table_by_table(engines):
    """Every table the same, but one: the what-if's query is the failure scale's SQL as DuckDB compiled it, read back
    from the DuckDB warehouse's views; a Spark build has Spark SQL, which the API cannot run, so it publishes none
    (and the what-if says so: the next test)."""
    differences = compare_snapshots(_snapshot(engines["duckdb"]), _snapshot(engines["spark"]))
    other = [d for d in differences if d.table != WHATIF_SQL_TABLE]
    assert other == [], "\n".join(map(str, other))
    assert [d.what for d in differences if d.table == WHATIF_SQL_TABLE][:1] == ["1 rows ≠ 0"]


def test_the_what_if_on_a_spark_snapshot_says_it_has_no_query(engines):
    ask = {"methodology_version": "v2", "thresholds": {}}
    with serving(engines["spark"]["env"]) as base:
        refused = httpx.post(base + "/methodology/what-if", json=ask, timeout=60)
    with serving(engines["duckdb"]["env"]) as base:
        answered = httpx.post(base + "/methodology/what-if", json=ask, timeout=60)
    assert answered.status_code == 200, answered.text[:300]
    assert refused.status_code == 503 and "without the what-if" in refused.json()["detail"]


def test_the_api_cannot_tell_which_engine_built_its_snapshot(engines):
    paths = ["/failure-scale", "/health-economies", "/analysis/economy-link", "/analysis/finance-quality",
             "/trusts", "/calibration", "/methodology"]                  # under the API base `serving` yields
    answers = {}
    for engine, run in engines.items():
        with serving(run["env"]) as base:
            answers[engine] = {}
            for path in paths:
                response = httpx.get(base + path, timeout=30)
                assert response.status_code == 200, (engine, path, response.text[:300])
                answers[engine][path] = _without_run(response.json())
    for path in paths:
        assert answers["duckdb"][path] == answers["spark"][path], path


def _without_run(body):
    """A response without what names the run that published it (its id and time), which differ run to run, and its
    figures to 10 significant digits (as the snapshots are compared: two engines may sum in another order)."""
    if isinstance(body, float):
        return float(f"{body:.10g}")
    if isinstance(body, dict):
        return {k: _without_run(v) for k, v in body.items() if k not in {"run_id", "published_at", "snapshot"}}
    if isinstance(body, list):
        return [_without_run(v) for v in body]
    return body
