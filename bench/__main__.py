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


# Runs one step as its own child and reports that child's peak RSS (children's usage rolls up when reaped).
WRAPPER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"rc": proc.returncode, "seconds": seconds, "peak_rss_mb": peak, "stderr": proc.stderr[-3000:]}))
"""


def timed(argv: list[str], env: dict) -> dict:
    """Wall time and peak resident memory of one step, in a process of its own."""
    proc = subprocess.run([sys.executable, "-c", WRAPPER, *argv], env=env, capture_output=True, text=True)
    outcome = json.loads(proc.stdout.strip().splitlines()[-1])
    if outcome["rc"] != 0:
        sys.exit(f"bench step failed: {' '.join(argv)}\n{outcome['stderr']}")
    return {"seconds": round(outcome["seconds"], 2), "peak_rss_mb": round(outcome["peak_rss_mb"], 1)}


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
    results["pipeline_run_national"] = timed([*OVERSIGHT, "run", "--scale", "national", "--seed", "1"], env)
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
        if step not in ("machine", "api_load", "api_load_criteria"):
            print(f"| {step} | " + ", ".join(f"{k} {v}" for k, v in figure.items()) + " |")
    print("\n| API under load (wrk, 50 connections) | requests/s | p50 | p99 | vs bare: throughput, p99 |\n|---|---|---|---|---|")
    for name, figure in results["api_load"].items():
        ratios = (f"{figure['throughput_vs_bare']}×, {figure['p99_vs_bare']}×" if "throughput_vs_bare" in figure
                  else "baseline")
        print(f"| {name} | {figure['requests_per_s']:,.0f} | {figure['p50_ms']} ms | {figure['p99_ms']} ms | {ratios} |")
    print("\nbench/results/latest.json holds every figure; README shows them with this command.")


if __name__ == "__main__":
    main()
