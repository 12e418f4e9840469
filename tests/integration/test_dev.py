"""`make dev` (`oversight dev`): the Dagster UI comes up on the same definitions — with the virtualenv off the PATH,
as `make dev` runs it — and stops, every process it started, on SIGTERM, as on Ctrl-C. One start of the UI for
all three checks (a start is most of their time: a Dagster webserver, daemon and code server, and dbt's parse)."""
import os
import signal
import subprocess
import time

import httpx
import pytest

from tests.integration.support import OVERSIGHT, environment, free_port

LOCATIONS = ("{ workspaceOrError { ... on Workspace { locationEntries { name locationOrLoadError {"
             " __typename ... on PythonError { message } } } } } }")
ASSET_KEYS = "{ assetNodes { assetKey { path } } }"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def dev(pipeline, tmp_path_factory):
    """`oversight dev` on a home of its own, once its code location has loaded (or failed to): `make dev` runs
    `dagster dev`, whose dbt manifest preparer looks for `dbt` on PATH, and the virtualenv need not be on it."""
    port = free_port()
    env = environment(tmp_path_factory.mktemp("dev") / "home", OVERSIGHT_FEEDS_URL=pipeline["feeds"].as_uri())
    env["PATH"] = "/usr/bin:/bin"
    process = subprocess.Popen([*OVERSIGHT, "dev", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    graphql = f"http://127.0.0.1:{port}/graphql"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, process.stdout.read()[-3000:]
            try:
                located = httpx.post(graphql, timeout=5, json={"query": LOCATIONS}).json()
                entries = located["data"]["workspaceOrError"]["locationEntries"]
                if entries and entries[0]["locationOrLoadError"]:
                    break
            except (httpx.TransportError, KeyError, TypeError, ValueError):
                pass
            assert time.monotonic() < deadline, "the Dagster UI did not come up within 180 s"
            time.sleep(1)
        yield {"process": process, "graphql": graphql, "entries": entries}
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def test_the_dagster_ui_serves_the_code_location(dev):
    # the code location loaded (not an error page): the same definitions `oversight run` runs
    entries = dev["entries"]
    assert entries[0]["locationOrLoadError"]["__typename"] == "RepositoryLocation", entries


def test_definitions_load_under_dagster_dev_without_the_virtualenv_on_path(dev):
    """Every asset of the definitions `oversight run` loads, in the code location the UI serves."""
    from orchestration.definitions import defs

    nodes = httpx.post(dev["graphql"], timeout=30, json={"query": ASSET_KEYS}).json()["data"]["assetNodes"]
    served = {tuple(node["assetKey"]["path"]) for node in nodes}
    assert served == {tuple(key.path) for key in defs.resolve_asset_graph().get_all_asset_keys()}


def test_the_dagster_ui_stops_cleanly(dev):
    """Last: it stops the UI the other tests read."""
    process = dev["process"]
    assert process.poll() is None, process.stdout.read()[-3000:]
    process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    assert process.wait(timeout=60) == 0
    while _group_alive(process.pid) and time.monotonic() - started < 30:
        time.sleep(0.5)
    assert not _group_alive(process.pid), "processes of `oversight dev` were left running"
