"""Ingestion over HTTP from a loopback server speaking the published format (ODS ships zips), faults included."""
import functools
import http.server
import threading
import zipfile

import pyarrow.parquet as pq
import pytest

from datetime import date

from orchestration.feeds import ods, pipeline
from orchestration.settings import Settings
from simulator import simulate


class FlakyFeedHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a directory; the first request for each file gets a 503 with Retry-After (a real server's bad day)."""
    seen: set = set()

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path not in self.seen:
            self.seen.add(self.path)
            self.send_response(503)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()


@pytest.fixture
def feed_server(tmp_path):
    root = tmp_path / "mirror"
    simulate("small", 5, root, feeds={"ods"})
    # as published: etr.zip and succ.zip, each holding the CSV
    for name in ("etr", "succ"):
        with zipfile.ZipFile(root / f"ods/{name}.zip", "w") as archive:
            archive.write(root / f"ods/{name}.csv", f"{name}.csv")
    FlakyFeedHandler.seen = set()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(FlakyFeedHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_every_ods_file_ingests_over_http_from_zips(feed_server, tmp_path, monkeypatch):
    root, base = feed_server
    monkeypatch.setenv("OVERSIGHT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OVERSIGHT_FEEDS_URL", base)
    monkeypatch.setenv("OVERSIGHT_ODS_TRUSTS_URL", f"{base}/ods/etr.zip")
    monkeypatch.setenv("OVERSIGHT_ODS_SUCCESSORS_URL", f"{base}/ods/succ.zip")
    run = pipeline.Run(Settings.from_env(), date(2026, 12, 1))
    for feed in ods.FEEDS:  # ICB names first: the trusts are checked against them
        outcome = pipeline.ingest_current(feed, run, pipeline.stored_references(run.settings))
        assert outcome.status == "stored", outcome.reason
        assert outcome.rows_quarantined == 0 and outcome.rows == outcome.rows_valid > 0
        assert outcome.source_url.startswith(base)
    settings = run.settings
    trusts = pq.read_table(pipeline.current_path(settings, ods.TRUSTS))
    expected = (root / "ods/etr.csv").read_text().splitlines()
    assert trusts.num_rows == len(expected)
    # the raw landing holds the zip exactly as served
    [landed] = (settings.raw_dir / "ods/trusts").glob("*.zip")
    assert landed.read_bytes() == (root / "ods/etr.zip").read_bytes()
    # the zip is unpacked by the parser (the one path: check-feed takes the same zip), and the same bytes again
    # are a no-op that says so
    again = pipeline.ingest_current(ods.TRUSTS, run, pipeline.stored_references(settings))
    assert again.status == "unchanged" and again.sha256 == outcome_sha(settings)


def outcome_sha(settings) -> str:
    return pipeline.current_held(settings, ods.TRUSTS)["sha256"]
