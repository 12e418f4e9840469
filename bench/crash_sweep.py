"""`make bench` (and `python -m bench.crash_sweep [POINT ...]`): whole `oversight run`s killed at every crash point.

On a small simulated England: a first run publishes a snapshot without the newest sickness-absence release; the
release is then listed and a second run is killed (SIGKILL, its whole process group: dbt too) at a point —
mid-download, mid-parse, mid-store, mid-dbt, mid-publish — while `oversight serve` answers readers from the first
snapshot; a third run finishes. Its store and marts must equal those of an uninterrupted pair of runs, the readers
must have had no error, and no lock may be left. Results are merged into bench/results/reliability.json (the README
table, `python -m bench.reliability_table`).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

OVERSIGHT = [sys.executable, "-m", "orchestration.cli"]
AS_AT = "2026-12-01"
POINTS = ["download:1", "parse:1", "store:1", "dbt:10", "publish"]
# Marts built from the data-quality log, which records every attempt — a killed run's too — by design
ATTEMPT_LOGS = {"rpt_data_quality", "fct_quarantined_rows", "rpt_feed_freshness"}
SUMMARY = Path(__file__).parent / "results" / "reliability.json"


def _env(home: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")}
    return {**env, "OVERSIGHT_HOME": str(home), "OVERSIGHT_FEEDS_URL": (home / "feeds").as_uri(), **extra}


def _run(home: Path, crash: str | None = None, feeds_url: str | None = None) -> subprocess.CompletedProcess:
    extra = {"OVERSIGHT_CRASH_AT": crash} if crash else {}
    if feeds_url:
        extra["OVERSIGHT_FEEDS_URL"] = feeds_url
    return subprocess.run([*OVERSIGHT, "run", "--as-at", AS_AT], env=_env(home, **extra), capture_output=True,
                          text=True, timeout=3600, start_new_session=True)


def _prepared(root: Path) -> tuple[Path, dict]:
    """A home after its first run: the newest sickness release held back from the index. Returns it and the
    held-back entry."""
    home = root / "first"
    done = subprocess.run([*OVERSIGHT, "simulate", "--scale", "small", "--seed", "7", "--out", str(home / "feeds")],
                          env=_env(home), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    index_path = home / "feeds/workforce/sickness/releases.json"
    index = json.loads(index_path.read_text())
    held = max(index["releases"], key=lambda r: r["release"])
    index["releases"].remove(held)
    index_path.write_text(json.dumps(index))
    first = _run(home)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    return home, held


def _release(home: Path, held: dict) -> None:
    index_path = home / "feeds/workforce/sickness/releases.json"
    index = json.loads(index_path.read_text())
    index["releases"].append(held)
    index_path.write_text(json.dumps(index))


def fingerprint(home: Path) -> dict:
    """What must be the same as an uninterrupted run's: every series' stored releases, and every mart's rows."""
    import duckdb

    store = {}
    for state in sorted((home / "parquet").rglob("_state.json")):
        entries = json.loads(state.read_text())
        store[str(state.parent.relative_to(home))] = {
            key: [e.get("sha256"), e.get("new"), e.get("changed"), e.get("removed")] for key, e in entries.items()}
    marts = {}
    with duckdb.connect(str(home / "serving" / "oversight.duckdb"), read_only=True) as db:
        tables = [t for (t,) in db.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        for table in tables:
            if table == "publication" or table in ATTEMPT_LOGS:
                continue
            [(rows, digest)] = db.execute(f'SELECT count(*), coalesce(sum(hash(t)), 0)::VARCHAR FROM "{table}" t')\
                .fetchall()
            marts[table] = [rows, digest]
    locks = [str(p) for p in (home / "parquet").rglob(".commit.json")]
    return {"store": store, "marts": marts, "journals": locks}


class Readers:
    def __init__(self, port: int):
        self.port, self.seen, self.errors, self.stop = port, [], [], threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)

    def _read(self):
        import httpx
        with httpx.Client(base_url=f"http://127.0.0.1:{self.port}/api/v1", timeout=30) as client:
            while not self.stop.is_set():
                try:
                    response = client.get("/trusts")
                    if response.status_code == 200:
                        self.seen.append(response.json()["snapshot"]["id"])
                    else:
                        self.errors.append(response.status_code)
                except Exception as error:  # noqa: BLE001
                    self.errors.append(repr(error))
                time.sleep(0.02)


def _serve(home: Path) -> tuple[subprocess.Popen, int]:
    import httpx
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = _env(home, OVERSIGHT_API_RATE_LIMIT="0")
    server = subprocess.Popen([*OVERSIGHT, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200:
                return server, port
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("the API did not come up")


def main(points: list[str]) -> int:
    root = Path(tempfile.mkdtemp(prefix="oversight-crash-"))
    first, held = _prepared(root)
    reference = root / "reference"
    shutil.copytree(first, reference, symlinks=True)
    _release(reference, held)
    assert _run(reference).returncode == 0
    expected = fingerprint(reference)
    results, failures, dropped = {}, [], set()
    for point in points:
        home = root / point.replace(":", "-")
        shutil.copytree(first, home, symlinks=True)
        _release(home, held)
        server, port = _serve(home)
        readers = Readers(port)
        readers.thread.start()
        feed_server = feeds_url = None
        if point.startswith("download"):     # a body read in part needs HTTP: the mirror served by the feed server
            from simulator.feed_server import make_server, start_in_thread
            feed_server = make_server(home / "feeds")
            feeds_url = start_in_thread(feed_server)
        try:
            killed = _run(home, crash=point, feeds_url=feeds_url)
            old = set(readers.seen)
            again = _run(home, feeds_url=feeds_url)
            time.sleep(1.5)
        finally:
            readers.stop.set()
            readers.thread.join(timeout=30)
            server.terminate()
            server.wait(timeout=20)
            if feed_server is not None:
                feed_server.shutdown()
                feed_server.server_close()
        got = fingerprint(home)
        same = got == expected
        ok = killed.returncode == -9 and again.returncode == 0 and same and not readers.errors and len(old) == 1
        name = f"crash_sweep.py::oversight run killed at {point}"
        if ok:   # as in the suite, a point that failed vouches for nothing: its entry is dropped
            results[name] = {"category": "crashes survived", "cases": 1, "rows_lost": 0,
                             "errors_served": len(readers.errors), "what": f"whole oversight run killed (SIGKILL) at "
                                                                          f"{point}"}
            results[f"{name} (requests under load)"] = {
                "category": "requests under load", "cases": len(readers.seen), "rows_lost": 0,
                "errors_served": len(readers.errors), "what": "API read while whole runs were killed and re-run"}
        else:
            dropped |= {name, f"{name} (requests under load)"}
        print(f"{point}: killed rc={killed.returncode}, re-run rc={again.returncode}, same as uninterrupted: {same}, "
              f"readers {len(readers.seen)} answers, {len(readers.errors)} errors, snapshots seen during the kill: "
              f"{sorted(old)}", flush=True)
        if not ok:
            failures.append(point)
            if not same:
                for part in ("store", "marts", "journals"):
                    if got[part] != expected[part]:
                        keys = set(got[part]) | set(expected[part]) if isinstance(got[part], dict) else set()
                        differing = sorted(k for k in keys if got[part].get(k) != expected[part].get(k))
                        print(f"  {part} differs: {differing or got[part]}")
            print(again.stderr[-2000:])
    previous = json.loads(SUMMARY.read_text()) if SUMMARY.exists() else {}
    merged = {k: v for k, v in {**previous, **results}.items() if k not in dropped}
    SUMMARY.write_text(json.dumps(dict(sorted(merged.items())), indent=1) + "\n")
    shutil.rmtree(root, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or POINTS))
