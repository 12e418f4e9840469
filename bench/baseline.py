"""The transforms' reference: the marts computed by plain DuckDB SQL straight from the stored Parquet files, with no
orchestration, no dbt run, no checks — what the pipeline's build would cost if nothing but the SQL ran.

The SQL is the dbt project's own, compiled once (`dbt compile`, not timed) and executed model by model, in dependency
order, in one DuckDB connection; the seeds are copied from the pipeline's warehouse. It is the floor of these
transforms as written, not an independently written script: a faster formulation of the same marts would lower it.
The marts it builds are checked against the pipeline's (same tables, same row counts) so that the ratio compares like
with like.

    python -m bench.baseline --home HOME     # a home the pipeline has run in; prints a JSON line
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb

DBT_PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"


def compile_models(home: Path, env: dict, as_at: str) -> list[dict]:
    """Every model's compiled SQL and materialisation, in an order where each comes after what it reads."""
    with tempfile.TemporaryDirectory(prefix="baseline-target-") as folder:
        return _compile(home, env, as_at, Path(folder))


def _compile(home: Path, env: dict, as_at: str, target: Path) -> list[dict]:
    dbt_env = {**env, "OVERSIGHT_HOME": str(home), "DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(target)}
    compiled = subprocess.run([str(Path(sys.executable).parent / "dbt"), "compile", "--target", "duckdb",
                               "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
                               "--vars", json.dumps({"as_at": as_at}), "--quiet"],
                              env=dbt_env, cwd=home, capture_output=True, text=True)
    if compiled.returncode != 0:
        raise RuntimeError("dbt compile failed:\n" + compiled.stdout[-3000:] + compiled.stderr[-2000:])
    manifest = json.loads((target / "manifest.json").read_text())
    models = {key: node for key, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    graph = {key: [d for d in node["depends_on"]["nodes"] if d in models] for key, node in models.items()}
    return [{"name": models[k]["name"], "schema": models[k]["schema"], "relation": models[k]["relation_name"],
             "materialized": models[k]["config"]["materialized"], "sql": models[k]["compiled_code"]}
            for k in TopologicalSorter(graph).static_order()]


def build(home: Path, models: list[dict], seeds_from: Path) -> dict:
    """Run the compiled models in a fresh DuckDB file named like the pipeline's (so the compiled relation names
    resolve), removed afterwards; returns the seconds the models took and each mart's row count."""
    with tempfile.TemporaryDirectory(prefix="baseline-") as folder:
        return _build(models, seeds_from, Path(folder))


def _build(models: list[dict], seeds_from: Path, folder: Path) -> dict:
    with duckdb.connect(str(folder / "warehouse.duckdb")) as db:
        db.execute(f"ATTACH '{seeds_from}' AS pipeline (READ_ONLY)")
        for schema in {"methodology"} | {m["schema"] for m in models}:
            db.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        for (table,) in db.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'pipeline' AND "
                                   "schema_name = 'methodology'").fetchall():
            db.execute(f'CREATE TABLE methodology."{table}" AS SELECT * FROM pipeline.methodology."{table}"')
        db.execute("DETACH pipeline")
        start = time.perf_counter()
        for model in models:
            kind = "VIEW" if model["materialized"] == "view" else "TABLE"
            db.execute(f"CREATE {kind} {model['relation']} AS {model['sql']}")
        seconds = time.perf_counter() - start
        marts = {m["name"]: db.execute(f"SELECT count(*) FROM {m['relation']}").fetchone()[0]
                 for m in models if m["schema"] == "marts"}
    return {"seconds": round(seconds, 2), "marts": marts}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--as-at", default="2026-12-01")
    parser.add_argument("--models", type=Path, help="compiled models (JSON) from an earlier compile")
    args = parser.parse_args()
    models = json.loads(args.models.read_text()) if args.models else compile_models(args.home, dict(os.environ),
                                                                                    args.as_at)
    print(json.dumps(build(args.home, models, args.home / "warehouse.duckdb")))


if __name__ == "__main__":
    main()
