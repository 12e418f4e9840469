"""tests/early.py's scheduler: a run declared `after` another starts once that one has finished, before the runs
still waiting for a worker, with its result; a failure there fails what follows it, and nothing else."""
import threading
from types import SimpleNamespace

import pytest

from tests import early


@pytest.fixture
def one_at_a_time(monkeypatch):
    monkeypatch.setattr(early, "WORKERS", 1)        # the order runs start in, without a race
    monkeypatch.setattr(early, "STARTED", [])       # not this session's summary


def _declared(order: list[str], failing: str | None = None) -> dict[str, early.EarlyRun]:
    lock = threading.Lock()

    def run(name):
        def body(folder, prepared):
            with lock:
                order.append(name)
            if name == failing:
                raise ValueError(f"{name} failed")
            return {"name": name, "read": {k: v for k, v in prepared.items() if isinstance(v, dict)}}
        return body
    return {"first": early.EarlyRun("first", "one", run("first")),
            "other": early.EarlyRun("other", "two", run("other")),
            "follower": early.EarlyRun("follower", "three", run("follower"), after="first"),
            "last": early.EarlyRun("last", "four", run("last"), after="follower")}


def test_a_run_that_follows_another_goes_before_those_waiting_and_reads_its_result(one_at_a_time, tmp_path):
    order: list[str] = []
    runs = _declared(order)
    started = early.start(list(runs.values()), tmp_path.joinpath)
    assert order == ["first", "follower", "last", "other"]
    assert started.result("follower")["read"]["first"]["name"] == "first"
    assert started.result("last")["read"]["follower"]["name"] == "follower"


def test_a_failure_fails_the_runs_that_follow_it_and_no_other(one_at_a_time, tmp_path):
    order: list[str] = []
    runs = _declared(order, failing="first")
    started = early.start(list(runs.values()), tmp_path.joinpath)
    assert order == ["first", "other"]
    with pytest.raises(ValueError, match="first failed"):
        started.result("first")
    for name in ("follower", "last"):
        with pytest.raises(RuntimeError, match="did not start: the run it follows"):
            started.result(name)
    assert started.result("other")["name"] == "other"


def test_a_test_needing_a_run_that_follows_others_starts_them_too():
    runs = _declared([])
    item = SimpleNamespace(fixturenames=["four"])   # no fixture definitions: the fixture as named
    assert [r.name for r in early.needed([item], runs)] == ["first", "follower", "last"]
