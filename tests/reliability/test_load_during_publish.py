"""Readers hammering the API while the pipeline publishes new snapshots: zero errors, and never an answer that mixes
two snapshots.

Each publish is the real `publish()` from a warehouse whose marts carry their generation in every trust's name
(`… #k`), published as run `load-k`: an answer names its snapshot, and every generation mark in its body must be
that snapshot's — a response built half from one snapshot and half from the next would show two marks, or the wrong
one.
"""
from __future__ import annotations

import os
import re
import shutil
import threading
import time
from datetime import date
from pathlib import Path

import duckdb
import httpx
import pytest

from orchestration.publish import publish
from orchestration.settings import Settings
from tests.api.support import ServerThread
from tests.reliability.child import marts_of

GENERATIONS = int(os.environ.get("OVERSIGHT_RELIABILITY_PUBLISHES", "4"))
READERS = 4
PATHS = ["/trusts?limit=500", "/failure-scale?limit=500", "/organisations?type=trust&limit=500", "/trusts?format=csv"]
MARK = re.compile(r"#(\d+)\b")


@pytest.fixture
def generations(pipeline, tmp_path) -> tuple[Path, list[Path], list[str]]:
    """A home serving the session's snapshot, and GENERATIONS warehouses to publish from, each marked."""
    source = Path(pipeline["home"])
    home = tmp_path / "home"
    (home / "serving").mkdir(parents=True)
    shutil.copyfile(source / "serving" / "oversight.duckdb", home / "serving" / "oversight.duckdb")
    shutil.copytree(source / "parquet", home / "parquet")
    marts = marts_of(home / "serving" / "oversight.duckdb")
    warehouses = []
    for k in range(1, GENERATIONS + 1):
        warehouse = tmp_path / f"warehouse-{k}.duckdb"
        shutil.copyfile(source / "warehouse.duckdb", warehouse)
        with duckdb.connect(str(warehouse)) as db:
            for (table,) in db.execute("SELECT table_name FROM duckdb_columns() WHERE schema_name = 'marts' "
                                       "AND column_name = 'trust_name' AND table_name IN (SELECT table_name FROM "
                                       "duckdb_tables() WHERE schema_name = 'marts')").fetchall():
                db.execute(f"UPDATE marts.\"{table}\" SET trust_name = trust_name || ' #{k}'")
        warehouses.append(warehouse)
    return home, warehouses, marts


def test_readers_during_publishes_see_no_error_and_no_mixed_snapshot(generations, ledger):
    home, warehouses, marts = generations
    settings = Settings(home=home, feeds_url=None)
    with duckdb.connect(str(settings.serving_path), read_only=True) as db:
        [(first_id,)] = db.execute("SELECT run_id FROM publication").fetchall()
    answers: list[tuple[str, set[str]]] = []
    errors: list[str] = []
    stop = threading.Event()

    def read(port: int, n: int):
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=30) as client:
            i = n
            while not stop.is_set():
                path = PATHS[i % len(PATHS)]
                i += 1
                try:
                    response = client.get(path)
                except httpx.HTTPError as error:
                    errors.append(f"{path}: {error!r}")
                    continue
                if response.status_code != 200:
                    errors.append(f"{path}: {response.status_code} {response.text[:200]}")
                    continue
                if "format=csv" in path:
                    snapshot = response.headers.get("etag", "")
                    answers.append((f"csv:{snapshot}", set(MARK.findall(response.text))))
                else:
                    answers.append((response.json()["snapshot"]["id"], set(MARK.findall(response.text))))

    with ServerThread(home, api_rate_limit=0) as api:
        threads = [threading.Thread(target=read, args=(api.base_url.port, n), daemon=True) for n in range(READERS)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        for k, warehouse in enumerate(warehouses, start=1):
            os.replace(warehouse, settings.warehouse_path)        # the pipeline's dbt build finished: new marts
            publish(settings, marts, f"load-{k}", date(2026, 12, 1), "reliability")
            time.sleep(0.4)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not errors, errors[:5]
    json_answers = [(snapshot, marks) for snapshot, marks in answers if not snapshot.startswith("csv:")]
    seen = {snapshot for snapshot, _ in json_answers}
    assert f"load-{len(warehouses)}" in seen and len(seen) >= 3, seen   # readers saw the swaps happen
    mixed = []
    for snapshot, marks in json_answers:
        expected = set() if snapshot == first_id else {snapshot.removeprefix("load-")}
        if marks != expected:
            mixed.append((snapshot, sorted(marks)))
    # a CSV answer names its snapshot by its ETag: one generation's marks in each
    mixed += [(snapshot, sorted(marks)) for snapshot, marks in answers if snapshot.startswith("csv:")
              and len(marks) > 1]
    assert not mixed, mixed[:5]
    ledger.record("requests under load", len(answers), errors_served=len(errors) + len(mixed),
                  what=f"{READERS} readers through {len(warehouses)} publishes: none mixed two snapshots")
