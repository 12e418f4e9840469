"""`make bench`: time and peak memory of the main paths on the national simulated dataset.

Each step runs in its own process so its peak RSS is its own. Results go to bench/results/latest.json and are
printed as a Markdown table for the README.
"""
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OVERSIGHT = [sys.executable, "-m", "orchestration.cli"]
RESULTS = Path(__file__).parent / "results" / "latest.json"
AS_AT = "2026-12-01"   # every run of the bench as at one day: the same inputs give the same work


# Runs one step as its own child and reports that child's peak RSS (children's usage rolls up when reaped).
WRAPPER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"rc": proc.returncode, "seconds": seconds, "peak_rss_mb": peak, "stderr": proc.stderr[-3000:],
                  "stdout": proc.stdout[-3000:]}))
"""


def timed(argv: list[str], env: dict, keep_stdout: bool = False) -> dict:
    """Wall time and peak resident memory of one step, in a process of its own."""
    proc = subprocess.run([sys.executable, "-c", WRAPPER, *argv], env=env, capture_output=True, text=True)
    outcome = json.loads(proc.stdout.strip().splitlines()[-1])
    if outcome["rc"] != 0:
        sys.exit(f"bench step failed: {' '.join(argv)}\n{outcome['stderr']}")
    figures = {"seconds": round(outcome["seconds"], 2), "peak_rss_mb": round(outcome["peak_rss_mb"], 1)}
    return {**figures, "stdout": outcome["stdout"]} if keep_stdout else figures


def _models_rebuilt(stdout: str) -> int:
    """From `oversight run`'s last line: "Snapshot published (N models rebuilt)", or nothing new."""
    import re
    found = re.search(r"\((\d+) models rebuilt\)", stdout)
    return int(found.group(1)) if found else 0


def api_latency(env: dict, path: str, requests: int = 200) -> dict:
    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([*OVERSIGHT, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get("/api/v1/health").status_code == 200:
                        break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            samples = []
            for _ in range(requests):
                start = time.perf_counter()
                response = client.get(path)
                samples.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
    samples.sort()
    return {"requests": requests, "p50_ms": round(statistics.median(samples), 2),
            "p95_ms": round(samples[int(0.95 * len(samples)) - 1], 2)}


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="oversight-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")}
    env["OVERSIGHT_HOME"] = str(home)
    results = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}}
    results["simulate_national"] = timed([*OVERSIGHT, "simulate", "--scale", "national", "--seed", "1",
                                          "--out", str(home / "feeds")], env)
    results["check_feed_etr_national"] = timed([*OVERSIGHT, "check-feed", "ods-trusts",
                                                str(home / "feeds/ods/etr.csv")], env)
    # The last sickness release held back, so that a new month of one feed can arrive after the first run.
    index_path = home / "feeds/workforce/sickness/releases.json"
    index = json.loads(index_path.read_text())
    held_back = sorted(index["releases"], key=lambda r: r["release"])[-1]
    index_path.write_text(json.dumps({**index, "releases": [r for r in index["releases"] if r is not held_back]}))
    run = [*OVERSIGHT, "run", "--as-at", AS_AT]
    env_mirror = {**env, "OVERSIGHT_FEEDS_URL": (home / "feeds").as_uri()}
    results["pipeline_run_national"] = timed(run, env_mirror, keep_stdout=True)
    # Baseline beside it: the same command with nothing new (every release re-checked, nothing rebuilt) …
    results["pipeline_rerun_nothing_new"] = timed(run, env_mirror, keep_stdout=True)
    # … and with one new month of one feed: what depends on it is rebuilt, the rest left as it is.
    index_path.write_text(json.dumps(index))
    results["pipeline_run_one_new_sickness_month"] = timed(run, env_mirror, keep_stdout=True)
    for step in ("pipeline_run_national", "pipeline_rerun_nothing_new", "pipeline_run_one_new_sickness_month"):
        stdout = results[step].pop("stdout")
        results[step]["models_rebuilt"] = _models_rebuilt(stdout)
        results[step]["ratio_to_first_run"] = round(results[step]["seconds"]
                                                    / results["pipeline_run_national"]["seconds"], 3)
    # The methodology on the national run (issue 13): v1 and v2 against the planted condition, the economy link,
    # level 5 by duration, and the what-if at national scale; the economy link again with no effect planted.
    from bench import methodology
    results["methodology"] = {"truth_recovery": methodology.truth_recovery(home),
                              "economy_link_planted": methodology.economy_link(home),
                              "what_if": methodology.what_if_speed(home)}
    without = methodology.national_home(home / "methodology_without_effect", 0.0)
    results["methodology"]["economy_link_not_planted"] = methodology.economy_link(without)
    from bench.staff_group_ingest import run as staff_group_ingest
    results["staff_group_release_3m_rows"] = staff_group_ingest(home / "staff_group_bench", env)
    results["api_organisations_trusts_page_1000"] = api_latency(
        env, "/api/v1/organisations?type=trust&limit=1000")
    results["api_health_economies"] = api_latency(env, "/api/v1/health-economies?limit=50")
    results["api_data_quality"] = api_latency(env, "/api/v1/data-quality")
    from bench.api_load import RESULTS as LOAD_RESULTS
    from bench.api_load import run as api_load
    load = api_load(home, env)             # wrk, 50 connections, beside a bare FastAPI endpoint
    LOAD_RESULTS.write_text(json.dumps(load, indent=2) + "\n")
    results["api_load"] = {name: {k: v for k, v in figure.items() if k != "rounds"}
                           for name, figure in load.items() if name not in ("criteria", "setup")}
    results["api_load_criteria"] = load["criteria"]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    print("\n| step | figure |\n|---|---|")
    for step, figure in results.items():
        if step not in ("machine", "api_load", "api_load_criteria", "methodology"):
            print(f"| {step} | " + ", ".join(f"{k} {v}" for k, v in figure.items()) + " |")
    print("\n| API under load (wrk, 50 connections) | requests/s | p50 | p99 | vs bare: throughput, p99 |\n|---|---|---|---|---|")
    for name, figure in results["api_load"].items():
        ratios = (f"{figure['throughput_vs_bare']}×, {figure['p99_vs_bare']}×" if "throughput_vs_bare" in figure
                  else "baseline")
        print(f"| {name} | {figure['requests_per_s']:,.0f} | {figure['p50_ms']} ms | {figure['p99_ms']} ms | {ratios} |")
    print("\nmethodology:", json.dumps(results["methodology"], indent=2, default=str))
    print("\nbench/results/latest.json holds every figure; README shows them with this command.")


if __name__ == "__main__":
    main()
