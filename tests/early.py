"""The suite's heavy `oversight run`s that depend on no test, started together before the first test that needs one.

A run alone leaves much of a 2-core machine idle (dbt, Dagster and GX take turns on one core most of the time), and
the suite used to pay for each in turn: the session's pipeline run, its twin in another home (test_deterministic),
the run as at an earlier day, the two national runs (test_planted_structure) and the run on real files
(test_real_mirror). Each is declared here with `@early_run(name, fixture=…)`, next to the tests that read it; the
`early_runs` session fixture (tests/conftest.py) starts every declared run whose fixture a collected test uses —
running one file starts only that file's runs — `WORKERS` at a time, and waits until all have finished, so no test
runs while they compete for the cores. Each run is the same real subprocess as before, in its own home; the fixture
that reads it gets its result from `early_runs.result(name)` (a run's failure is raised there, in the tests that
need it, and nowhere else). A run that must follow another's (the quality guard's two runs, on a copy of the
session's home) is declared `after=` it: it starts as soon as that one has finished, before any run not started yet,
so that it overlaps with the rest instead of running alone after them.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Runs at once: three keep both cores busy through the runs' single-threaded stretches without crowding memory.
WORKERS = 3


@dataclass(frozen=True)
class EarlyRun:
    name: str
    fixture: str                                # the fixture that reads it: the run starts if a collected test uses it
    run: Callable[[Path, dict], Any]            # (its own empty folder, what earlier `prepare`s returned) → its result
    prepare: Callable[[Path], Any] | None = None  # quick, in order, before any run starts (what another run reads)
    after: str | None = None                    # the early run it follows (whose result it reads)


DECLARED: dict[str, EarlyRun] = {}


def early_run(name: str, fixture: str, prepare: Callable[[Path], Any] | None = None, after: str | None = None):
    """Declare `run` as the early run `name`, read by fixture `fixture`. `prepare(folder)`, if given, runs first in
    the main thread; its result is passed to every run as `prepared[name]` (the session's simulated feeds, which
    its twin reads too). A run `after` another starts once that one has succeeded, with that run's result as
    `prepared[after]` (its failure is this run's failure too)."""
    def declare(run: Callable[[Path, dict], Any]):
        DECLARED[name] = EarlyRun(name, fixture, run, prepare, after)
        return run
    return declare


@dataclass
class EarlyRuns:
    futures: dict[str, Future] = field(default_factory=dict)
    seconds: float = 0.0          # wall time, from the first prepare to the last run's end
    cpu_seconds: float = 0.0      # the processes' CPU time (user and system) in that time: over `seconds`, the cores used

    def result(self, name: str) -> Any:
        if name not in self.futures:
            raise KeyError(f"early run {name!r} was not started: its fixture must be {DECLARED[name].fixture!r}")
        return self.futures[name].result()


def needed(items, declared: dict[str, EarlyRun]) -> list[EarlyRun]:
    """The declared runs whose fixture one of `items` uses — as the fixture that test gets (an override elsewhere,
    say tests/reliability's OVERSIGHT_TEST_PIPELINE_HOME shortcut, needs no run)."""
    used = set()
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        for name in getattr(item, "fixturenames", ()):
            definitions = info.name2fixturedefs.get(name) if info is not None else None
            if definitions is None or "early_runs" in definitions[-1].argnames:
                used.add(name)
    wanted = {run.name for run in declared.values() if run.fixture in used}
    for run in list(declared.values()):        # a run needs the one it follows, and that one its own
        name = run.name
        while name in wanted and declared[name].after is not None:
            name = declared[name].after
            wanted.add(name)
    return [run for run in declared.values() if run.name in wanted]


def start(runs: list[EarlyRun], folder: Callable[[str], Path]) -> EarlyRuns:
    """Prepare each run in order, run them `WORKERS` at a time, and return once every one has finished."""
    from orchestration.dbt import ensure_manifest

    names = {run.name for run in runs}
    assert all(run.after in names for run in runs if run.after is not None), "a run without the one it follows"
    began, cpu = time.monotonic(), _children_cpu()
    ensure_manifest()  # parse the dbt project once, before several processes would each do it in the same folder
    folders = {run.name: folder(run.name) for run in runs}
    prepared = {}
    for run in runs:
        if run.prepare is not None:
            prepared[run.name] = run.prepare(folders[run.name])
    started = EarlyRuns(futures={run.name: Future() for run in runs})
    waiting = deque(run for run in runs if run.after is None)   # in order; a run that follows another goes first
    lock = threading.Lock()

    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="early-run") as pool:
        def launch(run: EarlyRun, inputs: dict) -> None:
            pool.submit(run.run, folders[run.name], inputs).add_done_callback(lambda done: finished(run, done))

        def finished(run: EarlyRun, done: Future) -> None:
            _settle(started.futures[run.name], done)        # first: the runs that follow it read its result
            with lock:
                for follower in (r for r in runs if r.after == run.name):
                    if done.exception() is None:
                        waiting.appendleft(follower)
                    else:
                        _fail(follower, runs, started.futures, done.exception())
                following = waiting.popleft() if waiting else None
            if following is not None:
                inputs = dict(prepared)
                if following.after is not None:
                    inputs[following.after] = started.futures[following.after].result()
                launch(following, inputs)

        with lock:
            firsts = [waiting.popleft() for _ in range(min(WORKERS, len(waiting)))]
        for run in firsts:
            launch(run, prepared)
        wait(started.futures.values())
    started.seconds, started.cpu_seconds = time.monotonic() - began, _children_cpu() - cpu
    STARTED.append(started)
    return started


def _settle(future: Future, done: Future) -> None:
    if done.exception() is not None:
        future.set_exception(done.exception())
    else:
        future.set_result(done.result())


def _fail(run: EarlyRun, runs: list[EarlyRun], futures: dict[str, Future], cause: BaseException) -> None:
    """`run` cannot start: the run it follows failed. Nor can any run that follows it."""
    error = RuntimeError(f"early run {run.name!r} did not start: the run it follows, {run.after!r}, failed")
    error.__cause__ = cause
    futures[run.name].set_exception(error)
    for follower in (r for r in runs if r.after == run.name):
        _fail(follower, runs, futures, error)


def _children_cpu() -> float:
    import resource
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


STARTED: list[EarlyRuns] = []   # this session's, for the summary at its end


def summary() -> str | None:
    """One line for the end of the session: which runs started early, and how long they took together."""
    if not STARTED:
        return None
    runs = STARTED[-1]
    failed = [name for name, future in runs.futures.items() if future.exception() is not None]
    return (f"early runs: {', '.join(runs.futures)} — {runs.seconds:.0f} s together, {WORKERS} at a time, "
            f"{runs.cpu_seconds:.0f} s of CPU"
            + (f"; failed: {', '.join(failed)}" if failed else ""))
