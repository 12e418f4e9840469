"""The end-to-end pipeline run shared by the integration tests: one `oversight run` on a small simulated England,
and the API serving its snapshot over real HTTP on loopback."""
import subprocess
import time

import httpx
import pytest

from tests.integration.support import OVERSIGHT, environment, free_port, oversight


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory):
    """One successful run on simulated feeds, and the API serving its snapshot."""
    home = tmp_path_factory.mktemp("home")
    env = environment(home)
    run = oversight(env, "run", "--scale", "small", "--seed", "7")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    port = free_port()
    server = subprocess.Popen([*OVERSIGHT, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}/api/v1"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert server.poll() is None, server.stderr.read()
        assert time.monotonic() < deadline, "API did not come up within 60 s"
        time.sleep(0.2)
    yield {"home": home, "env": env, "api": base, "feeds": home / "feeds"}
    server.terminate()
    server.wait(timeout=10)


