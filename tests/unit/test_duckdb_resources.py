"""DuckDB's memory limit and threads: one setting for dbt's build (profiles.yml) and the pipeline's own connections."""
from pathlib import Path

import duckdb
import yaml

from orchestration.settings import DUCKDB_MEMORY_LIMIT, DUCKDB_THREADS, Settings

PROFILES = Path(__file__).resolve().parents[2] / "dbt_project" / "profiles.yml"


def _limit_of(config: dict) -> str:
    with duckdb.connect(config=config) as db:
        return db.execute("SELECT current_setting('memory_limit'), current_setting('threads')").fetchone()


def test_the_connections_open_with_the_configured_limit_and_threads(monkeypatch):
    monkeypatch.delenv("OVERSIGHT_DUCKDB_MEMORY_LIMIT", raising=False)
    monkeypatch.delenv("OVERSIGHT_DUCKDB_THREADS", raising=False)
    assert Settings.from_env().duckdb_config() == {"memory_limit": "2GB", "threads": 2}
    limit, threads = _limit_of(Settings.from_env().duckdb_config())
    assert limit.endswith("GiB") and float(limit.split()[0]) == 1.8 and threads == 2   # 2 GB as DuckDB shows it
    monkeypatch.setenv("OVERSIGHT_DUCKDB_MEMORY_LIMIT", "512MB")
    monkeypatch.setenv("OVERSIGHT_DUCKDB_THREADS", "1")
    limit, threads = _limit_of(Settings.from_env().duckdb_config())
    assert limit.endswith("MiB") and float(limit.split()[0]) == 488.2 and threads == 1


def test_dbt_s_profile_reads_the_same_variables_with_the_same_defaults():
    settings = yaml.safe_load(PROFILES.read_text())["oversight"]["outputs"]["duckdb"]["settings"]
    assert settings == {
        "memory_limit": f"{{{{ env_var('OVERSIGHT_DUCKDB_MEMORY_LIMIT', '{DUCKDB_MEMORY_LIMIT}') }}}}",
        "threads": f"{{{{ env_var('OVERSIGHT_DUCKDB_THREADS', '{DUCKDB_THREADS}') }}}}",
    }
