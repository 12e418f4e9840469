"""The same inputs and the same as-at date give the same marts: two separate runs, in two homes, on one mirror.

Every mart is compared by a checksum of its rows, every column included — but the data-quality report's times of
day (`last_attempt_at`, `last_stored_at`, `last_checked_at`): they say when the pipeline did its work, which is the
point of that report, not an input. And a run as at an earlier day sees the mirror as it was then. Both runs start
with the suite's other heavy runs (tests/early.py).
"""
import shutil
from datetime import datetime, timezone

import duckdb
import pytest

from tests.early import early_run
from tests.integration.support import SHORT_GRID, checksums, environment, oversight


def _run(home, mirror, as_at, **settings):
    env = environment(home, OVERSIGHT_FEEDS_URL=mirror.as_uri(), **settings)
    run = oversight(env, "run", "--as-at", as_at, timeout=1200)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return home, run


@early_run("twin", fixture="twin")
def twin_run(root, prepared) -> dict:
    """Another home on the session run's mirror, as at the day both start (the session run's own as-at date)."""
    as_at = datetime.now(timezone.utc).date()
    home, _ = _run(root / "second", prepared["session"]["feeds"], as_at.isoformat())
    return {"home": home, "as_at": as_at}


@pytest.fixture(scope="module")
def twin(early_runs):
    return early_runs.result("twin")


def test_two_runs_with_the_same_inputs_and_date_build_identical_marts(pipeline, twin, tmp_path):
    """The session's pipeline run (as at the day it ran), and another in a new home on the same mirror and day."""
    with duckdb.connect(str(pipeline["home"] / "serving" / "oversight.duckdb"), read_only=True) as db:
        [[as_at]] = db.execute("select as_at from publication").fetchall()
    second = twin["home"]
    if twin["as_at"] != as_at:      # the two started either side of midnight: the twin again, as at the same day
        second, _ = _run(tmp_path / "second", pipeline["feeds"], as_at.isoformat())
    one, two = checksums(pipeline["home"]), checksums(second)
    assert len(one) >= 16 and all(not s.startswith("0:") for m, s in one.items() if m.startswith("fct_trust"))
    assert one == two, {m for m in one if one[m] != two.get(m)}


@early_run("as-at-earlier", fixture="earlier")
def earlier_run(root, prepared) -> dict:
    """One simulated mirror of its own, without its CQC API documents (as of the simulation's day, which an API
    cannot be asked for as at an earlier one), run as at the day the sickness release before the last came out, on
    a short reporting grid (its test reads the latest months only)."""
    import json

    from simulator import simulate

    mirror = root / "mirror-earlier"
    simulate("small", 4, mirror)
    shutil.rmtree(mirror / "cqc" / "api")
    index = json.loads((mirror / "workforce/sickness/releases.json").read_text())["releases"]
    last, before_last = sorted(index, key=lambda r: r["published"])[-1], sorted(index, key=lambda r: r["published"])[-2]
    home, run = _run(root / "earlier", mirror, before_last["published"], **SHORT_GRID)
    return {"home": home, "run": run, "last": last, "before_last": before_last}


@pytest.fixture(scope="module")
def earlier(early_runs):
    return early_runs.result("as-at-earlier")


def test_a_run_as_at_an_earlier_day_sees_only_what_was_published_by_then(earlier):
    """A sickness release published after the as-at date is not listed yet: the run does not store it, and the
    marts end at the months it could know. (The mirror's CQC API documents are as of the simulation's day, which
    an API cannot be asked for as at an earlier one: that copy of the mirror goes without them.)"""
    home, run, last, before_last = earlier["home"], earlier["run"], earlier["last"], earlier["before_last"]
    assert f"sickness-absence {before_last['release']}: stored" in run.stdout
    assert f"sickness-absence {last['release']}" not in run.stdout
    with duckdb.connect(str(home / "serving" / "oversight.duckdb"), read_only=True) as db:
        [[period, month]] = db.execute("select max(period), max(sickness_month) from fct_trust_workforce").fetchall()
        [[received]] = db.execute("select max(received_on) from dim_trust").fetchall()
        [[months]] = db.execute("select count(distinct period) from fct_trust_failure_scale").fetchall()
    # the months reported run to the as-at day's month, and know only the releases published by that day
    assert period.isoformat()[:7] == before_last["published"][:7]
    assert month.strftime("%Y-%m") == before_last["release"] < last["release"]
    assert received.isoformat() == before_last["published"]
    assert months == int(SHORT_GRID["OVERSIGHT_REPORT_MONTHS_MAX"])   # the short grid it was run on, not back to 2014
    shutil.rmtree(home)
