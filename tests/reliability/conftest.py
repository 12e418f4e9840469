"""The reliability suite's ledger: what each test threw at the platform, and what was lost or served wrongly.

Every test records its cases through the `ledger` fixture (`ledger.record(category, cases, rows_lost=…,
errors_served=…)`); at the end of the session the entries of the tests that ran are merged into
`bench/results/reliability.json` (entries of tests that did not run are kept), and `python -m bench.reliability_table`
renders the README's table from it. The file holds counts only — no times, no paths (the readers under load count
what they managed in their time, so those counts move from run to run).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.api.conftest import marts  # noqa: F401  (the session's marts served with a key per role)

SUMMARY = Path(__file__).resolve().parents[2] / "bench" / "results" / "reliability.json"
CATEGORIES = ("faults injected", "hostile files", "crashes survived", "full disk", "requests under load",
              "fuzz cases", "hostile API requests")


class Ledger:
    def __init__(self):
        self.entries: dict[str, dict] = {}
        self.current: str | None = None

    def record(self, category: str, cases: int, *, rows_lost: int = 0, errors_served: int = 0,
               what: str = "") -> None:
        assert category in CATEGORIES, category
        name = self.current or "unknown"
        name = name if not any(k.startswith(name) and e["category"] != category for k, e in self.entries.items()) \
            else f"{name} ({category})"      # a test that counts in two categories has an entry in each
        entry = self.entries.setdefault(name, {"category": category, "cases": 0, "rows_lost": 0,
                                               "errors_served": 0, "what": what})
        entry["cases"] += cases
        entry["rows_lost"] += rows_lost
        entry["errors_served"] += errors_served
        entry["what"] = what or entry["what"]


_LEDGER = Ledger()


@pytest.fixture
def ledger(request) -> Ledger:
    _LEDGER.current = _name(request.node.nodeid)
    return _LEDGER


def pytest_runtest_logreport(report):
    """A test that failed does not vouch for its counts: its entry is dropped."""
    if report.failed:
        name = _name(report.nodeid)
        for key in [k for k in _LEDGER.entries if k == name or k.startswith(name + " (")]:
            del _LEDGER.entries[key]


def _name(nodeid: str) -> str:
    return nodeid.split("tests/reliability/", 1)[-1]


def pytest_sessionfinish(session, exitstatus):
    if not _LEDGER.entries or os.environ.get("OVERSIGHT_RELIABILITY_SUMMARY") == "off":
        return
    previous = json.loads(SUMMARY.read_text()) if SUMMARY.exists() else {}
    merged = {**previous, **_LEDGER.entries}
    text = json.dumps(dict(sorted(merged.items())), indent=1) + "\n"
    if not SUMMARY.exists() or SUMMARY.read_text() != text:
        SUMMARY.parent.mkdir(parents=True, exist_ok=True)
        SUMMARY.write_text(text)


if os.environ.get("OVERSIGHT_TEST_PIPELINE_HOME"):      # a developer's shortcut: a home built once, reused
    @pytest.fixture(scope="session")
    def pipeline():
        import pickle

        from tests.integration.support import environment, serving
        home = Path(os.environ["OVERSIGHT_TEST_PIPELINE_HOME"])
        env = environment(home, OVERSIGHT_FEEDS_URL=(home / "feeds").as_uri())
        revision = pickle.loads((home.parent / "revision.pkl").read_bytes())["revision"]
        with serving(env) as base:
            yield {"home": home, "env": env, "api": base, "feeds": home / "feeds", "revision": revision}
