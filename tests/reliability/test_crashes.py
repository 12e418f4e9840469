"""Crashes and full disks: the work killed (SIGKILL, its process group) or refused room part-way, then run again.

In `make test`, the representative points, each on small work in a process of its own (tests/reliability/child.py):
a series' ingestion killed mid-download, mid-parse and mid-store (a commit half renamed); a publish killed between
writing the new snapshot and swapping it in, while the API serves the old one throughout; a store and a publish
refused room (RLIMIT_FSIZE). After each: the re-run ends with exactly the store and the snapshot an uninterrupted
run gives — no duplicate, no missing partition, no lock left held, nothing half-written visible. `make bench` kills
whole `oversight run`s at every point, dbt included (bench/crash_sweep.py).
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from orchestration.feeds import pipeline
from orchestration.feeds.workforce import SICKNESS
from orchestration.settings import Settings
from simulator import simulate
from simulator.feed_server import make_server, start_in_thread
from tests.reliability.child import marts_of

ROOT = Path(__file__).resolve().parents[2]
KEYS = ["2026-04", "2026-05", "2026-06"]
# `make test` kills one representative point of ingestion (a commit half renamed); `make bench` every point
FULL = os.environ.get("OVERSIGHT_RELIABILITY_FULL") == "1"
INGESTION_POINTS = ["download:3", "parse:2", "store:3", "store:4"] if FULL else ["store:3"]


def child(*args: str, crash: str | None = None, fsize: int | None = None, timeout: float = 300):
    env = {**os.environ, "OVERSIGHT_FETCH_BACKOFF_SECONDS": "0"}
    env.pop("OVERSIGHT_CRASH_AT", None)
    if crash:
        env["OVERSIGHT_CRASH_AT"] = crash
    limit = ["--fsize", str(fsize)] if fsize else []
    return subprocess.run([sys.executable, "-m", "tests.reliability.child", *args, *limit], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, start_new_session=True)


@pytest.fixture(scope="module")
def feeds(tmp_path_factory):
    root = tmp_path_factory.mktemp("crash-mirror")
    simulate("small", 3, root, feeds={"sickness"})
    server = make_server(root)
    base = start_in_thread(server)
    yield base
    server.shutdown()
    server.server_close()


def _store(home: Path):
    return pipeline.release_store(Settings(home=home, feeds_url=None), SICKNESS)


def _rows(home: Path):
    table = _store(home).known_as_of(date(2100, 1, 1))
    return table.sort_by([(c, "ascending") for c in ("org_code", "month_end")])


@pytest.fixture(scope="module")
def uninterrupted(feeds, tmp_path_factory):
    home = tmp_path_factory.mktemp("uninterrupted")
    done = child("ingest", str(home), feeds, *KEYS, "--no-suite")
    assert done.returncode == 0, done.stderr
    return _rows(home), _store(home).state()


def _half_written(home: Path) -> list[str]:
    """Visible files that are not whole: Parquet without its footer, JSON that does not parse."""
    broken = []
    for path in home.rglob("*"):
        if not path.is_file() or path.name.startswith("."):
            continue
        try:
            if path.suffix == ".parquet":
                pq.read_metadata(path)
            elif path.suffix == ".json":
                json.loads(path.read_text())
            elif path.suffix == ".jsonl":
                [json.loads(line) for line in path.read_text().splitlines()]
        except Exception as error:  # noqa: BLE001
            broken.append(f"{path}: {error}")
    return broken


def _lock_is_free(home: Path) -> bool:
    with open(_store(home).root / ".lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def assert_same_as_uninterrupted(home: Path, uninterrupted) -> int:
    rows, state = uninterrupted
    got = _rows(home)
    assert sorted(_store(home).state()) == sorted(state), "a partition is missing or extra"
    keys = list(zip(got.column("month_end").to_pylist(), got.column("org_code").to_pylist()))
    assert len(keys) == len(set(keys)), "a row is stored twice"
    compared = [c for c in rows.schema.names if c != "_received_on"]
    assert got.select(compared).equals(rows.select(compared)), "the stored rows differ from an uninterrupted run's"
    assert not (_store(home).root / ".commit.json").exists() and _lock_is_free(home)
    assert not _half_written(home)
    return rows.num_rows - got.num_rows


# download:3 — the second release's body read in part (the index's chunk counts first); parse:2 — the second release
# parsed, not stored; store:3 — the second release's delta renamed into place, the state not yet (each commit renames
# a delta, then the state); store:4 — the second commit renamed whole, its journal not yet removed
@pytest.mark.parametrize("point", INGESTION_POINTS)
def test_an_ingestion_killed_mid_way_is_completed_by_the_next_run(point, feeds, uninterrupted, tmp_path, ledger):
    home = tmp_path / "home"
    killed = child("ingest", str(home), feeds, *KEYS, "--no-suite", crash=point)
    assert killed.returncode == -9, (killed.returncode, killed.stdout, killed.stderr)
    assert not _half_written(home)
    if _store(home).state():
        assert _lock_is_free(home)                             # the kernel let go of the flock with the process
    again = child("ingest", str(home), feeds, *KEYS, "--no-suite")
    assert again.returncode == 0, again.stderr
    lost = assert_same_as_uninterrupted(home, uninterrupted)
    ledger.record("crashes survived", 1, rows_lost=lost, what=f"ingestion killed (SIGKILL) at {point}")


# --- publish ------------------------------------------------------------------------------------------------------

@pytest.fixture
def published_home(pipeline, tmp_path) -> Path:
    """A home holding the session run's warehouse and its published snapshot (copies: ours to break)."""
    source = Path(pipeline["home"])
    home = tmp_path / "home"
    (home / "serving").mkdir(parents=True)
    for name in ("warehouse.duckdb", "warehouse.duckdb.wal"):
        if (source / name).exists():
            shutil.copyfile(source / name, home / name)
    shutil.copyfile(source / "serving" / "oversight.duckdb", home / "serving" / "oversight.duckdb")
    shutil.copytree(source / "parquet", home / "parquet")
    return home


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Readers:
    """Threads reading the API without pause; every answer must be a 200 naming one snapshot."""

    def __init__(self, client_factory, paths: list[str], threads: int = 3):
        self.factory, self.paths = client_factory, paths
        self.seen: list[str] = []
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._read, daemon=True) for _ in range(threads)]

    def _read(self):
        with self.factory() as client:
            n = 0
            while not self.stop.is_set():
                path = self.paths[n % len(self.paths)]
                n += 1
                try:
                    response = client.get(path)
                except Exception as error:  # noqa: BLE001
                    self.errors.append(f"{path}: {error!r}")
                    continue
                if response.status_code != 200:
                    self.errors.append(f"{path}: {response.status_code} {response.text[:200]}")
                else:
                    self.seen.append(response.json()["snapshot"]["id"])

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)


def _client(port: int):
    import httpx
    return lambda: httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=30)


def test_a_publish_killed_before_its_swap_leaves_the_last_good_snapshot_served(published_home, ledger):
    from tests.api.support import ServerThread

    serving = Settings(home=published_home, feeds_url=None).serving_path
    before, marts = _digest(serving), marts_of(serving)
    with duckdb.connect(str(serving), read_only=True) as db:
        [(old_id,)] = db.execute("SELECT run_id FROM publication").fetchall()
    paths = ["/trusts", "/failure-scale", "/health-economies"]
    with ServerThread(published_home, api_rate_limit=0) as api, Readers(_client(api.base_url.port), paths) as readers:
        killed = child("publish", str(published_home), "killed-run", ",".join(marts), crash="publish")
        assert killed.returncode == -9, killed.stderr
        assert _digest(serving) == before                       # the served snapshot untouched
        assert [p.name for p in serving.parent.iterdir() if not p.name.startswith(".")] == ["oversight.duckdb"]
        time.sleep(0.5)
        during = len(readers.seen)
        assert set(readers.seen) == {old_id}
        again = child("publish", str(published_home), "second-run", ",".join(marts))
        assert again.returncode == 0, again.stderr
        deadline = time.monotonic() + 30
        while (not readers.seen or readers.seen[-1] != "second-run") and time.monotonic() < deadline:
            time.sleep(0.1)
    assert not readers.errors, readers.errors[:5]
    assert set(readers.seen) == {old_id, "second-run"} and readers.seen[-1] == "second-run"
    assert sorted(p.name for p in serving.parent.iterdir()) == ["oversight.duckdb"]   # the half-made one removed
    with duckdb.connect(str(serving), read_only=True) as db:
        db.execute(f"ATTACH '{published_home / 'warehouse.duckdb'}' AS w (READ_ONLY)")
        for table in marts:
            [(served,)] = db.execute(f'SELECT count(*) FROM "{table}"').fetchall()
            [(built,)] = db.execute(f'SELECT count(*) FROM w.marts."{table}"').fetchall()
            assert served == built, table
    ledger.record("crashes survived", 1, what="publish killed (SIGKILL) between writing and swapping")
    ledger.record("requests under load", len(readers.seen), errors_served=len(readers.errors),
                  what="API read through a killed publish and a good one")
    assert during > 0


# --- full disk ----------------------------------------------------------------------------------------------------

def test_a_full_disk_during_a_store_says_so_and_the_next_run_succeeds(feeds, uninterrupted, tmp_path, ledger):
    home = tmp_path / "home"
    full = child("ingest", str(home), feeds, *KEYS, fsize=6_000)          # with the GX suite: it writes too
    assert full.returncode == 1, (full.returncode, full.stdout, full.stderr)
    message = full.stderr.strip().splitlines()[-1]
    assert message.startswith("DiskFull: no room to write") and "free some space and run again" in message, message
    assert not _half_written(home)
    assert not [p for p in home.rglob("*.staged")] and not [p for p in home.rglob(".*.tmp")]
    again = child("ingest", str(home), feeds, *KEYS, "--no-suite")
    assert again.returncode == 0, again.stderr
    lost = assert_same_as_uninterrupted(home, uninterrupted)
    ledger.record("full disk", 1, rows_lost=lost, what="file-size limit during a store: one message, next run whole")


def test_a_full_disk_during_a_publish_says_so_and_keeps_the_served_snapshot(published_home, ledger):
    serving = Settings(home=published_home, feeds_url=None).serving_path
    before, marts = _digest(serving), marts_of(serving)
    full = child("publish", str(published_home), "full-disk-run", ",".join(marts), fsize=1 << 20)
    assert full.returncode == 1, (full.returncode, full.stderr)
    message = full.stderr.strip().splitlines()[-1]
    assert message.startswith("DiskFull: no room to write the serving snapshot"), message
    assert _digest(serving) == before
    assert sorted(p.name for p in serving.parent.iterdir()) == ["oversight.duckdb"]
    again = child("publish", str(published_home), "after-full-disk", ",".join(marts))
    assert again.returncode == 0, again.stderr
    with duckdb.connect(str(serving), read_only=True) as db:
        assert db.execute("SELECT run_id FROM publication").fetchall() == [("after-full-disk",)]
    ledger.record("full disk", 1, what="file-size limit during a publish: served snapshot kept, next run whole")


def test_what_was_stored_but_never_published_is_rebuilt_by_the_next_run(published_home):
    """A run killed (or refused room) after storing a release and before publishing: the next run finds the bytes
    held — nothing "new" — yet the snapshot was not built on them, so it must rebuild what depends on them."""
    import dagster as dg

    from orchestration.launch import unpublished_sources
    from orchestration.publish import published

    settings = Settings(home=published_home, feeds_url=None)
    sources = published(settings)["sources"]
    assert unpublished_sources(settings, sources) == set()            # the snapshot is built on what is stored
    state_path = _store(published_home).state_path
    state = json.loads(state_path.read_text())
    newest = max(state)
    del sources[SICKNESS.kind][newest]                                 # as if the newest month came after it
    assert unpublished_sources(settings, sources) == {dg.AssetKey(SICKNESS.asset_key_path)}
