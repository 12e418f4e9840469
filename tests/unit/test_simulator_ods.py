"""The simulator's first part: a deterministic England in the real ODS/ONS formats."""
import csv
import json
from datetime import datetime

import pytest

from simulator import simulate
from simulator.england import build_england


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    out = tmp_path_factory.mktemp("national")
    return out, simulate("national", 1, out, feeds={"ods"})


def read(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_same_seed_same_bytes_and_another_seed_another_england(tmp_path, national):
    out, _ = national
    again = simulate("national", 1, tmp_path / "again", feeds={"ods"})
    other = simulate("national", 2, tmp_path / "other", feeds={"ods"})
    for name in ("ods/etr.csv", "ods/succ.csv", "ons/icb_names_codes.csv", "_truth/world.json"):
        assert (out / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name
    assert (out / "ods/etr.csv").read_bytes() != (tmp_path / "other/ods/etr.csv").read_bytes()
    assert again["trusts_open"] > 0 and other["icbs"] == 42


def test_etr_is_in_the_real_layout(national):
    out, _ = national
    raw = (out / "ods/etr.csv").read_text()
    rows = read(out / "ods/etr.csv")
    assert all(len(r) == 27 for r in rows)
    # every field quoted, no header, upper-case names, YYYYMMDD dates
    first_line = raw.splitlines()[0]
    assert first_line.startswith('"R') and first_line.count('"') == 54
    assert not any(r[0].lower().startswith("organisation") for r in rows)
    assert all(r[1] == r[1].upper() for r in rows)
    for r in rows:
        opened = datetime.strptime(r[10], "%Y%m%d")
        if r[11]:
            assert datetime.strptime(r[11], "%Y%m%d") >= opened
    assert len({r[0] for r in rows}) == len(rows)


def test_national_scale_has_42_icbs_and_every_open_english_trust_in_one(national):
    out, summary = national
    icbs = list(csv.DictReader(open(out / "ons/icb_names_codes.csv", newline="")))
    assert len(icbs) == summary["icbs"] == 42
    assert len({i["ICB24CDH"] for i in icbs}) == 42 and len({i["ICB24CD"] for i in icbs}) == 42
    assert any("," in i["ICB24NM"] for i in icbs), "real ICB names carry quoted commas"
    rows = read(out / "ods/etr.csv")
    open_rows = [r for r in rows if not r[11]]
    english = [r for r in open_rows if r[2]]
    assert 200 <= len(english) <= 220
    assert {r[3] for r in english} == {i["ICB24CDH"] for i in icbs}
    welsh = [r for r in open_rows if not r[2]]
    assert len(welsh) == 3 and all(r[3] == "" and r[23] == "W" for r in welsh)
    assert len(rows) - len(open_rows) >= 50  # closed trusts stay in the file


def test_successions_are_mergers_with_a_chain(national):
    out, _ = national
    codes = {r[0]: r for r in read(out / "ods/etr.csv")}
    successions = read(out / "ods/succ.csv")
    successor = {s[0]: s for s in successions}
    assert all(len(s) == 5 for s in successions) and 8 <= len(successions) <= 30
    for old, new, reason, when, indicator in successions:
        assert old in codes and new in codes and reason in "RFO"
        assert codes[old][11] == when  # the predecessor closes the day the succession takes effect
        assert indicator == ("F" if new in successor else "X")
    chains = [s for s in successions if s[1] in successor]
    assert chains, "at least one chain A -> B -> C"


def test_planted_truth_is_written_apart_from_the_feeds(national):
    out, summary = national
    world = json.loads((out / "_truth/world.json").read_text())
    assert {t["code"] for t in world["trusts"]} == {r[0] for r in read(out / "ods/etr.csv")}
    assert {t["kind"] for t in world["trusts"]} == {"acute", "mental_health", "community", "ambulance"}
    assert {"ods/etr.csv", "ods/succ.csv", "ons/icb_names_codes.csv"} <= set(summary["files"])
    assert summary["files"][-1] == "_truth/world.json"
    assert all(not f.startswith("_truth") for f in summary["files"][:-1])


def test_small_scale_and_bad_scale():
    small = build_england("small", 3)
    assert len(small.icbs) == 4 and len({i.region for i in small.icbs}) == 2
    assert sum(1 for t in small.trusts if t.close_date is None and not t.icb) == 1
    with pytest.raises(ValueError, match="unknown scale 'regional'"):
        build_england("regional", 1)


@pytest.mark.parametrize("scale", ["small", "national"])
def test_every_seed_writes_files_the_parsers_accept(tmp_path, scale):
    from orchestration.feeds.ods.layouts import check_trust_icbs, parse_etr, parse_icb_names, parse_succ

    for seed in range(1, 13):
        out = tmp_path / f"{scale}{seed}"
        simulate(scale, seed, out, feeds={"ods"})
        trusts = parse_etr((out / "ods/etr.csv").read_bytes())
        icbs = parse_icb_names((out / "ons/icb_names_codes.csv").read_bytes())
        successors = parse_succ((out / "ods/succ.csv").read_bytes())
        check_trust_icbs(trusts, set(icbs.valid.column("icb_ods_code").to_pylist()), icbs.file)
        assert trusts.accepted and icbs.accepted and successors.accepted, (scale, seed)
        assert not trusts.errors and not successors.errors and trusts.rows_quarantined == 0
        assert successors.notes["chains"] >= 1
