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


def test_validators_say_a_file_is_unchanged_without_its_body(tmp_path):
    """A mirror's file by size and modification time to the nanosecond: the same size rewritten is seen."""
    import os

    from orchestration.fetch import probe
    path = tmp_path / "etr.csv"
    path.write_bytes(BODY)
    fetched = fetch(path.as_uri())
    assert fetched.validators == {"bytes": len(BODY), "mtime_ns": path.stat().st_mtime_ns}
    assert probe(path.as_uri()) == fetched.validators
    stat = path.stat()
    path.write_bytes(BODY.replace(b"RA9", b"RB9"))        # other bytes, the same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    assert probe(path.as_uri()) != fetched.validators
    assert probe((tmp_path / "gone.csv").as_uri()) is None and probe("ftp://example.org/x") is None


def test_a_web_servers_validators_are_trusted_only_where_strong():
    from orchestration.fetch import http_validators
    date = "Tue, 01 Dec 2026 12:00:00 GMT"
    assert http_validators({"ETag": '"abc"', "Date": date}) == {"etag": '"abc"'}
    earlier = {"Last-Modified": "Mon, 30 Nov 2026 09:00:00 GMT", "Date": date, "Content-Length": "10"}
    assert http_validators({**earlier, "ETag": 'W/"weak"'}) == {"last_modified": earlier["Last-Modified"], "bytes": 10}
    # modified in the second it was sent: it may change again within that second (RFC 9110 §8.8.2.2)
    assert http_validators({**earlier, "Last-Modified": date}) is None
    assert http_validators({**earlier, "Content-Encoding": "gzip"}) is None     # the length is not the file's
    assert http_validators({"Last-Modified": earlier["Last-Modified"], "Content-Length": "10"}) is None
    assert http_validators({}) is None


def test_a_web_servers_file_is_probed_with_head(tmp_path):
    """A real server on loopback (http.server answers HEAD with Last-Modified, Content-Length and Date)."""
    import functools
    import os

    from orchestration.fetch import probe
    path = tmp_path / "etr.csv"
    path.write_bytes(BODY)
    os.utime(path, (1_700_000_000, 1_700_000_000))     # published long before it is served
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/etr.csv"
        fetched = fetch(url)
        assert fetched.validators == {"last_modified": "Tue, 14 Nov 2023 22:13:20 GMT", "bytes": len(BODY)}
        assert probe(url) == fetched.validators
        os.utime(path, (1_700_000_100, 1_700_000_100))  # re-published
        assert probe(url) != fetched.validators
        assert probe(url.replace("etr.csv", "missing.csv")) is None
    finally:
        server.shutdown()
        server.server_close()
