"""Must show (issue 5): a run fed one bad release keeps serving the previous good figures, reports why, and recovers
when a good release comes; a mart that fails its blocking suite is never published. Real runs of `oversight run`
on a copy of the integration home, the API over real HTTP, the Data Docs on disk. The two runs are an early run
that follows the session's (tests/early.py): they overlap with the suite's other heavy runs.
"""
import csv
import io
import json
from pathlib import Path
import shutil

import duckdb
import httpx
import pytest

from tests.early import early_run
from tests.integration.support import checksums, oversight, serving

FIGURES = ["fct_trust_workforce", "fct_trust_failure_scale", "fct_economy_condition", "rpt_economy_trust_link"]


def figures(home) -> dict:
    """The served figures, floats to 9 decimals (DuckDB's parallel sums may differ in the last bit run to run)."""
    def rounded(row):
        return tuple(round(v, 9) if isinstance(v, float) else v for v in row)
    with duckdb.connect(str(home / "serving" / "oversight.duckdb"), read_only=True) as db:
        return {t: sorted(map(str, map(rounded, db.execute(f"select * from {t}").fetchall()))) for t in FIGURES}


def env_for(session_env: dict, home) -> dict:
    return dict(session_env, OVERSIGHT_HOME=str(home), OVERSIGHT_FEEDS_URL=(home / "feeds").as_uri())


def add_sickness_release(feeds, published: str, key: str | None = None) -> str:
    """The month after the newest sickness release (or release `key` again), as a file in the real format, listed
    as published on `published` in the mirror's index (replacing any earlier listing of it)."""
    folder = feeds / "workforce" / "sickness"
    index = json.loads((folder / "releases.json").read_text())
    last = max((r for r in index["releases"] if r["release"] != key), key=lambda r: r["release"])
    year, month = map(int, last["release"].split("-"))
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    key = f"{year}-{month:02d}"
    import calendar
    month_end = f"{calendar.monthrange(year, month)[1]:02d}/{month:02d}/{year}"
    rows = list(csv.reader(io.StringIO((folder / last["file"]).read_text(encoding="utf-8"), newline="")))
    for row in rows[1:]:
        row[0] = month_end
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    name = f"nhs_sickness_absence_{key}.csv"
    (folder / name).write_text(out.getvalue(), encoding="utf-8", newline="")
    index["releases"] = [r for r in index["releases"] if r["release"] != key]
    index["releases"].append({"release": key, "file": name, "published": published})
    (folder / "releases.json").write_text(json.dumps(index))
    return key


@early_run("quality-guard", fixture="guarded", after="session")
def guard_runs(folder: Path, prepared: dict) -> dict:
    """On a copy of the session run's home (feeds mirror, stores, warehouse, snapshot, Dagster instance): a run fed
    a bad sickness release, then — on a copy of the home as that run left it, which stays for the tests to read —
    a run with the same month published when it could have been."""
    session = prepared["session"]
    assert session["run"].returncode == 0, session["run"].stdout[-3000:] + session["run"].stderr[-3000:]
    bad_home = folder / "bad" / "home"
    shutil.copytree(session["home"], bad_home)
    before = figures(bad_home)
    key = add_sickness_release(bad_home / "feeds", published="2026-07-02")
    bad = oversight(env_for(session["env"], bad_home), "run")
    home = folder / "good" / "home"
    shutil.copytree(bad_home, home)
    key_again = add_sickness_release(home / "feeds", published="2026-10-20", key=key)
    good = oversight(env_for(session["env"], home), "run")
    # the same home with no snapshot: everything built again, to compare with what the good run left as built
    full_home = folder / "full" / "home"
    shutil.copytree(home, full_home)
    (full_home / "serving" / "oversight.duckdb").unlink()
    full = oversight(env_for(session["env"], full_home), "run")
    return {"env": session["env"], "before": before, "key": key, "bad": bad, "bad_home": bad_home,
            "key_again": key_again, "good": good, "home": home, "full": full, "full_home": full_home}


@pytest.fixture(scope="module")
def guarded(early_runs) -> dict:
    return early_runs.result("quality-guard")


def test_a_bad_release_keeps_the_figures_reports_why_and_a_good_one_recovers(guarded):
    before, key = guarded["before"], guarded["key"]

    # 1. a release whose data month ends after the date it was published: the figures cannot be from then
    home, bad = guarded["bad_home"], guarded["bad"]       # as the run left it
    env = env_for(guarded["env"], home)
    assert bad.returncode == 1
    assert f"sickness-absence {key} REFUSED; what was stored before stays as it was" in bad.stderr
    assert "blocking check workforce/sickness_absence:gx_workforce_sickness (sickness-absence) failed" in bad.stderr
    assert f"sickness-absence {key}: REFUSED" in bad.stdout   # the person's console, release by release
    assert "days_before_publication" in bad.stderr
    assert figures(home) == before                       # the previous good figures are still served …
    state = json.loads((home / "parquet/workforce/sickness_absence/_state.json").read_text())
    assert key not in state                              # … because the bad release was never stored
    with serving(env) as api:
        report = httpx.get(f"{api}/data-quality", params={"asset": "workforce/sickness_absence"}, timeout=10).json()
    release = next(a for a in report["assets"] if a["partition"] == key)
    assert release["last_outcome"] == "rejected" and release["rejections"] == 1
    assert "rejected by its data-quality checks" in release["last_reason"]
    assert release["checks"]["outcome"] == "blocking"
    assert {(f["column"], f["severity"]) for f in release["checks"]["failed"]} == {
        ("days_before_publication", "critical")}
    assert all(a["last_outcome"] in ("stored", "unchanged") for a in report["assets"] if a["partition"] != key)
    docs = home / "gx" / "gx" / "uncommitted" / "data_docs" / "local_site"
    assert "workforce_sickness" in (docs / "index.html").read_text()

    # 2. the same month, published when it could have been: stored, and the figures move to it
    assert guarded["key_again"] == key
    home, good = guarded["home"], guarded["good"]        # a copy of the home the bad run left, run again
    env = env_for(guarded["env"], home)
    assert good.returncode == 0, good.stderr[-3000:]
    # only what depends on the new month is rebuilt (as declarative automation would): not dim_trust, say
    import re
    [rebuilt] = re.findall(r"Snapshot published \((\d+) models rebuilt\)", good.stdout)
    manifest = json.loads((Path(__file__).resolve().parents[2] / "dbt_project/target/manifest.json").read_text())
    models = sum(1 for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed"))
    assert 0 < int(rebuilt) < models - 5, (rebuilt, models)
    after = figures(home)
    assert after["fct_trust_workforce"] != before["fct_trust_workforce"]
    with duckdb.connect(str(home / "serving" / "oversight.duckdb"), read_only=True) as db:
        [[latest_month]] = db.execute("select max(sickness_month) from fct_trust_workforce").fetchall()
    assert latest_month.strftime("%Y-%m") == key
    with serving(env) as api:
        report = httpx.get(f"{api}/data-quality", params={"asset": "workforce/sickness_absence"}, timeout=10).json()
    release = next(a for a in report["assets"] if a["partition"] == key)
    assert (release["last_outcome"], release["attempts"], release["rejections"]) == ("stored", 2, 1)
    assert release["checks"]["outcome"] == "passed" and release["rows_in"] == release["rows_valid"] > 0


def test_a_mart_failing_its_blocking_suite_is_never_published(guarded, monkeypatch):
    """Run the publication with the mart checks on a warehouse whose failure scale is wrong: the check fails with
    ERROR, the snapshot is not replaced, and the API says why."""
    import dagster as dg

    home = guarded["home"]
    env = env_for(guarded["env"], home)
    monkeypatch.setenv("OVERSIGHT_HOME", str(home))
    published = (home / "serving" / "oversight.duckdb").stat().st_mtime_ns
    with duckdb.connect(str(home / "warehouse.duckdb")) as warehouse:
        warehouse.execute("update marts.fct_trust_failure_scale set level = 5 where level = 0")

    from orchestration.definitions import defs

    publish = dg.define_asset_job(
        "publish_checked", selection=dg.AssetSelection.assets(["serving", "snapshot"])
        | dg.AssetSelection.checks(dg.AssetCheckKey(dg.AssetKey("fct_trust_failure_scale"),
                                                    "gx_fct_trust_failure_scale")))
    result = dg.Definitions.merge(defs, dg.Definitions(jobs=[publish])).resolve_job_def("publish_checked") \
        .execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert not result.success
    evaluations = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    gx = next(e for e in evaluations if e.asset_check_key.name == "gx_fct_trust_failure_scale")
    assert not gx.passed and gx.severity == dg.AssetCheckSeverity.ERROR
    assert not any(e.event_type_value == "ASSET_MATERIALIZATION" for e in result.all_events)
    assert (home / "serving" / "oversight.duckdb").stat().st_mtime_ns == published
    with serving(env) as api:
        events = httpx.get(f"{api}/data-quality", params={"asset": "fct_trust_failure_scale"},
                           timeout=10).json()["since_publication"]
    assert events[0]["kind"] == "check" and events[0]["outcome"] == "blocking"
    assert {(f["column"], f["severity"]) for f in events[0]["failed"]} == {("criteria_explain_the_level", "critical")}


def test_a_month_within_the_reporting_months_rebuilds_less_and_publishes_what_a_full_build_does(guarded):
    """The good release lands in a month the other feeds have opened: the reporting months do not move, so the
    models it reaches only through them (the CQC ratings' point in time, the finance scores) are not built again
    (orchestration/grid.py) — and the snapshot is, mart by mart, row by row, what building everything again gives."""
    good, full = guarded["good"], guarded["full"]
    assert full.returncode == 0, full.stdout[-3000:] + full.stderr[-3000:]
    assert "the reporting months are unchanged, so the" in good.stdout, good.stdout[-3000:]
    assert "no snapshot published yet" in full.stdout
    ours, everything = checksums(guarded["home"]), checksums(guarded["full_home"])
    ours.pop("rpt_data_quality"), everything.pop("rpt_data_quality")   # the extra run's own attempts
    assert len(ours) >= 16 and ours == everything, {m for m in ours if ours[m] != everything.get(m)}
