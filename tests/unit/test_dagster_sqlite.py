"""The local Dagster instance's SQLite files: `PRAGMA synchronous` as OVERSIGHT_DAGSTER_SQLITE_SYNC says, on every
connection SQLAlchemy opens in the process (Dagster opens one per event), and a value it does not know refused."""
import pytest
import sqlalchemy

from orchestration import launch
from orchestration.feeds.pipeline import unchanged_summary
from orchestration.feeds.catalog import SERIES
from orchestration.settings import Settings


def _synchronous(path) -> int:
    engine = sqlalchemy.create_engine(f"sqlite:///{path}", poolclass=sqlalchemy.pool.NullPool)
    with engine.connect() as connection:
        value = connection.execute(sqlalchemy.text("PRAGMA synchronous")).scalar()
    engine.dispose()
    return value


def test_every_sqlite_connection_gets_the_configured_synchronous_mode(tmp_path, monkeypatch):
    try:
        for mode, number in (("OFF", 0), ("NORMAL", 1), ("FULL", 2)):
            monkeypatch.setenv("OVERSIGHT_DAGSTER_SQLITE_SYNC", mode.lower())
            launch.sqlite_synchronous(Settings.from_env().dagster_sqlite_synchronous)
            assert _synchronous(tmp_path / "events.db") == number
    finally:
        launch.sqlite_synchronous("FULL")     # SQLite's own default, for the rest of this process


def test_an_unknown_mode_is_refused(monkeypatch):
    monkeypatch.setenv("OVERSIGHT_DAGSTER_SQLITE_SYNC", "sometimes")
    with pytest.raises(ValueError, match="OVERSIGHT_DAGSTER_SQLITE_SYNC='SOMETIMES': expected OFF, NORMAL or FULL"):
        Settings.from_env().dagster_sqlite_synchronous


def test_unchanged_releases_are_one_line():
    feed = SERIES["sickness-absence"]
    assert unchanged_summary(feed, ["2026-06", "2026-04", "2026-05"]) == \
        "sickness-absence: 3 releases unchanged (2026-04 … 2026-06; the same bytes as stored)"
