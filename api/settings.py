"""API settings from environment variables (prefix OVERSIGHT_), with safe defaults."""
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OVERSIGHT_", extra="ignore")

    home: Path = Path("data")
    # Public data without a key (OVERSIGHT_API_ANONYMOUS=false: every request needs a key). Restricted data always does.
    api_anonymous: bool = True
    # Requests per minute per key (anonymous callers: per client address); 0 switches the limit off.
    api_rate_limit: int = 1200
    api_rate_burst: int = 200
    # Worker processes serving (set by `oversight serve --workers N`): each enforces its share of the rate limit.
    api_workers: int = 1
    # Responses kept per worker, per snapshot (the snapshot never changes, so each is computed once).
    api_cache_mb: int = 256
    # A figure computed from restricted data of fewer trusts than this is restricted itself (DOMAIN.md: nothing
    # restricted leaks through an aggregate of one trust; two would let one of them read the other's).
    api_restricted_aggregate_min_trusts: int = 3

    @property
    def serving_path(self) -> Path:
        """The published snapshot. Never the pipeline's warehouse.duckdb."""
        return self.home / "serving" / "oversight.duckdb"

    @property
    def quality_dir(self) -> Path:
        """The pipeline's data-quality log: immutable files, written whether a run succeeds or not."""
        return self.home / "quality"

    @property
    def access_db(self) -> Path:
        """API keys and the audit log: an SQLite database of the API's own, never inside the read-only snapshot."""
        return self.home / "access" / "access.sqlite"
