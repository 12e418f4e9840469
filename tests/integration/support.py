"""Helpers for running the `oversight` command as a user would: a subprocess with its own OVERSIGHT_HOME."""
import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx

OVERSIGHT = [sys.executable, "-m", "orchestration.cli"]
FEED_URL_VARIABLES = ("OVERSIGHT_FEEDS_URL", "OVERSIGHT_ODS_TRUSTS_URL", "OVERSIGHT_ODS_SUCCESSORS_URL",
                      "OVERSIGHT_ICB_NAMES_URL")

# For a home whose tests read only its latest months: a reporting grid of two years (Settings.report_months_max), not
# the default back past 2014, the CQC history's start — every trust-month of the grid is built, tested and published.
SHORT_GRID = {"OVERSIGHT_REPORT_MONTHS_MAX": "24"}


def environment(home: Path, **urls: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in FEED_URL_VARIABLES}
    env.update(OVERSIGHT_HOME=str(home), **urls)
    return env


def oversight(env, *args, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run([*OVERSIGHT, *args], env=env, capture_output=True, text=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(env, *args: str):
    """`oversight serve [args]` on a free loopback port; yields the API's base URL once it answers."""
    port = free_port()
    server = subprocess.Popen([*OVERSIGHT, "serve", "--port", str(port), *args], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code in (200, 503):
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stderr.read()
            assert time.monotonic() < deadline, "API did not come up within 60 s"
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


# When the pipeline did something (a time of day, not a figure): the only columns two runs may differ in.
WALL_CLOCK = {"rpt_data_quality": ["last_attempt_at", "last_stored_at", "last_checked_at"]}


def checksums(home) -> dict[str, str]:
    with duckdb.connect(str(home / "serving" / "oversight.duckdb"), read_only=True) as db:
        marts = [r[0] for r in db.execute("select table_name from information_schema.tables where table_name like "
                                          "'fct_%' or table_name like 'rpt_%' or table_name like 'dim_%'").fetchall()]
        sums = {}
        for mart in sorted(marts):
            columns = [r[0] for r in db.execute(f'describe "{mart}"').fetchall()
                       if r[0] not in WALL_CLOCK.get(mart, [])]
            projection = ", ".join(f'"{c}"' for c in columns)
            [[digest, rows]] = db.execute(
                f"select md5(coalesce(string_agg(cast(t as varchar), chr(10) order by cast(t as varchar)), '')), "
                f'count(*) from (select {projection} from "{mart}") as t').fetchall()
            sums[mart] = f"{rows}:{digest}"
    return sums
