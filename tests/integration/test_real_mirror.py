"""A deployment with only real published files: ODS etr.csv and succ.csv, the ONS ICB names, three real months of NHS
sickness absence and real CQC API location documents — and no CQC sheet, staff-group, TAC or finance-return
release (their indexes empty). It runs end to end on the same code path as the demo: exit 0, a snapshot published,
the open English trusts served with their ICBs, sickness assessed, and every feed without releases said to be so.
"""
import json
import shutil
from pathlib import Path

import duckdb
import httpx
import pytest

from tests.conftest import REALDATA
from tests.early import early_run
from tests.integration.support import SHORT_GRID, environment, oversight, serving

AS_AT = "2026-12-01"
SICKNESS = {"2024-04": "2024-08-29", "2024-05": "2024-09-26", "2024-06": "2024-10-31"}  # month → published
EMPTY_SERIES = {"cqc/ratings": "cqc-ratings-sheet", "workforce/staff_group": "workforce-staff-group",
                "finance/tac": "tac", "finance/monthly": "finance-monthly"}


def build_mirror(realdata: Path, root: Path) -> Path:
    """The mirror a new user would serve: real files only, in the folders `oversight feed-server` serves."""
    for source, target in (("ods/etr.csv", "ods/etr.csv"), ("ods/succ_2026_excerpt.csv", "ods/succ.csv"),
                           ("ods/icb_names_codes_dec_2024.csv", "ons/icb_names_codes.csv")):
        (root / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(realdata / source, root / target)
    sickness = root / "workforce/sickness"
    sickness.mkdir(parents=True)
    releases = []
    for month, published in SICKNESS.items():
        name = f"nhs_sickness_absence_{month}.csv"
        shutil.copyfile(realdata / "workforce" / name, sickness / name)
        releases.append({"release": month, "file": name, "published": published})
    (sickness / "releases.json").write_text(json.dumps({"kind": "sickness-absence", "releases": releases}))
    for folder, kind in EMPTY_SERIES.items():
        (root / folder).mkdir(parents=True)
        (root / folder / "releases.json").write_text(json.dumps({"kind": kind, "releases": []}))
    locations = root / "cqc/api/locations"
    locations.mkdir(parents=True)
    for document in sorted((realdata / "cqc/locations").glob("*.json")):
        shutil.copyfile(document, locations / document.name)
    return root


@early_run("real-mirror", fixture="real")
def real_run(folder: Path, prepared) -> dict | None:
    """The run with the suite's other heavy runs (tests/early.py); none without the real samples (`real` skips). Its
    tests read the months of its sickness releases, the grid's last: a short grid."""
    if not REALDATA.is_dir():
        return None
    root = build_mirror(REALDATA, folder / "real-mirror")
    home = folder / "real-home"
    env = environment(home, OVERSIGHT_FEEDS_URL=root.as_uri(), **SHORT_GRID)
    return {"run": oversight(env, "run", "--as-at", AS_AT, timeout=1200), "home": home, "env": env, "root": root}


@pytest.fixture(scope="module")
def real(realdata, early_runs):
    done = early_runs.result("real-mirror")
    with serving(done["env"]) as api:
        yield {"run": done["run"], "home": done["home"], "api": api, "root": done["root"]}


def test_a_mirror_of_real_files_without_every_feed_publishes_a_snapshot(real):
    run = real["run"]
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert "Snapshot published" in run.stdout
    for kind in EMPTY_SERIES.values():
        assert f"{kind}: no releases listed" in run.stdout
    for month in SICKNESS:
        assert f"sickness-absence {month}: stored 285 of 285 rows" in run.stdout


def test_the_open_english_trusts_are_served_with_their_icbs(real, realdata):
    with duckdb.connect(str(real["home"] / "serving/oversight.duckdb"), read_only=True) as db:
        open_trusts = db.execute("select trust_code, icb_code from dim_trust where is_open").fetchall()
        economies = db.execute("select count(*) from dim_health_economy where open_trust_count > 0").fetchone()[0]
    english = [code for code, icb in open_trusts if icb]
    assert len(open_trusts) == 205 and len(english) == 202   # the real etr.csv: 205 open, 3 Welsh without an ICB
    assert economies == 42
    trusts = httpx.get(f"{real['api']}/organisations", params={"type": "trust", "limit": 1000}, timeout=30).json()
    served = {t["code"]: t["icb_code"] for t in trusts["items"] if t.get("is_open", True)}
    assert {code for code, _ in open_trusts} <= set(served)


def test_sickness_is_assessed_and_the_feeds_without_releases_are_named(real):
    with duckdb.connect(str(real["home"] / "serving/oversight.duckdb"), read_only=True) as db:
        [[ranked]] = db.execute("select count(*) from fct_trust_workforce "
                                "where sickness_national_percentile_rank is not null").fetchall()
        freshness = dict(db.execute("select feed, status from rpt_feed_freshness").fetchall())
        missing = {r[0] for r in db.execute("select feed from rpt_data_quality where held = 'no releases'").fetchall()}
    assert ranked > 0
    assert {feed for feed, status in freshness.items() if status == "no releases"} == set(EMPTY_SERIES.values())
    assert freshness["sickness-absence"] == "held" and freshness["cqc-api-location"] == "held"
    assert missing == set(EMPTY_SERIES.values())
    report = httpx.get(f"{real['api']}/data-quality", timeout=30).json()
    assert {a["feed"] for a in report["assets"] if a.get("held") == "no releases"} == set(EMPTY_SERIES.values())
    served = httpx.get(f"{real['api']}/freshness", timeout=30).json()["items"]
    assert {r["feed"] for r in served if r["status"] == "no releases"} == set(EMPTY_SERIES.values())
    sickness = next(r for r in served if r["feed"] == "sickness-absence")
    assert (sickness["latest_release"], sickness["latest_published_on"], sickness["latest_received_on"]) == \
        ("2024-06", SICKNESS["2024-06"], AS_AT)


def test_the_scorecard_assesses_sickness_and_says_the_rest_could_not_be(real):
    """No finance return and no CQC sheet: a trust with sickness figures has its sickness criterion assessed (met
    or not), and the finance criteria not assessable — never "no concern"."""
    with duckdb.connect(str(real["home"] / "serving/oversight.duckdb"), read_only=True) as db:
        [[trust, period]] = db.execute(
            "select trust_code, max(period) from fct_trust_workforce where sickness_national_percentile_rank "
            "is not null group by trust_code order by trust_code limit 1").fetchall()
    card = httpx.get(f"{real['api']}/trusts/{trust}", params={"period": period.strftime("%Y-%m")}, timeout=30)
    assert card.status_code == 200, card.text
    scale = card.json()["scale"]
    statuses = {c["criterion"]: c["status"] for c in scale["criteria"]}
    assert statuses["sickness_worst_decile_sustained"] in ("met", "not_met")
    assert {statuses[c] for c in ("finance_score_multiple_concerns", "finance_score_significant",
                                  "domains_of_concern")} == {"not_assessable"}
    assert scale["assessment_complete"] is False
