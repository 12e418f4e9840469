"""Helpers for running the `oversight` command as a user would: a subprocess with its own OVERSIGHT_HOME."""
import os
import socket
import subprocess
import sys
from pathlib import Path


OVERSIGHT = [sys.executable, "-m", "orchestration.cli"]
FEED_URL_VARIABLES = ("OVERSIGHT_FEEDS_URL", "OVERSIGHT_ODS_TRUSTS_URL", "OVERSIGHT_ODS_SUCCESSORS_URL",
                      "OVERSIGHT_ICB_NAMES_URL")


def environment(home: Path, **urls: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in FEED_URL_VARIABLES}
    env.update(OVERSIGHT_HOME=str(home), **urls)
    return env


def oversight(env, *args, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run([*OVERSIGHT, *args], env=env, capture_output=True, text=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
