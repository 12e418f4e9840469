"""API settings from environment variables (prefix OVERSIGHT_), with safe defaults."""
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OVERSIGHT_", extra="ignore")

    home: Path = Path("data")

    @property
    def serving_path(self) -> Path:
        """The published snapshot. Never the pipeline's warehouse.duckdb."""
        return self.home / "serving" / "oversight.duckdb"

    @property
    def quality_dir(self) -> Path:
        """The pipeline's data-quality log: immutable files, written whether a run succeeds or not."""
        return self.home / "quality"
