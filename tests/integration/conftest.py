"""The end-to-end pipeline run shared by the integration tests: one `oversight run` on a small simulated England,
and the API serving its snapshot over real HTTP on loopback."""
import pytest

from tests.integration.support import environment, oversight, serving


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory):
    """One successful run on simulated feeds, and the API serving its snapshot."""
    home = tmp_path_factory.mktemp("home")
    env = environment(home)
    run = oversight(env, "run", "--scale", "small", "--seed", "7")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    with serving(env) as base:
        yield {"home": home, "env": env, "api": base, "feeds": home / "feeds"}
