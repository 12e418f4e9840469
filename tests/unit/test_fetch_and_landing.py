"""Pulling feeds over file:// and HTTP (a real server on loopback, with faults), and the raw landing."""
import http.server
import io
import json
import threading
import zipfile
from datetime import datetime, timezone

import pytest

from orchestration.fetch import FetchError, Fetched, fetch
from orchestration.landing import land

BODY = b'"RA9","EXAMPLE NHS TRUST"\n'


class FaultyFeedServer(http.server.ThreadingHTTPServer):
    """Serves BODY at /etr.csv after failing `failures` times in the configured way."""

    def __init__(self, mode: str, failures: int):
        self.mode, self.failures, self.requests = mode, failures, 0
        super().__init__(("127.0.0.1", 0), Handler)


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        server = self.server
        server.requests += 1
        if self.path != "/etr.csv":
            self.send_error(404)
            return
        if server.requests <= server.failures:
            if server.mode == "429":
                self.send_response(429)
                self.send_header("Retry-After", "0")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if server.mode == "503":
                self.send_error(503)
                return
            if server.mode == "truncated":
                self.send_response(200)
                self.send_header("Content-Length", str(len(BODY)))
                self.end_headers()
                self.wfile.write(BODY[:5])
                self.wfile.flush()
                self.connection.close()
                return
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)


@pytest.fixture
def feed_server(request):
    mode, failures = request.param
    server = FaultyFeedServer(mode, failures)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("feed_server", [("429", 2), ("503", 2), ("truncated", 1)], indirect=True)
def test_http_pull_retries_transient_faults_and_gets_the_whole_file(feed_server):
    fetched = fetch(f"http://127.0.0.1:{feed_server.server_port}/etr.csv", backoff_seconds=0.01)
    assert fetched.content == BODY
    assert feed_server.requests == feed_server.failures + 1


@pytest.mark.parametrize("feed_server", [("503", 99)], indirect=True)
def test_http_pull_gives_up_with_a_clear_error(feed_server):
    with pytest.raises(FetchError, match=r"etr.csv: gave up after 3 attempts; last problem: HTTP 503"):
        fetch(f"http://127.0.0.1:{feed_server.server_port}/etr.csv", attempts=3, backoff_seconds=0.01)
    assert feed_server.requests == 3


@pytest.mark.parametrize("feed_server", [("none", 0)], indirect=True)
def test_http_404_is_not_retried(feed_server):
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch(f"http://127.0.0.1:{feed_server.server_port}/missing.csv", backoff_seconds=0.01)
    assert feed_server.requests == 1


def test_file_urls_and_unsupported_schemes(tmp_path):
    path = tmp_path / "etr.csv"
    path.write_bytes(BODY)
    assert fetch(path.as_uri()).content == BODY
    with pytest.raises(FetchError, match="no such file"):
        fetch((tmp_path / "nope.csv").as_uri())
    with pytest.raises(FetchError, match="unsupported scheme 'ftp'"):
        fetch("ftp://example.org/etr.csv")


def test_landing_keeps_bytes_as_received_named_by_hash_and_is_idempotent(tmp_path):
    fetched = Fetched("file:///feeds/ods/etr.csv", BODY, datetime(2026, 1, 1, tzinfo=timezone.utc))
    first = land(tmp_path, "ods", "trusts", fetched)
    second = land(tmp_path, "ods", "trusts", fetched)
    import hashlib
    assert first.sha256 == hashlib.sha256(BODY).hexdigest()
    assert first.path.read_bytes() == BODY and first.path.name == f"{first.sha256}.csv"
    assert not first.already_present and second.already_present and second.path == first.path
    assert len(list((tmp_path / "ods" / "trusts").glob("*.csv"))) == 1
    manifest = [json.loads(line) for line in (tmp_path / "ods/trusts/manifest.jsonl").read_text().splitlines()]
    assert len(manifest) == 2 and manifest[0]["source_url"] == fetched.url and manifest[0]["bytes"] == len(BODY)
