"""Each trust's health economy as of each date (issue 4): every version of etr.csv received is kept, dated by its
publication (Last-Modified), and the models put each trust-month in the ICB of the latest version published by the
month's end — before the first version held, the earliest one, and they say so.

Real ingestion of two versions of the simulated etr.csv over file:// (a trust moved between ICBs in the second),
then a real dbt build of the organisation-history models on the copied home.
"""
import csv
import os
import shutil
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pytest

from orchestration.feeds import ods
from orchestration.feeds import pipeline as ingestion
from orchestration.settings import Settings

AS_AT = date(2026, 12, 1)

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"


def publish_etr(path: Path, rows: list[list[str]], published: str) -> None:
    with open(path, "w", newline="") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    stamp = datetime.fromisoformat(published).replace(tzinfo=timezone.utc).timestamp()
    os.utime(path, (stamp, stamp))  # what a mirror's Last-Modified says


@pytest.fixture(scope="module")
def history(pipeline, tmp_path_factory):
    home = tmp_path_factory.mktemp("economy") / "home"
    shutil.copytree(pipeline["home"], home, ignore=shutil.ignore_patterns("trust_versions"))
    etr = home / "feeds" / "ods" / "etr.csv"
    rows = list(csv.reader(open(etr, newline="")))
    mover = next(r for r in rows if r[3] and not r[11])           # an open English trust …
    old_icb = mover[3]
    new_icb = next(r[3] for r in rows if r[3] and r[3] != old_icb)  # … moving to another ICB
    env = {"OVERSIGHT_HOME": str(home), "OVERSIGHT_FEEDS_URL": (home / "feeds").as_uri()}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        run = ingestion.Run(Settings.from_env(), AS_AT)
        publish_etr(etr, rows, "2026-06-15")
        first = ingestion.ingest_current(ods.TRUSTS, run, ingestion.stored_references(run.settings))
        publish_etr(etr, [[*r[:3], new_icb, *r[4:]] if r is mover else r for r in rows], "2026-08-20")
        second = ingestion.ingest_current(ods.TRUSTS, run, ingestion.stored_references(run.settings))
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    dbt = str(Path(sys.executable).parent / "dbt")
    built = subprocess.run([dbt, "build", "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
                            # the organisation-history models; what they read upstream is in the copied warehouse
                            "--select", "stg_ods__trust_versions", "int_trust_health_economy_by_month",
                            "int_trust_months", "--vars", f'{{"as_at": "{AS_AT}"}}'], capture_output=True, text=True, cwd=DBT_PROJECT,
                           env=dict(os.environ, **env, DBT_SEND_ANONYMOUS_USAGE_STATS="False"), timeout=600)
    assert built.returncode == 0, built.stdout[-3000:]
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as db:
        months = db.execute("select period, icb_code, economy_basis, ods_version from intermediate.int_trust_months "
                            "where trust_code = ? order by period", [mover[0]]).fetchall()
    return {"home": home, "months": months, "old": old_icb, "new": new_icb, "versions": (first, second)}


def test_every_version_is_kept_dated_by_its_publication(history):
    assert [o.published_on.isoformat() for o in history["versions"]] == ["2026-06-15", "2026-08-20"]
    state = ingestion.versions_store(Settings(history["home"], None), ods.TRUSTS).state()
    assert {k: (v.new, v.changed, v.removed) for k, v in state.items()} == {
        "2026-06-15": (state["2026-06-15"].rows, 0, 0),   # the first version: every trust is new
        "2026-08-20": (0, 1, 0),                             # the second: one trust changed
    }


def test_each_month_has_the_economy_ods_gave_by_its_end(history):
    months = history["months"]
    assert months, "the moved trust must have reporting months"
    for period, icb, basis, version in months:
        if period.isoformat() < "2026-06-15":
            assert (icb, basis, version) == (history["old"], "earliest ODS version held (assumed since the trust "
                                                             "opened)", "2026-06-15"), period
        elif period.isoformat() < "2026-08-20":
            assert (icb, basis, version) == (history["old"], "ODS as published by the month end", "2026-06-15"), period
        else:
            assert (icb, basis, version) == (history["new"], "ODS as published by the month end", "2026-08-20"), period
    assert {m[1] for m in months} == {history["old"], history["new"]}
