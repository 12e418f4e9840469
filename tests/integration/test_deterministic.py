"""The same inputs and the same as-at date give the same marts: two separate runs, in two homes, on one mirror.

Every mart is compared by a checksum of its rows, every column included — but the data-quality report's times of
day (`last_attempt_at`, `last_stored_at`, `last_checked_at`): they say when the pipeline did its work, which is the
point of that report, not an input. And a run as at an earlier day sees the mirror as it was then.
"""
import shutil

import duckdb
import pytest

from tests.integration.support import environment, oversight

# When the pipeline did something (a time of day, not a figure): the only columns two runs may differ in.
WALL_CLOCK = {"rpt_data_quality": ["last_attempt_at", "last_stored_at", "last_checked_at"]}


def checksums(home) -> dict[str, str]:
    with duckdb.connect(str(home / "serving" / "oversight.duckdb"), read_only=True) as db:
        marts = [r[0] for r in db.execute("select table_name from information_schema.tables where table_name like "
                                          "'fct_%' or table_name like 'rpt_%' or table_name like 'dim_%'").fetchall()]
        sums = {}
        for mart in sorted(marts):
            columns = [r[0] for r in db.execute(f'describe "{mart}"').fetchall()
                       if r[0] not in WALL_CLOCK.get(mart, [])]
            projection = ", ".join(f'"{c}"' for c in columns)
            [[digest, rows]] = db.execute(
                f"select md5(coalesce(string_agg(cast(t as varchar), chr(10) order by cast(t as varchar)), '')), "
                f'count(*) from (select {projection} from "{mart}") as t').fetchall()
            sums[mart] = f"{rows}:{digest}"
    return sums


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    """One simulated mirror, read by every run of this module."""
    from simulator import simulate

    root = tmp_path_factory.mktemp("mirror")
    simulate("small", 4, root)
    return root


def _run(tmp_path, mirror, name, as_at):
    home = tmp_path / name
    env = environment(home, OVERSIGHT_FEEDS_URL=mirror.as_uri())
    run = oversight(env, "run", "--as-at", as_at)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return home, run


def test_two_runs_with_the_same_inputs_and_date_build_identical_marts(pipeline, tmp_path):
    """The session's pipeline run (as at the day it ran), and another in a new home on the same mirror and day."""
    with duckdb.connect(str(pipeline["home"] / "serving" / "oversight.duckdb"), read_only=True) as db:
        [[as_at]] = db.execute("select as_at from publication").fetchall()
    second, _ = _run(tmp_path, pipeline["feeds"], "second", as_at.isoformat())
    one, two = checksums(pipeline["home"]), checksums(second)
    assert len(one) >= 16 and all(not s.startswith("0:") for m, s in one.items() if m.startswith("fct_trust"))
    assert one == two, {m for m in one if one[m] != two.get(m)}


def test_a_run_as_at_an_earlier_day_sees_only_what_was_published_by_then(mirror, tmp_path):
    """A sickness release published after the as-at date is not listed yet: the run does not store it, and the
    marts end at the months it could know. (The mirror's CQC API documents are as of the simulation's day, which
    an API cannot be asked for as at an earlier one: that copy of the mirror goes without them.)"""
    import json

    earlier = tmp_path / "mirror-earlier"
    shutil.copytree(mirror, earlier)
    shutil.rmtree(earlier / "cqc" / "api")
    mirror = earlier
    index = json.loads((mirror / "workforce/sickness/releases.json").read_text())["releases"]
    last, before_last = sorted(index, key=lambda r: r["published"])[-1], sorted(index, key=lambda r: r["published"])[-2]
    home, run = _run(tmp_path, mirror, "earlier", before_last["published"])
    assert f"sickness-absence {before_last['release']}: stored" in run.stdout
    assert f"sickness-absence {last['release']}" not in run.stdout
    with duckdb.connect(str(home / "serving" / "oversight.duckdb"), read_only=True) as db:
        [[period, month]] = db.execute("select max(period), max(sickness_month) from fct_trust_workforce").fetchall()
        [[received]] = db.execute("select max(received_on) from dim_trust").fetchall()
    # the months reported run to the as-at day's month, and know only the releases published by that day
    assert period.isoformat()[:7] == before_last["published"][:7]
    assert month.strftime("%Y-%m") == before_last["release"] < last["release"]
    assert received.isoformat() == before_last["published"]
    shutil.rmtree(home)
