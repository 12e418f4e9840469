"""Real dbt on DuckDB for the model tests: run a dbt command in a home (`run_dbt`), or run SQL with the project's
macros and return its rows (`dbt show --inline`)."""
import json
import os
import subprocess
import sys
from pathlib import Path

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"


def dbt_show(inline: str, home: Path, seeds: tuple[str, ...] = ()) -> list[dict]:
    env = dict(os.environ, OVERSIGHT_HOME=str(home), DBT_SEND_ANONYMOUS_USAGE_STATS="False")
    dbt = str(Path(sys.executable).parent / "dbt")
    if seeds:  # the configuration tables the SQL reads (methodology seeds)
        loaded = subprocess.run([dbt, "seed", "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
                                 "--quiet", "--select", *seeds], capture_output=True, text=True, env=env,
                                cwd=DBT_PROJECT, timeout=300)
        assert loaded.returncode == 0, loaded.stdout[-2000:] + loaded.stderr[-2000:]
    proc = subprocess.run([dbt, "show", "--project-dir", str(DBT_PROJECT),
                           "--profiles-dir", str(DBT_PROJECT), "--output", "json", "--limit", "10000", "--quiet",
                           "--inline", inline], capture_output=True, text=True, env=env, cwd=DBT_PROJECT, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return json.loads(proc.stdout[proc.stdout.index("{"):])["show"]


def run_dbt(home: Path, *args: str) -> None:
    """`dbt ARGS` on the project with OVERSIGHT_HOME=home; fails the test with dbt's output if dbt fails."""
    env = dict(os.environ, OVERSIGHT_HOME=str(home), DBT_SEND_ANONYMOUS_USAGE_STATS="False")
    dbt = str(Path(sys.executable).parent / "dbt")
    proc = subprocess.run([dbt, *args, "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT)],
                          capture_output=True, text=True, env=env, cwd=DBT_PROJECT, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
