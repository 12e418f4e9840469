"""succ.csv in both published layouts (FEEDS.md §1): detected and named, normalised to one schema, bad rows
quarantined by name — through the parser, through `oversight check-feed --expectations`, and through the pipeline
(the ingestion asset, then dbt's staging and the successor chains)."""
import csv
import io
import json
import os
import subprocess
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest

from orchestration.feeds import ods, pipeline
from orchestration.feeds.assets import AS_AT_TAG, current_file_asset
from orchestration.feeds.ods.layouts import parse_succ
from orchestration.settings import Settings
from tests.feeds.support import check_feed_in_process as check_feed

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
CURRENT, OLDER = "ods-succ-5-2026", "ods-succ-5-2019"


def rows_of(content: bytes) -> list[list[str]]:
    return [r for r in csv.reader(io.StringIO(content.decode(), newline="")) if r]


def as_older_layout(content: bytes) -> bytes:
    """The same successions as the older layout publishes them: a reason (R, reconfiguration) and F / X."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for old, new, _, effective, indicator in rows_of(content):
        writer.writerow([old, new, "R", effective, {"1": "F", "0": "X"}[indicator]])
    return out.getvalue().encode()


def succ(*rows: str, eol="\r\n") -> bytes:
    return "".join(r + eol for r in rows).encode()


@pytest.fixture(scope="module")
def real_succ(realdata) -> bytes:
    return (realdata / "ods/succ_2026_excerpt.csv").read_bytes()


# --- the parser ----------------------------------------------------------------------------------------------------

def test_the_real_current_file_is_accepted_whole_with_its_layout_named(real_succ):
    result = parse_succ(real_succ, "succ_2026_excerpt.csv")
    rows = rows_of(real_succ)
    assert result.accepted and result.layout == CURRENT
    assert (result.rows, result.rows_valid, result.rows_quarantined) == (502, 502, 0) == (len(rows), len(rows), 0)
    valid = result.valid.to_pylist()
    assert {r["reason"] for r in valid} == {None}                   # not published: NULL, never ""
    assert sum(r["forward_succession"] for r in valid) == sum(r[4] == "1" for r in rows) == 99
    # an organisation may have several successors: Pennine Acute split between Salford and Manchester in 2021
    assert sorted((r["new_code"], r["effective_date"]) for r in valid if r["old_code"] == "RW6") == \
        [("R0A", date(2021, 10, 1)), ("RM3", date(2021, 10, 1))]
    successors = defaultdict(set)
    for old, new, *_ in rows:
        successors[old].add(new)
    assert result.notes["splits"] == sum(len(s) > 1 for s in successors.values()) == 54
    # successions announced ahead are kept as published: a succession takes effect only from its date
    assert ("RY2", "RWW", date(2026, 4, 1)) in {(r["old_code"], r["new_code"], r["effective_date"]) for r in valid}


def test_both_layouts_give_the_same_successions(real_succ):
    current = parse_succ(real_succ, "succ.csv")
    older = parse_succ(as_older_layout(real_succ), "succ.csv")
    assert older.accepted and older.layout == OLDER and older.rows_valid == current.rows_valid == 502
    assert set(older.valid.column("reason").to_pylist()) == {"R"}
    assert older.valid.drop_columns(["reason"]).equals(current.valid.drop_columns(["reason"]))
    assert older.notes["forward_successions"] == current.notes["forward_successions"] == 99


def test_a_row_outside_the_layout_found_is_quarantined_naming_the_layout():
    mixed = succ('"RA1","RB1","","20200401","0"', '"RA2","RB1","R","20200401","0"', '"RA3","RB1","","20200401","X"',
                 '"RA4","RB2","","20300401","1"', '"RB2","RB3","","20310401","0"')
    result = parse_succ(mixed, "succ.csv")
    assert result.layout == CURRENT and not result.accepted  # reference data: no row may be lost
    assert (result.rows, result.rows_valid, result.rows_quarantined) == (5, 3, 2)
    assert [(q["row"], q["column"], q["rule"], q["value"]) for q in result.quarantined] == [
        (2, "3 (reason)", "unknown_category", "R"), (3, "5 (indicator)", "unknown_category", "X")]
    assert "ods-succ-5-2026 publishes none" in result.quarantined[0]["reason"]
    assert "is not one of ['0', '1'] (ods-succ-5-2026)" in result.quarantined[1]["reason"]
    older = parse_succ(succ('"RA1","RB1","R","20200401","X"', '"RA2","RB1","","20200401","X"'), "succ.csv")
    assert older.layout == OLDER
    assert [(q["row"], q["column"], q["rule"]) for q in older.quarantined] == [(2, "3 (reason)", "unknown_category")]


def test_an_indicator_of_neither_layout_refuses_the_file_with_every_row_accounted_for():
    result = parse_succ(succ('"RA1","RB1","","20200401","Y"', '"RA2","RB1","","20200401","N"'), "succ.csv")
    assert result.layout is None and not result.accepted
    [error] = result.file_errors
    assert error.rule == "unknown_layout" and error.column == "5 (indicator)"
    assert "['N', 'Y'] fit neither ods-succ-5-2019" in error.message and "nor ods-succ-5-2026" in error.message
    assert result.rows == result.rows_quarantined == 2


def test_bad_rows_are_quarantined_by_row_and_column():
    result = parse_succ(succ('"RA1","RB1","","20200401","0"', '"RA3","ra 4","","20200401","0"',
                             '"RA4","RA4","","20200431","0"', '"RA5","RB1","","","0"', '"RA1","RB1","","20200401","0"'))
    assert result.rows == 5 and result.rows_valid == 0 and result.rows_quarantined == 5
    assert {(e.row, e.column, e.rule) for e in result.errors} == {
        (2, "2 (new_code)", "code_format"), (3, "2 (new_code)", "self_succession"),
        (3, "4 (effective_date)", "date_format"), (4, "4 (effective_date)", "empty_key"),
        (1, "2 (new_code)", "duplicate_key"), (5, "2 (new_code)", "duplicate_key")}
    assert "duplicate succession RA1 → RB1 (also at row 5)" in result.quarantined[0]["reason"]


def test_cycles_are_quarantined_in_a_graph_with_splits():
    result = parse_succ(succ('"RA1","RB1","","20200401","1"', '"RB1","RA1","","20210401","1"',
                             '"RC1","RA1","","20190401","1"', '"RD1","RE1","","20200401","0"',
                             '"RD1","RF1","","20200401","0"'))
    assert [(q["row"], q["rule"]) for q in result.quarantined] == [(1, "succession_cycle"), (2, "succession_cycle")]
    assert sorted(result.valid.column("old_code").to_pylist()) == ["RC1", "RD1", "RD1"]
    assert result.notes["splits"] == 1


# --- check-feed, with the feed's suite (the CLI, as a data engineer runs it) ----------------------------------------

@pytest.fixture(scope="module")
def checked(tmp_path_factory, real_succ) -> dict:
    """`check-feed ods-successors --expectations` on the real file in each layout, as the command runs it (in this process: the same code, without a start-up per file)."""
    folder = tmp_path_factory.mktemp("succ")

    def run(layout):
        path = folder / f"{layout}.csv"
        path.write_bytes(real_succ if layout == CURRENT else as_older_layout(real_succ))
        return layout, check_feed("ods-successors", path, "--expectations")

    return dict(map(run, [CURRENT, OLDER]))


@pytest.mark.parametrize("layout", [CURRENT, OLDER])
def test_check_feed_accepts_both_layouts_of_the_real_file_with_its_suite(checked, layout):
    code, report, _ = checked[layout]
    assert code == 0 and report["accepted"] is True and report["layout"] == layout
    assert (report["rows"], report["rows_valid"], report["rows_quarantined"]) == (502, 502, 0)
    assert report["errors"] == [] and report["notes"]["splits"] == 54
    assert report["expectations"]["suite"] == "ods_successors" and report["expectations"]["failed"] == []


# --- the pipeline: the ingestion asset, then dbt's staging and the chains ------------------------------------------

def dbt_build(home: Path, select: str, as_at: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, OVERSIGHT_HOME=str(home), DBT_SEND_ANONYMOUS_USAGE_STATS="False")
    return subprocess.run([str(Path(sys.executable).parent / "dbt"), "build", "--project-dir", str(DBT_PROJECT),
                           "--profiles-dir", str(DBT_PROJECT), "--select", select, "--vars",
                           json.dumps({"as_at": as_at})],
                          capture_output=True, text=True, env=env, cwd=DBT_PROJECT, timeout=600)


def expected_chains(etr: Path, content: bytes, as_at: date) -> dict[str, tuple]:
    """The same rules written plainly: trusts' successions in effect by the date; a split stops the chain."""
    trusts = {r[0] for r in csv.reader(etr.open(newline=""))}
    successors = defaultdict(list)
    for old, new, _, effective, _ in rows_of(content):
        if old in trusts and date(int(effective[:4]), int(effective[4:6]), int(effective[6:])) <= as_at:
            successors[old].append(new)
    single = {old: new[0] for old, new in successors.items() if len(new) == 1}
    chains = {}
    for old, new in successors.items():
        end = single.get(old)
        while end in single:
            end = single[end]
        chains[old] = (single.get(old), end, len(new))
    return chains


def ingest_ods(home: Path, etr: Path, succ: Path, monkeypatch):
    """The ODS trusts, then the successors (whose suite checks against them), through their ingestion assets."""
    monkeypatch.setenv("OVERSIGHT_HOME", str(home))
    monkeypatch.setenv("OVERSIGHT_ODS_TRUSTS_URL", etr.as_uri())
    monkeypatch.setenv("OVERSIGHT_ODS_SUCCESSORS_URL", succ.as_uri())
    with dg.DagsterInstance.ephemeral() as instance:
        tags = {AS_AT_TAG: "2026-12-01"}
        assert dg.materialize([current_file_asset(ods.TRUSTS)], instance=instance, tags=tags).success
        result = dg.materialize([current_file_asset(ods.SUCCESSORS)], instance=instance, tags=tags)
    assert result.success
    [stored] = result.asset_materializations_for_node("ods__successors")
    [check] = [c for c in result.get_asset_check_evaluations() if c.asset_key == dg.AssetKey(["ods", "successors"])]
    assert check.check_name == "gx_ods_successors" and check.passed  # every trust's successor: a trust ODS lists
    return stored, pq.read_table(pipeline.current_path(Settings.from_env(), ods.SUCCESSORS))


def test_the_pipeline_stores_both_layouts_and_dbt_resolves_the_chains_as_at_a_date(tmp_path, monkeypatch, realdata,
                                                                                    real_succ):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "succ.csv").write_bytes(real_succ)
    (mirror / "older" / "succ.csv").parent.mkdir()
    (mirror / "older" / "succ.csv").write_bytes(as_older_layout(real_succ))
    etr = realdata / "ods/etr.csv"
    stored = {}
    for layout, home, file in ((OLDER, tmp_path / "older", mirror / "older" / "succ.csv"),
                               (CURRENT, tmp_path / "home", mirror / "succ.csv")):  # the current one last: dbt's
        materialization, table = ingest_ods(home, etr, file, monkeypatch)
        assert materialization.metadata["layout"].value == layout
        assert (materialization.metadata["rows"].value, materialization.metadata["rows_quarantined"].value) == (502, 0)
        stored[layout] = table.drop_columns(["_source_sha256", "_received_on"])
    # one schema, whichever layout came: the same successions, the reason NULL where the layout publishes none
    assert stored[OLDER].drop_columns(["reason"]).equals(stored[CURRENT].drop_columns(["reason"]))
    assert set(stored[OLDER].column("reason").to_pylist()) == {"R"} and \
        set(stored[CURRENT].column("reason").to_pylist()) == {None}

    as_at = date(2026, 1, 1)  # before the mergers announced for 1 April 2026
    settings = Settings.from_env()
    build = dbt_build(settings.home, "+int_trust_successors_resolved", as_at.isoformat())
    assert build.returncode == 0, build.stdout[-3000:]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as warehouse:
        staged = warehouse.execute("select count(*), count(succession_reason), count_if(forward_succession) "
                                   "from staging.stg_ods__successors").fetchone()
        resolved = {r[0]: (r[1], r[2], r[3]) for r in warehouse.execute(
            "select trust_code, successor_code, current_successor_code, successor_count "
            "from intermediate.int_trust_successors_resolved").fetchall()}
    assert staged == (502, 0, 99)
    assert resolved == expected_chains(etr, real_succ, as_at)
    assert resolved["RW6"] == (None, None, 2)            # split: no single successor to restate its history under
    assert resolved["R1C"] == ("RW1", "RW1", 1)          # Solent into Hampshire and Isle of Wight, 1 October 2024
    assert "RY2" not in resolved and "RNK" not in resolved  # announced for 1 April 2026: not yet in effect
