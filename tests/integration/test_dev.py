"""`make dev` (`oversight dev`): the Dagster UI comes up on the same definitions, and stops — every process it
started — on SIGTERM, as on Ctrl-C."""
import os
import signal
import subprocess
import time

import httpx

from tests.integration.support import OVERSIGHT, environment, free_port


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_dagster_ui_serves_the_code_location_and_stops_cleanly(pipeline, tmp_path):
    port = free_port()
    env = environment(tmp_path / "home", OVERSIGHT_FEEDS_URL=pipeline["feeds"].as_uri())
    dev = subprocess.Popen([*OVERSIGHT, "dev", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert dev.poll() is None, dev.stdout.read()[-3000:]
            try:
                located = httpx.post(f"http://127.0.0.1:{port}/graphql", timeout=5, json={"query": (
                    "{ workspaceOrError { ... on Workspace { locationEntries { name locationOrLoadError {"
                    " __typename ... on PythonError { message } } } } } }")}).json()
                entries = located["data"]["workspaceOrError"]["locationEntries"]
                if entries and entries[0]["locationOrLoadError"]:
                    break
            except (httpx.TransportError, KeyError, TypeError, ValueError):
                pass
            assert time.monotonic() < deadline, "the Dagster UI did not come up within 180 s"
            time.sleep(1)
        # the code location loaded (not an error page): the same definitions `oversight run` runs
        assert entries[0]["locationOrLoadError"]["__typename"] == "RepositoryLocation", entries
        dev.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert dev.wait(timeout=60) == 0
        while _group_alive(dev.pid) and time.monotonic() - started < 30:
            time.sleep(0.5)
        assert not _group_alive(dev.pid), "processes of `oversight dev` were left running"
    finally:
        if dev.poll() is None:
            os.killpg(dev.pid, signal.SIGKILL)
