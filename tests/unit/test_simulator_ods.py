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


def test_succ_is_in_the_current_layout_with_what_a_real_file_holds(national):
    out, _ = national
    codes = {r[0]: r for r in read(out / "ods/etr.csv")}
    raw = (out / "ods/succ.csv").read_bytes()
    successions = read(out / "ods/succ.csv")
    assert raw.endswith(b'"\r\n') and b'"\n' not in raw  # CRLF, every field quoted, as published now
    successors: dict[str, list[str]] = {}
    for old, new, *_ in successions:
        successors.setdefault(old, []).append(new)
    assert all(len(s) == 5 for s in successions) and 15 <= len(successions) <= 40
    for old, new, reason, when, indicator in successions:
        assert reason == "" and indicator == ("1" if new in successors else "0")
    world = json.loads((out / "_truth/world.json").read_text())
    for s in world["successions"]:  # every merger of the world, the predecessor closing the day it takes effect
        assert [s["old_code"], s["new_code"], "", s["effective_date"].replace("-", ""), ""][:4] == \
            next(r for r in successions if r[:2] == [s["old_code"], s["new_code"]])[:4]
        assert codes[s["old_code"]][11] == s["effective_date"].replace("-", "")
    assert any(new in successors for new in successors.values() for new in new), "a chain A -> B -> C"
    # besides the world's mergers, what a real file holds: other organisation types, a split, a merger announced ahead
    assert any(old not in codes for old in successors) and any(new not in codes for s in successors.values() for new in s)
    assert [old for old, new in successors.items() if len(new) > 1 and old in codes]
    assert any(r[3] > "20261001" and r[0] in codes and not codes[r[0]][11] for r in successions)


def test_the_older_layout_by_option_same_successions_same_seed_same_bytes(tmp_path, national):
    from orchestration.feeds.ods.layouts import parse_succ

    out, _ = national
    for n in (1, 2):
        simulate("national", 1, tmp_path / f"older{n}", feeds={"ods"}, succ_layout="ods-succ-5-2019")
    older = (tmp_path / "older1/ods/succ.csv").read_bytes()
    assert older == (tmp_path / "older2/ods/succ.csv").read_bytes() and b"\r\n" not in older
    current, old = parse_succ((out / "ods/succ.csv").read_bytes()), parse_succ(older)
    assert (current.layout, old.layout) == ("ods-succ-5-2026", "ods-succ-5-2019") and old.accepted
    assert set(old.valid.column("reason").to_pylist()) <= {"F", "O", "R"}
    assert old.valid.drop_columns(["reason"]).equals(current.valid.drop_columns(["reason"]))
    with pytest.raises(ValueError, match="unknown succ.csv layout 'ods-succ-6'"):
        simulate("small", 1, tmp_path / "bad", feeds={"ods"}, succ_layout="ods-succ-6")
    assert not (tmp_path / "bad").exists()


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
