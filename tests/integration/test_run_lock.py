"""One `oversight run` at a time in a home: a second is refused at once, naming the first, and touches nothing; the
lock goes with the process that held it, however that process ends."""
import signal
import subprocess
import sys

from orchestration.files import run_lock
from tests.integration.support import environment, oversight

HOLD = """
import sys, time
from pathlib import Path
from orchestration.files import run_lock
with run_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(600)
"""


def test_a_second_run_in_a_busy_home_is_refused_and_the_lock_dies_with_its_holder(tmp_path):
    home = tmp_path / "home"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(home)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        refused = oversight(environment(home), "run", "--as-at", "2026-12-01", timeout=120)
        assert refused.returncode == 2, refused.stderr
        assert f"another `oversight run` is running in {home} (pid {holder.pid})" in refused.stderr
        assert sorted(p.name for p in home.iterdir()) == [".run.lock"]   # nothing simulated, no Dagster, no log
    finally:
        holder.send_signal(signal.SIGKILL)                               # no clean-up of its own: the system's
        holder.wait(timeout=30)
    with run_lock(home):                                                 # free again
        assert (home / ".run.lock").read_text().startswith("pid ")
