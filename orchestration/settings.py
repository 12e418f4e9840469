"""Configuration from environment variables, with safe defaults.

One home for data: OVERSIGHT_HOME (default ./data) holds the feeds, the raw landing, the Parquet files,
the DuckDB warehouse the pipeline writes, and the serving snapshot the API reads.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# DuckDB's defaults here; profiles.yml repeats them for dbt (it cannot import this module).
DUCKDB_MEMORY_LIMIT = "2GB"
DUCKDB_THREADS = 2


@dataclass(frozen=True)
class Settings:
    home: Path
    feeds_url: str | None

    @classmethod
    def from_env(cls) -> "Settings":
        home = Path(os.environ.get("OVERSIGHT_HOME", "data")).expanduser().resolve()
        feeds_url = os.environ.get("OVERSIGHT_FEEDS_URL") or None
        return cls(home=home, feeds_url=feeds_url)

    # --- where things live under the home -------------------------------------------------------
    @property
    def feeds_dir(self) -> Path:  # simulated feeds, when no feed location is configured
        return self.home / "feeds"

    @property
    def raw_dir(self) -> Path:  # bytes exactly as received, named by content hash
        return self.home / "raw"

    @property
    def parquet_dir(self) -> Path:
        return self.home / "parquet"

    @property
    def quarantine_dir(self) -> Path:  # rows that failed, with their reason
        return self.home / "quarantine"

    @property
    def quality_dir(self) -> Path:  # the data-quality log: every ingestion outcome and check evaluation
        return self.home / "quality"

    @property
    def gx_root(self) -> Path:  # the Great Expectations project: stored validation results and Data Docs
        return self.home / "gx"

    @property
    def warehouse_path(self) -> Path:  # the file dbt writes; the API never opens it
        return self.home / "warehouse.duckdb"

    @property
    def serving_path(self) -> Path:  # the published snapshot the API reads, swapped in atomically
        return self.home / "serving" / "oversight.duckdb"

    @property
    def engine(self):
        """The engine that builds the models (OVERSIGHT_ENGINE: duckdb, the default, or spark)."""
        from orchestration.engine import Engine
        return Engine.from_env(self.home)

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    def patience(self, max_bytes: int):
        """How every pull is retried and bounded (orchestration/fetch.py `Patience`: OVERSIGHT_FETCH_ATTEMPTS,
        _BACKOFF_SECONDS, _TIMEOUT_SECONDS, _DEADLINE_SECONDS, _MAX_WAIT_SECONDS), for a file of at most
        `max_bytes` (its feed's declared limit)."""
        from orchestration.fetch import Patience
        return Patience.from_env().limited(max_bytes)

    def feed_url(self, feed) -> str:
        """The URL a current file (feeds.spec.CurrentFile) is pulled from: its own variable (e.g.
        OVERSIGHT_ODS_TRUSTS_URL), else the mirror, else the publisher's address."""
        override = os.environ.get(feed.url_variable)
        if override:
            return override
        if self.feeds_url:
            return self.feeds_url.rstrip("/") + "/" + feed.mirror_path
        return feed.production_url

    def release_index_url(self, feed) -> str:
        """Where a series of releases (feeds.spec.ReleaseSeries) is listed (releases.json): its own variable
        (OVERSIGHT_<KIND>_INDEX_URL), else the mirror.

        The public publishers have no machine-readable list of their monthly files, so production needs
        either a mirror (OVERSIGHT_FEEDS_URL) or an index per feed."""
        override = os.environ.get(feed.index_variable)
        if override:
            return override
        if self.feeds_url:
            return self.feeds_url.rstrip("/") + f"/{feed.mirror_dir}/releases.json"
        raise LookupError(f"no release index for {feed.kind}: set {feed.index_variable} or OVERSIGHT_FEEDS_URL "
                          "(a feed mirror)")

    @property
    def feeds_configured(self) -> bool:
        """A mirror or at least one file's own address is set (else `oversight run` simulates a mirror)."""
        from orchestration.feeds.catalog import CURRENT_FILES
        return bool(self.feeds_url or any(os.environ.get(f.url_variable) for f in CURRENT_FILES.values()))

    def cqc_api_url(self) -> str:
        """The CQC public API: OVERSIGHT_CQC_API_URL, else the feed mirror (the feed server speaks the API at
        /public/v1; a file:// mirror holds the documents under cqc/api), else the production address."""
        if os.environ.get("OVERSIGHT_CQC_API_URL"):
            return os.environ["OVERSIGHT_CQC_API_URL"]
        if self.feeds_url:
            base = self.feeds_url.rstrip("/")
            return f"{base}/cqc/api" if base.startswith("file:") else f"{base}/public/v1"
        return "https://api.service.cqc.org.uk/public/v1"

    def cqc_api_available(self) -> bool:
        """Whether there is a CQC API to pull: a mirror that holds its documents, or an API with a key. A deployment
        without it (FEEDS.md §6) has no pull, and says so, rather than a refused one."""
        from urllib.parse import unquote, urlparse
        url = self.cqc_api_url()
        if url.startswith("file:"):
            return (Path(unquote(urlparse(url).path)) / "locations").is_dir()
        return self.cqc_api_key is not None or bool(os.environ.get("OVERSIGHT_CQC_API_URL"))

    @property
    def cqc_api_key(self) -> str | None:  # a secret: from the environment only, never in git
        return os.environ.get("OVERSIGHT_CQC_API_KEY") or ("demo-key" if self.feeds_url else None)

    # --- the models' variables -------------------------------------------------------------------------------
    @property
    def report_months_max(self) -> int | None:
        """OVERSIGHT_REPORT_MONTHS_MAX: the reporting grid spans at most this many months (dbt var
        `report_months_max`); unset, dbt_project.yml's default (240, back past the CQC history's 2014). A home whose
        readers need only recent months builds quicker with fewer: every trust-month of the grid is built."""
        value = os.environ.get("OVERSIGHT_REPORT_MONTHS_MAX")
        if not value:
            return None
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"OVERSIGHT_REPORT_MONTHS_MAX must be a whole number of months, at least 1: {value!r}")
        return int(value)

    # --- DuckDB's resources: dbt's build (profiles.yml reads the same variables) and the publication -----------
    @property
    def duckdb_memory_limit(self) -> str:
        """OVERSIGHT_DUCKDB_MEMORY_LIMIT (default 2GB): DuckDB spills to disk beyond it instead of taking 80% of the
        machine's memory, its own default. It bounds DuckDB's buffers, not the process: dbt's build of England's whole
        history peaked at 4.4 GB resident with it (the bare SQL baseline, without it, at 9.4 GB)."""
        return os.environ.get("OVERSIGHT_DUCKDB_MEMORY_LIMIT") or DUCKDB_MEMORY_LIMIT

    @property
    def duckdb_threads(self) -> int:
        """OVERSIGHT_DUCKDB_THREADS (default 2, this machine's cores): DuckDB's threads in each connection."""
        return int(os.environ.get("OVERSIGHT_DUCKDB_THREADS") or DUCKDB_THREADS)

    @property
    def dagster_sqlite_synchronous(self) -> str:
        """OVERSIGHT_DAGSTER_SQLITE_SYNC (default OFF; NORMAL or FULL, SQLite's own default): how the local Dagster
        instance's SQLite files wait for the disk. Dagster commits every event on its own (a no-op run writes
        hundreds), and waiting for each to reach the disk was a third of a no-op's time on a loaded machine. OFF is
        safe against the process being killed (the operating system still writes what was committed); a power cut or
        an operating-system crash can damage the instance's run history (SQLite's own warning), never the stored
        releases or the published snapshot, which are the pipeline's own files. A Dagster on Postgres (README,
        beyond one machine) is not affected."""
        value = (os.environ.get("OVERSIGHT_DAGSTER_SQLITE_SYNC") or "OFF").upper()
        if value not in ("OFF", "NORMAL", "FULL"):
            raise ValueError(f"OVERSIGHT_DAGSTER_SQLITE_SYNC={value!r}: expected OFF, NORMAL or FULL")
        return value

    def duckdb_config(self) -> dict[str, str | int]:
        """The configuration every DuckDB connection of the pipeline opens with (`duckdb.connect(config=...)`)."""
        return {"memory_limit": self.duckdb_memory_limit, "threads": self.duckdb_threads}

    def export(self) -> None:
        """Make the resolved home visible to child processes (dbt reads it in profiles.yml)."""
        os.environ["OVERSIGHT_HOME"] = str(self.home)
