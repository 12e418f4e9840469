"""Fixtures: a hand-built snapshot under a temporary home, and the API serving it over real HTTP."""
from pathlib import Path

import pytest

from api.settings import Settings
from tests.api.support import ServerThread, build_snapshot


@pytest.fixture
def home(tmp_path) -> Path:
    build_snapshot(Settings(home=tmp_path).serving_path)
    return tmp_path


@pytest.fixture
def api(home):
    with ServerThread(home) as client:
        yield client
