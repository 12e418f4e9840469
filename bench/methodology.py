"""The methodology on the national simulation (issue 13's "must show"), and the what-if's speed.

    python -m bench.methodology --home DIR [--home-without-effect DIR]   # homes of finished national runs
    python -m bench.methodology                                           # simulates and runs both itself

For each methodology version: the rank correlation (Spearman) between the simulator's planted latent condition
(`_truth/world.json`, which the pipeline never reads) and each trust's level — the mean over the reporting months,
and the latest month — and between the condition and being failing (level ≥ 3); the economy link as found (months
whose odds-ratio 95% CI lies above 1, and contains 1) in a run with the economy effect planted and one without;
level 5 by duration; and POST /api/v1/methodology/what-if timed at national scale (in process, the real app over the
published snapshot). Results in bench/results/methodology.json.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OVERSIGHT = [sys.executable, "-m", "orchestration.cli"]
RESULTS = Path(__file__).resolve().parent / "results" / "methodology.json"
AS_AT = "2026-12-01"


def national_home(root: Path, strength: float) -> Path:
    """Simulate national England (seed 1) with the economy effect at `strength` and run the pipeline on it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")}
    env.update(OVERSIGHT_HOME=str(root / "home"), GX_ANALYTICS_ENABLED="false", DBT_SEND_ANONYMOUS_USAGE_STATS="False")
    feeds = root / "home" / "feeds"
    subprocess.run([*OVERSIGHT, "simulate", "--scale", "national", "--seed", "1", "--economy-strength",
                    str(strength), "--out", str(feeds)], env=env, check=True, capture_output=True)
    env["OVERSIGHT_FEEDS_URL"] = feeds.resolve().as_uri()
    subprocess.run([*OVERSIGHT, "run", "--as-at", AS_AT], env=env, check=True, capture_output=True)
    return root / "home"


def truth_recovery(home: Path) -> dict:
    """Per version: Spearman's rho of the planted condition against the level (mean over months; latest month) and
    against failing (level ≥ 3, mean over months)."""
    import duckdb
    from scipy.stats import spearmanr

    world = json.loads((home / "feeds" / "_truth" / "world.json").read_text())
    condition = {t["code"]: t["condition"] for t in world["trusts"]}
    with duckdb.connect(str(home / "serving" / "oversight.duckdb"), read_only=True) as db:
        rows = db.execute("SELECT methodology_version, trust_code, period, level, assessment_complete "
                          "FROM fct_trust_failure_scale").fetchall()
        duration = db.execute(
            "SELECT methodology_version, count(*) FROM fct_trust_failure_scale_criteria "
            "WHERE criterion = 'serious_failure_sustained' AND status = 'met' GROUP BY 1").fetchall()
        latest = db.execute("SELECT max(period) FROM fct_trust_failure_scale").fetchone()[0]
    found: dict[str, dict] = {}
    for version in sorted({r[0] for r in rows}):
        mine = [r for r in rows if r[0] == version and r[1] in condition]
        by_trust: dict[str, list[int]] = {}
        for _, trust, _, level, _ in mine:
            by_trust.setdefault(trust, []).append(level)
        trusts = sorted(by_trust)
        truth = [condition[t] for t in trusts]
        mean_level = [statistics.fmean(by_trust[t]) for t in trusts]
        failing = [statistics.fmean(level >= 3 for level in by_trust[t]) for t in trusts]
        last = {r[1]: r[3] for r in mine if r[2] == latest}
        found[version] = {
            "trusts": len(trusts),
            "rho_condition_mean_level": round(float(spearmanr(truth, mean_level).statistic), 4),
            "rho_condition_failing_share": round(float(spearmanr(truth, failing).statistic), 4),
            "rho_condition_latest_level": round(float(spearmanr([condition[t] for t in sorted(last)],
                                                                [last[t] for t in sorted(last)]).statistic), 4),
            "trust_months_failing": sum(r[3] >= 3 for r in mine),
            "trust_months_incomplete": sum(not r[4] for r in mine),
            "level_5_by_duration_trust_months": dict(duration).get(version, 0),
        }
    return found


def economy_link(home: Path) -> dict:
    import duckdb

    with duckdb.connect(str(home / "serving" / "oversight.duckdb"), read_only=True) as db:
        # the latest version, in the months the link can be measured: the grid reaches back to 2014, before the
        # finance returns and sickness figures that classify economies existed (as tests/analysis reads it)
        rows = db.execute("SELECT period, or_ci_low, or_ci_high, methodology_version FROM rpt_economy_trust_link "
                          "WHERE methodology_version = 'v2' AND estimable").fetchall()
    return {"months": len(rows), "version": rows[0][3] if rows else None,
            "ci_above_one": sum(1 for _, low, _, _ in rows if low is not None and low > 1),
            "ci_contains_one": sum(1 for _, low, high, _ in rows if low is not None and low <= 1 <= high)}


def what_if_speed(home: Path, requests: int = 20) -> dict:
    """POST /api/v1/methodology/what-if through the real app (in process), over the national snapshot."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from api.settings import Settings

    figures = {}
    with TestClient(create_app(Settings(home=home))) as client:
        for version in ("v1", "v2"):
            published = client.get(f"/api/v1/methodology/{version}").json()
            months = {t["threshold"]: t["value"] for t in published["thresholds"]}["sustained_serious_months"]
            samples = []
            for i in range(requests):
                body = {"methodology_version": version,
                        "thresholds": {"sustained_serious_months": months - 1 - i % 3}}
                start = time.perf_counter()
                response = client.post("/api/v1/methodology/what-if", json=body)
                samples.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, response.text
            same = client.post("/api/v1/methodology/what-if", json={"methodology_version": version}).json()
            samples.sort()
            figures[version] = {"trusts": len(same["trusts"]), "p50_ms": round(samples[len(samples) // 2], 1),
                                "max_ms": round(samples[-1], 1),
                                "published_thresholds_give_published_levels": same["trusts_moved"] == 0}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="the home of a national run with the economy effect planted")
    parser.add_argument("--home-without-effect", type=Path, help="… and of one with --economy-strength 0")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="oversight-methodology-"))
    home = args.home or national_home(root / "with", 0.6)
    results = {"truth_recovery": truth_recovery(home), "economy_link_planted": economy_link(home),
               "what_if": what_if_speed(home)}
    without = args.home_without_effect or (None if args.home else national_home(root / "without", 0.0))
    if without is not None:
        results["economy_link_not_planted"] = economy_link(without)
        results["truth_recovery_not_planted"] = truth_recovery(without)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
