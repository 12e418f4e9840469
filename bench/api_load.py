"""The API under load: wrk on loopback, 50 concurrent connections, against the published snapshot — beside a bare
FastAPI endpoint served the same way in the same run (uvicorn, one worker each, no access log), in alternating
rounds so that whatever else the machine does weighs on both alike. Figures are ratios against the bare endpoint:

    scorecard and failure-scale list: throughput at least half the bare endpoint's, p99 within twice its p99.

`make bench` runs it on the national snapshot it builds; alone, on a home with a published snapshot:

    .venv/bin/python -m bench.api_load --home data      # results in bench/results/api_load.json
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

RESULTS = Path(__file__).parent / "results" / "api_load.json"
CONNECTIONS, THREADS, SECONDS, ROUNDS = 50, 1, 10, 3
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(argv: list[str], env: dict, probe: str) -> subprocess.Popen:
    server = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(probe, timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            sys.exit(f"server did not start: {' '.join(argv)}\n{server.stderr.read()}")
        time.sleep(0.2)


def wrk(url: str, headers: dict | None = None, seconds: int = SECONDS) -> dict:
    """Requests per second and latency percentiles of `url` under CONNECTIONS concurrent connections."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `make bench-tools` installs it")
    argv = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "--latency", url]
    for name, value in (headers or {}).items():
        argv[1:1] = ["-H", f"{name}: {value}"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    figures = {"requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for percentile in ("50", "99"):
        found = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if found is None:
            sys.exit(f"no {percentile}th percentile in wrk's output for {url}:\n{out}")
        value, unit = found.groups()
        figures[f"p{percentile}_ms"] = round(float(value) * UNITS[unit], 2)
    if re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        sys.exit(f"wrk saw error responses from {url}:\n{out}")
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    figures["socket_errors"] = sum(map(int, socket_errors.groups())) if socket_errors else 0
    return figures


def run(home: Path, env: dict, seconds: int = SECONDS, rounds_run: int = ROUNDS) -> dict:
    env = {**env, "OVERSIGHT_HOME": str(home), "OVERSIGHT_API_RATE_LIMIT": "0"}   # 50 clients would hit the limit
    python = sys.executable
    api_port, bare_port = _port(), _port()
    key = subprocess.run([python, "-m", "orchestration.cli", "keys", "create", "--role", "national",
                          "--name", "bench"], env=env, capture_output=True, text=True, check=True).stdout.split()[-1]
    api = _start([python, "-m", "orchestration.cli", "serve", "--port", str(api_port), "--workers", "1"], env,
                 f"http://127.0.0.1:{api_port}/api/v1/health")
    bare = _start([python, "-m", "uvicorn", "bench.bare_app:app", "--port", str(bare_port), "--log-level", "warning",
                   "--no-access-log"], {**env, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
                  f"http://127.0.0.1:{bare_port}/bare")
    base = f"http://127.0.0.1:{api_port}/api/v1"
    try:
        trust = httpx.get(f"{base}/failure-scale", params={"limit": 1}).json()["items"][0]["code"]
        targets = {
            "bare_async": (f"http://127.0.0.1:{bare_port}/bare", None),
            "bare_sync": (f"http://127.0.0.1:{bare_port}/bare-sync", None),
            "health": (f"{base}/health", None),
            "scorecard": (f"{base}/trusts/{trust}", None),
            "failure_scale_list": (f"{base}/failure-scale", None),
            "scorecard_national_audited": (f"{base}/trusts/{trust}", {"Authorization": f"Bearer {key}"}),
        }
        for url, headers in targets.values():                    # warm: every answer computed once per snapshot
            httpx.get(url, headers=headers, timeout=60).raise_for_status()
            wrk(url, headers, seconds=2)
        rounds = {name: [] for name in targets}
        for _ in range(rounds_run):                                  # alternate, so that load elsewhere hits all alike
            for name, (url, headers) in targets.items():
                rounds[name].append(wrk(url, headers, seconds=seconds))
    finally:
        for server in (api, bare):
            server.terminate()
            server.wait(timeout=20)
        subprocess.run([python, "-m", "orchestration.cli", "keys", "revoke", key.split("_")[1]], env=env,
                       capture_output=True, check=True)
    figures = {name: {k: round(statistics.median(r[k] for r in runs), 2) for k in runs[0]}
               for name, runs in rounds.items()}
    for name, runs in rounds.items():
        figures[name]["rounds"] = [{k: r[k] for k in ("requests_per_s", "p99_ms")} for r in runs]
    baseline = figures["bare_async"]
    for name in ("health", "scorecard", "failure_scale_list", "scorecard_national_audited"):
        figure = figures[name]
        figure["throughput_vs_bare"] = round(figure["requests_per_s"] / baseline["requests_per_s"], 2)
        figure["p99_vs_bare"] = round(figure["p99_ms"] / baseline["p99_ms"], 2)
    figures["criteria"] = {name: {"throughput_at_least_half": figures[name]["throughput_vs_bare"] >= 0.5,
                                  "p99_within_twice": figures[name]["p99_vs_bare"] <= 2.0}
                           for name in ("scorecard", "failure_scale_list")}
    figures["setup"] = {"tool": f"wrk -t{THREADS} -c{CONNECTIONS} -d{seconds}s --timeout 10s --latency",
                        "rounds": rounds_run,
                        "statistic": "median of the rounds", "servers": "uvicorn, 1 worker each, no access log",
                        "scorecard_trust": trust, "cpus": os.cpu_count()}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="an OVERSIGHT_HOME with a published snapshot")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")}
    figures = run(args.home.resolve(), env)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
