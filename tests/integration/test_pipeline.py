"""End to end, as `make run` does it: simulate a small England, run the Dagster job (real dbt build on DuckDB,
real GX validation), publish, and read the result through the API over real HTTP on loopback.

Expectations are derived independently from the simulated files with the csv module, not from the pipeline.
"""
import csv
import os
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx
import pytest

from tests.integration.support import OVERSIGHT, environment, oversight


def read_etr(path: Path) -> list[list[str]]:
    with open(path, newline="") as f:
        return list(csv.reader(f))


def is_open(row: list[str]) -> bool:
    return not row[11] or date(int(row[11][:4]), int(row[11][4:6]), int(row[11][6:])) > date.today()


def get_all(url: str, **params) -> list[dict]:
    items, offset = [], 0
    while True:
        page = httpx.get(url, params={**params, "limit": 7, "offset": offset}, timeout=10).json()
        items += page["items"]
        if page["next"] is None:
            assert len(items) == page["total"]
            return items
        offset += 7


def test_every_open_simulated_trust_is_served_with_its_icb(pipeline):
    rows = read_etr(pipeline["feeds"] / "ods/etr.csv")
    expected = {r[0]: (r[3] or None) for r in rows if is_open(r)}
    served = get_all(f"{pipeline['api']}/organisations", type="trust", open="true")
    assert {t["code"]: t["icb_code"] for t in served} == expected
    assert all(t["is_open"] and t["type"] == "trust" for t in served)


def test_health_economies_match_the_simulated_icb_file(pipeline):
    with open(pipeline["feeds"] / "ons/icb_names_codes.csv", newline="") as f:
        icbs = {r["ICB24CDH"]: r["ICB24NM"] for r in csv.DictReader(f)}
    served = get_all(f"{pipeline['api']}/health-economies")
    assert {e["code"]: e["name"] for e in served} == icbs
    rows = read_etr(pipeline["feeds"] / "ods/etr.csv")
    for economy in served:
        assert economy["open_trust_count"] == sum(1 for r in rows if r[3] == economy["code"] and is_open(r))


def test_successor_chains_are_resolved_to_the_end(pipeline):
    """succ.csv holds every organisation type and announces successions ahead; a trust's chain follows the trusts'
    successions in effect today, and stops where a trust was split (no single successor)."""
    trusts = {r[0] for r in read_etr(pipeline["feeds"] / "ods/etr.csv")}
    successors: dict[str, list[str]] = {}
    with open(pipeline["feeds"] / "ods/succ.csv", newline="") as f:
        for old, new, _, effective, _ in csv.reader(f):
            if old in trusts and effective <= f"{date.today():%Y%m%d}":
                successors.setdefault(old, []).append(new)
    single = {old: new[0] for old, new in successors.items() if len(new) == 1}
    assert any(new in single for new in single.values()), "the simulator must plant a chain"
    assert any(len(new) > 1 for new in successors.values()), "… and a split"
    for old, new in successors.items():
        end = single.get(old)
        while end in single:
            end = single[end]
        trust = httpx.get(f"{pipeline['api']}/organisations/{old}", timeout=10).json()
        assert (trust["successor_code"], trust["current_successor_code"]) == (single.get(old), end)


def test_health_economy_detail_lists_its_trusts(pipeline):
    rows = read_etr(pipeline["feeds"] / "ods/etr.csv")
    icb = next(r[3] for r in rows if r[3])
    detail = httpx.get(f"{pipeline['api']}/health-economies/{icb}", timeout=10).json()
    assert sorted(t["code"] for t in detail["trusts"]) == sorted(r[0] for r in rows if r[3] == icb)
    missing = httpx.get(f"{pipeline['api']}/health-economies/QZZ", timeout=10)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")


def test_raw_files_are_landed_as_received_with_a_manifest(pipeline):
    import hashlib
    landed = list((pipeline["home"] / "raw/ods/trusts").glob("*.csv"))
    original = (pipeline["feeds"] / "ods/etr.csv").read_bytes()
    assert [p.read_bytes() for p in landed] == [original]
    assert landed[0].stem == hashlib.sha256(original).hexdigest()
    assert (pipeline["home"] / "raw/ods/trusts/manifest.jsonl").is_file()


def test_the_publication_names_every_release_it_was_built_on(pipeline):
    import hashlib
    import json as json_module
    sources = _publication(pipeline)["sources"]
    index = json_module.loads((pipeline["feeds"] / "workforce/sickness/releases.json").read_text())
    assert sorted(sources["sickness-absence"]) == sorted(r["release"] for r in index["releases"])
    for release in index["releases"]:
        raw = (pipeline["feeds"] / "workforce/sickness" / release["file"]).read_bytes()
        assert sources["sickness-absence"][release["release"]] == hashlib.sha256(raw).hexdigest()
    for kind in ("cqc-ratings-sheet", "workforce-staff-group", "tac", "finance-monthly", "cqc-api-location"):
        assert sources[kind], kind


def _publication(pipeline) -> dict:
    return httpx.get(f"{pipeline['api']}/health", timeout=10).json()["publication"]


def test_a_malformed_feed_fails_the_run_and_never_replaces_good_data(pipeline, tmp_path):
    before = _publication(pipeline)
    rows = read_etr(pipeline["feeds"] / "ods/etr.csv")
    rows[2][10] = "20231340"      # row 3: bad open date
    rows.append(rows[0])          # last row duplicates row 1
    bad = tmp_path / "etr.csv"
    with open(bad, "w", newline="") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    env = dict(pipeline["env"], OVERSIGHT_FEEDS_URL=pipeline["feeds"].as_uri(), OVERSIGHT_ODS_TRUSTS_URL=bad.as_uri())
    run = oversight(env, "run")
    assert run.returncode == 1
    assert "etr.csv row 3 column 11 (open_date)" in run.stderr
    assert f"etr.csv row {len(rows)} column 1 (organisation_code): duplicate organisation code" in run.stderr
    assert _publication(pipeline) == before
    # the bad file was landed as received and its failed rows quarantined with their reasons
    assert bad.read_bytes() in [p.read_bytes() for p in (pipeline["home"] / "raw/ods/trusts").glob("*.csv")]
    import pyarrow.parquet as pq
    quarantine = pq.read_table(next((pipeline["home"] / "quarantine/ods/trusts").glob("*.parquet"))).to_pylist()
    assert {q["source_row"] for q in quarantine} == {1, 3, len(rows)}


def test_a_failing_expectation_blocks_the_models_and_the_publish(pipeline, tmp_path):
    """A file the parser accepts (trusts without ICB are only warnings) but the GX suite refuses."""
    before = _publication(pipeline)
    warehouse_mtime = (pipeline["home"] / "warehouse.duckdb").stat().st_mtime_ns
    rows = read_etr(pipeline["feeds"] / "ods/etr.csv")
    for r in rows:
        r[3] = ""                 # every trust loses its ICB
    odd = tmp_path / "etr.csv"
    with open(odd, "w", newline="") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    check = oversight(pipeline["env"], "check-feed", "ods-trusts", str(odd))
    assert check.returncode == 0  # the parser accepts it …
    env = dict(pipeline["env"], OVERSIGHT_FEEDS_URL=pipeline["feeds"].as_uri(), OVERSIGHT_ODS_TRUSTS_URL=odd.as_uri())
    run = oversight(env, "run")
    assert run.returncode == 1    # … the blocking expectation does not
    assert "gx_ods_trusts" in run.stderr
    assert _publication(pipeline) == before
    assert (pipeline["home"] / "warehouse.duckdb").stat().st_mtime_ns == warehouse_mtime
