"""Shared fixtures. Real data samples are read from ../shared/realdata (never copied into the project)."""
import os
from pathlib import Path

import pytest

from tests.early import early_run

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REALDATA = PROJECT_ROOT.parent / "shared" / "realdata"


@pytest.fixture(scope="session")
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.skip(f"real NHS samples not present: {REALDATA} (../shared is beside the project in CI)")
    return REALDATA


@pytest.fixture(scope="session")
def early_runs(request, tmp_path_factory):
    """The heavy runs of the tests collected, all started at once before the first of them (tests/early.py)."""
    from tests import early
    return early.start(early.needed(request.session.items, early.DECLARED), tmp_path_factory.mktemp)


def pytest_terminal_summary(terminalreporter):
    from tests import early
    line = early.summary()
    if line:
        terminalreporter.write_line(line)


def simulate_session_feeds(root: Path) -> dict:
    """The session's simulated feeds (and the resubmitted finance return), read by its run and by its twin."""
    from tests.integration.support import environment, oversight

    home = root / "home"
    feeds = home / "feeds"
    simulated = oversight(environment(home), "simulate", "--scale", "small", "--seed", "7", "--out", str(feeds))
    assert simulated.returncode == 0, simulated.stderr[-3000:]
    revision = resubmit_finance_return(feeds / "finance" / "monthly")
    return {"home": home, "feeds": feeds, "revision": revision}


@early_run("session", fixture="pipeline", prepare=simulate_session_feeds)
def session_run(root: Path, prepared: dict) -> dict:
    from tests.integration.support import environment, oversight

    feeds = prepared["session"]
    env = environment(feeds["home"], OVERSIGHT_FEEDS_URL=feeds["feeds"].as_uri())
    return {**feeds, "env": env, "run": oversight(env, "run", timeout=1200)}


@pytest.fixture(scope="session")
def pipeline(early_runs):
    """One successful `oversight run` on a small simulated England, and the API serving its snapshot over real
    HTTP on loopback — shared by the integration and the API tests (one pipeline run per session; started with the
    suite's other heavy runs, tests/early.py).

    The simulated feeds get one more finance release before the run: a trust resubmitting its latest in-year
    return with a revised liquidity figure, published after the original (`revision`), so that "what was known on
    date D" can be seen to keep the figure as first received until the resubmission arrived."""
    from tests.integration.support import serving

    session = early_runs.result("session")
    run = session["run"]
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    with serving(session["env"]) as base:
        yield {"home": session["home"], "env": session["env"], "api": base, "feeds": session["feeds"],
               "revision": session["revision"]}


def resubmit_finance_return(folder: Path) -> dict:
    """Add a release to a simulated finance-return mirror: the latest return again, the first trust's liquidity
    days revised, published 20 days after the original. Returns what changed."""
    import csv
    import json
    from datetime import date, timedelta

    index = json.loads((folder / "releases.json").read_text())
    latest = max(index["releases"], key=lambda r: r["release"])
    with open(folder / latest["file"], newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    column = rows[0].index("Liquidity Days")
    trust, original = rows[1][0], float(rows[1][column])
    revised = round(original - 17.25, 3)
    rows[1][column] = f"{revised}"
    resubmitted = latest["file"].replace(".csv", "_resubmitted.csv")
    with open(folder / resubmitted, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    first_published = date.fromisoformat(latest["published"])
    published = first_published + timedelta(days=20)
    year, month = map(int, latest["release"].split("-"))
    key = f"{year + month // 12}-{month % 12 + 1:02d}"        # the month after the original's: its own partition
    index["releases"].append({"release": key, "file": resubmitted, "published": published.isoformat()})
    (folder / "releases.json").write_text(json.dumps(index, indent=1))
    return {"trust": trust, "period_end": rows[1][4], "original": original, "revised": revised,
            "first_published": first_published, "published": published}
