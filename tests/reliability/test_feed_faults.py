"""Feed faults and hostile feeds, through the real ingestion pipeline and the loopback feed server.

A pull through faults ends with exactly the rows of a clean pull, or fails after its retries with one message and
nothing stored; a hostile file (a release index naming paths outside its folder, a zip bomb, gigabytes where
kilobytes were expected, an HTML login page answered with 200) is refused with one message, nothing written outside
the home. Expectations (the GX suite) are the pipeline's own: the fault is in the bytes' journey, not in the rules.
"""
from __future__ import annotations

import io
import json
import threading
import zipfile
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow as pa
import pytest

from orchestration.feeds import ods, pipeline
from orchestration.feeds.store import UnsafeName
from orchestration.feeds.workforce import SICKNESS
from orchestration.fetch import FetchError
from orchestration.settings import Settings
from simulator import simulate
from simulator.feed_server import Faults, make_server, start_in_thread

AS_AT = date(2026, 12, 1)
KEY = "2026-05"            # the release the failure and hostile tests pull
KEYS = ("2026-05", "2026-06")   # the releases a fault test pulls (with the index: three requests at least)
FAST = {"OVERSIGHT_FETCH_BACKOFF_SECONDS": "0", "OVERSIGHT_FETCH_ATTEMPTS": "12",
        "OVERSIGHT_FETCH_TIMEOUT_SECONDS": "0.4", "OVERSIGHT_FETCH_DEADLINE_SECONDS": "5"}


@pytest.fixture(scope="module")
def mirror(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("mirror")
    simulate("small", 3, root, feeds={"sickness"})
    return root


@pytest.fixture
def serve(mirror):
    servers = []

    def start(root: Path = mirror, **faults) -> tuple[str, object]:
        server = make_server(root, faults=Faults(seed=11, **faults))
        servers.append(server)
        return start_in_thread(server), server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _ingest(home: Path, feeds_url: str, monkeypatch, key: str = KEY, **environment) -> pipeline.Outcome:
    for name, value in {**FAST, **environment}.items():
        monkeypatch.setenv(name, value)
    settings = Settings(home=home, feeds_url=feeds_url)
    run = pipeline.Run(settings, AS_AT)
    return pipeline.ingest_release(SICKNESS, key, run, pipeline.References())


def _stored_rows(home: Path) -> pa.Table:
    store = pipeline.release_store(Settings(home=home, feeds_url=None), SICKNESS)
    table = store.known_as_of(date(2100, 1, 1)).drop_columns(["_received_on"])
    return table.sort_by([(c, "ascending") for c in ("org_code", "month_end")])


@pytest.fixture(scope="module")
def clean(mirror, tmp_path_factory) -> pa.Table:
    """The rows of a clean pull, from the mirror's files directly."""
    home = tmp_path_factory.mktemp("clean-home")
    with pytest.MonkeyPatch.context() as monkeypatch:
        for key in KEYS:
            outcome = _ingest(home, mirror.as_uri(), monkeypatch, key)
            assert outcome.status == "stored", outcome.summary()
    return _stored_rows(home)


FAULTS = {  # kind → the faults switched on (a share of every request) and what the test server is told
    "5xx": dict(error=0.5),
    "429 Retry-After": dict(throttle=0.3, retry_after_seconds=1),
    "timeout": dict(slow=0.4, slow_seconds=0.8),
    "dropped connection": dict(drop=0.5),
    "truncated body": dict(truncate=0.5),
    "slow drip": dict(drip=0.5, drip_bytes=512, drip_seconds=0.15),   # ~1.2 s a body: past the deadline below
    "all at once": dict(error=0.15, throttle=0.1, drop=0.1, truncate=0.1, slow=0.1, slow_seconds=0.8),
}


@pytest.mark.parametrize("kind", FAULTS)
def test_a_pull_through_faults_stores_exactly_the_rows_of_a_clean_pull(kind, serve, clean, tmp_path, monkeypatch,
                                                                       ledger):
    base, server = serve(**FAULTS[kind])
    deadline = {"OVERSIGHT_FETCH_DEADLINE_SECONDS": "0.6"} if kind == "slow drip" else {}
    for key in KEYS:
        outcome = _ingest(tmp_path / "home", base, monkeypatch, key, **deadline)
        assert outcome.status == "stored", outcome.summary()
    injected = sum(server.state.injected.values())
    assert injected > 0, "the server must have injected faults"
    stored = _stored_rows(tmp_path / "home")
    assert stored.equals(clean), "the rows stored through faults differ from a clean pull's"
    ledger.record("faults injected", injected, rows_lost=clean.num_rows - stored.num_rows,
                  what="5xx, 429 with Retry-After, timeouts, dropped connections, truncated bodies, slow drip")


@pytest.mark.parametrize("kind,faults,message", [
    ("every answer 503", dict(error=1.0), r"gave up after 3 attempts; last problem: HTTP 503"),
    ("every answer dropped", dict(drop=1.0), r"gave up after 3 attempts; last problem: RemoteProtocolError"),
    ("every body dripped past the deadline", dict(drip=1.0, drip_bytes=64, drip_seconds=0.3),
     r"gave up after 3 attempts; last problem: (too slow|ReadTimeout)"),
])
def test_a_pull_that_never_succeeds_fails_clearly_and_stores_nothing(kind, faults, message, serve, mirror, tmp_path,
                                                                      monkeypatch, ledger):
    home = tmp_path / "home"
    base, server = serve(**faults)
    with pytest.raises(FetchError, match=message) as failed:
        _ingest(home, base, monkeypatch, OVERSIGHT_FETCH_ATTEMPTS="3", OVERSIGHT_FETCH_DEADLINE_SECONDS="0.5")
    assert base in str(failed.value) and "\n" not in str(failed.value)   # one line, naming what was pulled
    store = pipeline.release_store(Settings(home=home, feeds_url=None), SICKNESS)
    assert store.state() == {} and not list(store.root.glob("*.parquet")) if store.root.exists() else True
    assert not (home / "raw").exists() or not any(p.is_file() and not p.name.endswith(".jsonl")
                                                 for p in (home / "raw").rglob("*"))
    # the fault passes: the next run pulls the release whole
    ok, _ = serve()
    assert _ingest(home, ok, monkeypatch).status == "stored"
    ledger.record("faults injected", sum(server.state.injected.values()),
                  what="pulls that never succeed: one error after the retries, nothing stored")


def test_a_retry_after_longer_than_a_pull_waits_is_not_waited_for(serve, tmp_path, monkeypatch, ledger):
    base, server = serve(throttle=1.0, retry_after_seconds=3600)
    with pytest.raises(FetchError, match="asked to retry after 3600 s, longer than the 60 s a pull waits"):
        _ingest(tmp_path / "home", base, monkeypatch, OVERSIGHT_FETCH_MAX_WAIT_SECONDS="60")
    assert server.state.requests == 1
    ledger.record("faults injected", 1, what="a Retry-After of an hour: refused at once, not waited for")


# --- hostile feeds ---------------------------------------------------------------------------------------------

def _one_message(reason: str) -> bool:
    """A refusal is its headline and one whole-file error under it (report.FeedRejected's layout)."""
    return reason.count("\n  - ") == 1 and "1 errors" in reason.splitlines()[0]


def _outside(tmp_path: Path, home: Path) -> set[Path]:
    return {p for p in tmp_path.rglob("*") if home not in p.parents and p != home}


def _hostile_mirror(mirror: Path, tmp_path: Path, releases: list[dict]) -> Path:
    root = tmp_path / "hostile"
    folder = root / SICKNESS.mirror_dir
    folder.mkdir(parents=True)
    for f in (mirror / SICKNESS.mirror_dir).glob("*.csv"):
        (folder / f.name).write_bytes(f.read_bytes())
    (folder / "releases.json").write_text(json.dumps({"releases": releases}))
    return root


@pytest.mark.parametrize("file", ["../../../escaped.csv", "/etc/passwd", "..", "file:///etc/passwd",
                                  "sub/../../escaped.csv", "..\\..\\escaped.csv", ".hidden.csv"])
def test_a_release_index_naming_a_path_outside_its_folder_is_refused(file, mirror, serve, tmp_path, monkeypatch,
                                                                     ledger):
    home = tmp_path / "home"
    root = _hostile_mirror(mirror, tmp_path, [{"release": KEY, "file": file, "published": "2026-06-20"}])
    before = _outside(tmp_path, home)
    for url in (root.as_uri(), serve(root)[0]):
        with pytest.raises(UnsafeName, match="is not a plain file name|is empty") as refused:
            _ingest(home, url, monkeypatch)
        assert "\n" not in str(refused.value) and "releases.json" in str(refused.value)
    assert _outside(tmp_path, home) == before and not (tmp_path / "escaped.csv").exists()
    assert not (home / "parquet").exists()
    ledger.record("hostile files", 2, what="release index naming ../ or absolute paths")


def test_a_release_key_that_is_a_path_is_refused(mirror, tmp_path, monkeypatch, ledger):
    root = _hostile_mirror(mirror, tmp_path, [{"release": "../../2026-05", "file": "nhs_sickness_absence_2026-05.csv",
                                               "published": "2026-06-20"}])
    with pytest.raises(UnsafeName, match="is not a plain key"):
        _ingest(tmp_path / "home", root.as_uri(), monkeypatch, key="../../2026-05")
    assert not (tmp_path / "home" / "parquet").exists()
    ledger.record("hostile files", 1, what="release key naming a path")


def _zip_bomb(unpacked: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("etr.csv", "w", force_zip64=True) as member:
            block = b"\0" * (1 << 20)
            for _ in range(unpacked >> 20):
                member.write(block)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path, serve, monkeypatch, ledger):
    home = tmp_path / "home"
    site = tmp_path / "site" / "ods"
    site.mkdir(parents=True)
    bomb = _zip_bomb(64 << 20)          # 64 MB of zeros in ~64 kB; the trusts' file may be 16 MB
    assert len(bomb) < 200_000
    (site / "etr.zip").write_bytes(bomb)
    base, _ = serve(tmp_path / "site")
    monkeypatch.setenv("OVERSIGHT_ODS_TRUSTS_URL", f"{base}/ods/etr.zip")
    for name, value in FAST.items():
        monkeypatch.setenv(name, value)
    settings = Settings(home=home, feeds_url=None)
    outcome = pipeline.ingest_current(ods.TRUSTS, pipeline.Run(settings, AS_AT), pipeline.References())
    assert outcome.refused and "zip bomb" in outcome.reason and "refused before unpacking" in outcome.reason
    assert _one_message(outcome.reason)
    assert not pipeline.current_path(settings, ods.TRUSTS).exists()
    assert _outside(tmp_path, home) == {tmp_path / "site", site, site / "etr.zip"}
    ledger.record("hostile files", 1, what="zip bomb (64 MB of zeros in a 64 kB zip)")


class _Announcing(BaseHTTPRequestHandler):
    """Announces 4 GB (Content-Length) and streams zeros for as long as the client reads."""
    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(4 << 30))
        self.end_headers()
        try:
            for _ in range(4096):
                self.wfile.write(b"\0" * (1 << 20))
        except OSError:
            pass

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("how", ["no Content-Length", "an honest Content-Length"])
def test_gigabytes_where_kilobytes_were_expected_are_refused_unread(how, serve, tmp_path, monkeypatch, ledger):
    """The server sends 4 GB; the pull stops at the feed's limit (1 MB here, for the ICB names' 42 rows) and
    lands nothing."""
    home = tmp_path / "home"
    if how == "no Content-Length":
        site = tmp_path / "site" / "ons"
        site.mkdir(parents=True)
        (site / "icb_names_codes.csv").write_text("ICB24CD,ICB24CDH,ICB24NM,ObjectId\n" + "E54000001,QYG,X,1\n" * 10)
        base, server = serve(tmp_path / "site", flood=1.0)
    else:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Announcing)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("OVERSIGHT_ICB_NAMES_URL", f"{base}/ons/icb_names_codes.csv")
    for name, value in FAST.items():
        monkeypatch.setenv(name, value)
    settings = Settings(home=home, feeds_url=None)
    try:
        outcome = pipeline.ingest_current(ods.ICB_NAMES, pipeline.Run(settings, AS_AT), pipeline.References())
    finally:
        if how != "no Content-Length":
            server.shutdown()
            server.server_close()
    assert outcome.refused and "[too_large]" in outcome.reason and "1.0 MB" in outcome.reason, outcome.reason
    assert "\n" not in outcome.reason
    if how == "no Content-Length":
        assert server.state.requests == 1          # not retried
    assert not (home / "raw").exists() and not pipeline.current_path(settings, ods.ICB_NAMES).exists()
    ledger.record("hostile files", 1, what="4 GB where kilobytes were expected (size cap)")


LOGIN_PAGE = b"""<!DOCTYPE html><html><head><title>Sign in - NHS Digital</title></head>
<body><form method="post" action="/login"><input name="username"><input type="password" name="password">
<button>Sign in</button></form></body></html>"""


def test_an_html_login_page_with_status_200_is_refused(mirror, serve, tmp_path, monkeypatch, ledger):
    home = tmp_path / "home"
    root = _hostile_mirror(mirror, tmp_path, [{"release": KEY, "file": "nhs_sickness_absence_2026-05.csv",
                                               "published": "2026-06-20"}])
    (root / SICKNESS.mirror_dir / "nhs_sickness_absence_2026-05.csv").write_bytes(LOGIN_PAGE)
    base, _ = serve(root)
    outcome = _ingest(home, base, monkeypatch)
    assert outcome.refused, outcome.summary()
    assert "HTML" in outcome.reason and "nhs_sickness_absence_2026-05.csv" in outcome.reason
    assert _one_message(outcome.reason)
    store = pipeline.release_store(Settings(home=home, feeds_url=None), SICKNESS)
    assert store.state() == {}
    ledger.record("hostile files", 1, what="an HTML login page with status 200")
