"""The simulated Staff Group and Organisation releases: cumulative, revised, in the published layouts."""
import zipfile
from datetime import date

import pyarrow.compute as pc
import pytest

from simulator import staff_groups as sg
from simulator.england import build_england

AS_AT = date(2026, 12, 1)  # the day the files are checked as at (no parser reads the clock)


@pytest.fixture(scope="module")
def world():
    return build_england("small", 2)


def test_a_release_carries_every_month_from_the_series_start(world):
    table = sg.staff_group_table(world, date(2026, 3, 31))
    months = sorted(set(table.column("Date").to_pylist()))
    assert months[0] == "2014-01-31" and months[-1] == "2026-03-31"
    assert len(months) == len(sg.month_ends(sg.HISTORY_START, date(2026, 3, 31)))
    # 28 staff groups, FTE and HC, for every organisation in every month
    assert len(set(table.column("Staff Group").to_pylist())) == 28
    assert table.num_rows % (28 * 2) == 0


def test_aggregate_groups_are_the_sum_of_their_components(world):
    rows = sg.staff_group_table(world, date(2026, 3, 31)).filter(
        pc.equal(pc.field("Date"), "2026-03-31")).to_pylist()
    by = {(r["Org Code"], r["Staff Group Sort Order"], r["Data Type"]): r["Total"] for r in rows}
    parts = {code: components for code, _, components in sg.STAFF_GROUPS}
    org = rows[0]["Org Code"]
    for code, components in parts.items():
        if components:
            assert by[(org, code, "FTE")] == pytest.approx(sum(by[(org, c, "FTE")] for c in components))


def test_later_releases_revise_only_the_provisional_months(world):
    revised = sg.revised_keys(world, date(2026, 2, 28), date(2026, 3, 31))
    assert revised, "late returns revise some figures"
    assert {k[0] for k in revised} <= {"2025-12-31", "2026-01-31", "2026-02-28"}
    # a month older than the provisional window is the same in both releases
    old = [k for k in revised if k[0] < "2025-12-31"]
    assert old == []


def test_the_header_is_renamed_at_the_layout_change_and_the_zip_is_named_as_published(world, tmp_path):
    before, after = date(2026, 3, 31), date(2026, 4, 30)
    for month, value_column in ((before, "Total"), (after, "FTE/HC")):
        path = tmp_path / sg.release_file_names(month)[0]
        sg.write_staff_group_release(world, month, path)
        with zipfile.ZipFile(path) as archive:
            [member] = archive.namelist()
            assert member == sg.release_file_names(month)[1]
            head = archive.read(member)[:400]
        assert head.split(b"\r\n")[0].split(b",")[-1].decode() == value_column  # CRLF, header renamed
    assert sg.release_file_names(before)[0] == "NHS Workforce Statistics, March 2026 csv files.zip"


def test_the_same_seed_writes_the_same_bytes(world, tmp_path):
    a, b = tmp_path / "a.zip", tmp_path / "b.zip"
    sg.write_staff_group_release(world, date(2026, 1, 31), a)
    sg.write_staff_group_release(build_england("small", 2), date(2026, 1, 31), b)
    assert a.read_bytes() == b.read_bytes()
    # the entry is dated by the month, not by the clock, so a run a second later writes the same bytes too
    assert [info.date_time for info in zipfile.ZipFile(a).infolist()] == [(2026, 1, 31, 0, 0, 0)]


def test_workforce_from_starts_the_simulated_series_later(tmp_path):
    import json

    from orchestration.feeds.catalog import SERIES
    from simulator import simulate

    simulate("small", 2, tmp_path, feeds={"staff_group"}, months=1, workforce_from=2025)
    [release] = json.loads((tmp_path / "workforce/staff_group/releases.json").read_text())["releases"]
    content = (tmp_path / "workforce/staff_group" / release["file"]).read_bytes()
    months = set(SERIES["workforce-staff-group"].parse(content, release["file"], as_at=AS_AT).valid
                 .column("month_end").to_pylist())
    assert min(months) == date(2025, 1, 31) and max(months).isoformat()[:7] == release["release"]
