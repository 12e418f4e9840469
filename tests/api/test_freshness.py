"""GET /freshness over the session's real pipeline run: one row per feed the platform knows, its newest release with
the dates the release store holds for it, and the same rows as an export."""
import io

import pyarrow.csv as pacsv

from orchestration.feeds import pipeline as ingestion
from orchestration.feeds.catalog import CURRENT_FILES, FEEDS, SERIES
from orchestration.settings import Settings


def test_every_feed_is_listed_with_its_newest_release_as_stored(marts, pipeline):
    body = marts.get("/freshness", params={"limit": 1000}).json()
    rows = {r["feed"]: r for r in body["items"]}
    assert set(rows) == set(FEEDS) and body["total"] == len(FEEDS)
    assert body["snapshot"]["id"]
    settings = Settings(home=pipeline["home"], feeds_url=None)
    for kind, feed in SERIES.items():
        held = ingestion.release_store(settings, feed).state()
        row = rows[kind]
        assert row["releases_held"] == len(held) > 0 and row["status"] == "held", kind
        newest = max(held.values(), key=lambda r: (r.published_on, r.key))
        assert (row["latest_release"], row["latest_published_on"], row["latest_received_on"]) == \
            (newest.key, newest.published_on.isoformat(), newest.received_on.isoformat()), kind
        assert row["restricted"] is feed.restricted and row["asset"] == feed.asset
    for kind, feed in CURRENT_FILES.items():
        held = ingestion.current_held(settings, feed)
        assert rows[kind]["latest_file"] == held["file"] and rows[kind]["releases_held"] == 1
    csv = marts.get("/freshness", params={"format": "csv"})
    assert csv.status_code == 200
    exported = pacsv.read_csv(io.BytesIO(csv.content)).to_pylist()
    assert [r["feed"] for r in exported] == [r["feed"] for r in body["items"]]
