"""The CQC API ingestion asset: a Dagster partition per pull, over HTTP from the feed server with faults on,
storing the same ratings as a pull from the file mirror."""
from datetime import date

import dagster as dg
import pyarrow.compute as pc

from orchestration.feeds import pipeline
from orchestration.feeds.assets import AS_AT_TAG, series_asset
from orchestration.feeds.cqc import API_LOCATIONS as CQC_API_FEED
from orchestration.settings import Settings
from simulator import simulate
from simulator.feed_server import Faults, make_server, start_in_thread

PULL = "2026-10-02"


def _pull(instance, monkeypatch, home, feeds_url):
    monkeypatch.setenv("OVERSIGHT_HOME", str(home))
    monkeypatch.setenv("OVERSIGHT_FEEDS_URL", feeds_url)
    if PULL not in instance.get_dynamic_partitions(CQC_API_FEED.partitions_name):
        instance.add_dynamic_partitions(CQC_API_FEED.partitions_name, [PULL])
    result = dg.materialize([series_asset(CQC_API_FEED)], instance=instance, partition_key=PULL,
                            tags={AS_AT_TAG: PULL})
    store = pipeline.release_store(Settings.from_env(), CQC_API_FEED)
    table = store.known_as_of(date(2100, 1, 1))
    return result, table.drop_columns(["_source_sha256", "_source_row"]).sort_by(
        [(c, "ascending") for c in ("location_id", "source", "level", "service", "domain", "report_date")])


def test_api_pull_over_http_with_faults_stores_what_the_mirror_holds(tmp_path, monkeypatch):
    root = tmp_path / "mirror"
    simulate("small", 12, root, feeds={"cqc"})
    server = make_server(root, faults=Faults(error=0.15, drop=0.05, truncate=0.05, seed=5))
    # a quarter of requests fail: with the default 5 attempts one request in a thousand would still give up, and a
    # pull of hundreds of documents then fails whole (as it should: tests/reliability); here, enough patience
    monkeypatch.setenv("OVERSIGHT_FETCH_ATTEMPTS", "9")
    monkeypatch.setenv("OVERSIGHT_FETCH_BACKOFF_SECONDS", "0.05")
    try:
        base = start_in_thread(server)
        with dg.DagsterInstance.ephemeral() as instance:
            result, over_http = _pull(instance, monkeypatch, tmp_path / "home-http", base)
            assert result.success
            from_mirror = _pull(instance, monkeypatch, tmp_path / "home-file", root.as_uri())[1]
        assert over_http.num_rows == from_mirror.num_rows > 100
        assert over_http.drop_columns(["_release", "_published_on"]).equals(
            from_mirror.drop_columns(["_release", "_published_on"]))
        assert pc.sum(pc.equal(over_http["source"], "historic")).as_py() > 0
        assert server.state.requests > len(list((root / "cqc/api/locations").glob("*.json")))  # retries happened
    finally:
        server.shutdown()
        server.server_close()


def test_the_days_pull_is_asked_for_until_it_is_stored_then_not_again_that_day(tmp_path, monkeypatch):
    from orchestration.feeds.assets import wanted_keys

    root = tmp_path / "mirror"
    simulate("small", 12, root, feeds={"cqc"})
    home = tmp_path / "home"
    monkeypatch.setenv("OVERSIGHT_HOME", str(home))
    monkeypatch.setenv("OVERSIGHT_FEEDS_URL", root.as_uri())
    day = date.fromisoformat(PULL)
    with dg.DagsterInstance.ephemeral() as instance:
        before = wanted_keys(CQC_API_FEED, Settings.from_env(), day, set())
        assert (before.keys, before.new, before.held) == ([PULL], [PULL], 0)
        instance.add_dynamic_partitions(CQC_API_FEED.partitions_name, [PULL])
        # known as a partition, but no pull stored (a pull cut short stores nothing): asked for again
        assert wanted_keys(CQC_API_FEED, Settings.from_env(), day, {PULL}).keys == [PULL]
        result, stored = _pull(instance, monkeypatch, home, root.as_uri())
        assert result.success and stored.num_rows > 100
        after = wanted_keys(CQC_API_FEED, Settings.from_env(), day, {PULL})
        assert (after.keys, after.new, after.held) == ([], [], 1)
        # the next day's pull is new again
        assert wanted_keys(CQC_API_FEED, Settings.from_env(), date(2026, 10, 3), {PULL}).keys == ["2026-10-03"]
