"""Secrets: API keys stored hashed, compared in constant time and never in any log; the audit log append-only and
complete (reconciled with the requests made, many at once); the CQC subscription key only from the environment,
never in what is landed nor in an error message."""
from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone
from pathlib import Path

import httpx
import pytest

from api.keys import KEY_PATTERN, KeyStore, Role
from api.settings import Settings
from api.store import AccessDatabase
from tests.api.test_access import entitled
from tests.integration.support import OVERSIGHT, environment, free_port

KEYED = ["national", "commissioner_own", "commissioner_other", "provider_own", "provider_other"]


def _every_file_text(root: Path, leave_out: tuple[Path, ...] = ()) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and not any(p == x for x in leave_out)}


def test_keys_are_stored_hashed_and_compared_in_constant_time(marts, monkeypatch, ledger):
    import api.keys

    database = Settings(home=marts.home).access_db
    stored = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    for label, key in marts.keys.items():
        secret = _secret(key)
        assert secret.encode() not in stored, label
        assert hashlib.sha256(secret.encode()).hexdigest().encode() in stored, label
    with sqlite3.connect(database) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(api_keys)")]
    assert "secret_sha256" in columns and not {"key", "secret"} & set(columns)
    compared = []
    real = api.keys.hmac.compare_digest
    monkeypatch.setattr(api.keys.hmac, "compare_digest", lambda a, b: compared.append((a, b)) or real(a, b))
    store = KeyStore(AccessDatabase(database), lambda: datetime.now(timezone.utc))
    real_id = marts.key_ids["national"]
    for presented in (f"ovk_{'0' * 12}_{'A' * 43}", f"ovk_{real_id}_{'A' * 43}", marts.keys["national"]):
        with pytest.raises(Exception) if presented != marts.keys["national"] else _nothing():
            store.verify(presented)
    # one constant-time comparison per key presented, an unknown id's included (against a fixed digest)
    assert len(compared) == 3 and all(len(a) == len(b) == 64 for a, b in compared)
    ledger.record("hostile API requests", 3, what="keys checked hashed and compared in constant time")


def _secret(key: str) -> str:
    return KEY_PATTERN.fullmatch(key)[2]


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_no_api_key_in_any_log_or_file(marts, tmp_path, ledger):
    """`oversight serve --access-log` as deployed, its output read back with every file of its home: no key is
    there — not the ones sent properly, nor one pasted into a query string or a path."""
    home = marts.new_home(tmp_path / "home")
    store = KeyStore(AccessDatabase(Settings(home=home).access_db), lambda: datetime.now(timezone.utc))
    _, national = store.create(Role.national, None, "logs")
    revoked_record, revoked = store.create(Role.provider, marts.trust, "revoked")
    store.revoke(revoked_record.key_id)
    _, provider = store.create(Role.provider, marts.trust, "own")
    port = free_port()
    log = tmp_path / "serve.log"
    env = environment(home)
    with open(log, "wb") as out:
        server = subprocess.Popen([*OVERSIGHT, "serve", "--port", str(port), "--access-log"], env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}/api/v1"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            sent = 0
            for key in (national, revoked, provider, national[:-3], "ovk_0123456789ab_" + "C" * 43):
                for path, params in ((f"/trusts/{marts.trust}/finance", {}), ("/trusts", {"api_key": key}),
                                     (f"/trusts/{key}/finance", {}), (f"/trusts/{marts.trust}/finance",
                                                                      {"key": key})):
                    httpx.get(base + path, params=params, headers={"Authorization": f"Bearer {key}"}, timeout=30)
                    sent += 1
                httpx.get(base + "/trusts", headers={"Authorization": f"Basic {key}"}, timeout=30)
                httpx.get(base + "/trusts", headers={"Authorization": key}, timeout=30)
                sent += 2
        finally:
            server.terminate()
            server.wait(timeout=20)
    output = log.read_bytes()
    assert b"GET /api/v1/trusts" in output and b"[redacted]" in output        # the log was written, and redacted
    secrets = {_secret(key)[:20] for key in (national, revoked, provider)} | {"C" * 43}
    files = _every_file_text(home)
    files[log] = output
    found = {(str(p), s) for p, content in files.items() for s in secrets if s.encode() in content}
    assert not found, found
    with sqlite3.connect(Settings(home=home).access_db) as db:
        queries = [q for (q,) in db.execute("SELECT path || '?' || query FROM audit_log")]
    assert queries and any("[redacted]" in q for q in queries)
    ledger.record("hostile API requests", sent, what="keys sent, misplaced and refused: none in any log or file")


def _expected(marts, caller: str, trust: str) -> bool:
    return entitled(marts, caller, trust)


def test_the_audit_log_reconciles_with_the_requests_made(marts, ledger):
    """240 requests at once, by every kind of key, to restricted, mixed and public answers: the log gains exactly
    one record per restricted read served — key, organisation, path and query as asked — and nothing else."""
    rng = random.Random(16)
    trusts = (marts.trust, marts.other_trust)
    plan = []
    for n in range(240):
        caller = rng.choice(KEYED)
        trust = rng.choice(trusts)
        kind = rng.choice(["finance", "finance-csv", "public", "refused-format"])
        if kind == "finance":
            plan.append((caller, f"/trusts/{trust}/finance", {"n": str(n)}, trust))
        elif kind == "finance-csv":
            plan.append((caller, f"/trusts/{trust}/finance", {"format": "csv", "n": str(n)}, trust))
        elif kind == "public":
            plan.append((caller, f"/trusts/{trust}/workforce", {"n": str(n)}, None))
        else:
            plan.append((caller, f"/trusts/{trust}/finance", {"format": "xml", "n": str(n)}, None))
    before = marts.last_seq()

    def call(step):
        caller, path, params, _ = step
        return marts.get(path, caller, params=params).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(call, plan))
    expected = Counter()
    for (caller, path, params, trust), status in zip(plan, statuses):
        assert status < 500
        if trust is not None and _expected(marts, caller, trust):
            assert status == 200, (caller, path, status)
            query = "&".join(f"{k}={v}" for k, v in params.items())
            expected[(marts.key_ids[caller], trust, "/api/v1" + path, query)] += 1
        elif trust is not None:
            assert status == 403
    records = marts.audit(after=before)
    got = Counter((r["key_id"], r["organisation"], r["path"], r["query"]) for r in records)
    assert got == expected
    assert len({r["request_id"] for r in records}) == sum(expected.values())
    seqs = [r["seq"] for r in records]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    with sqlite3.connect(Settings(home=marts.home).access_db) as db:   # append-only, whoever writes
        for statement in ("UPDATE audit_log SET organisation = 'X' WHERE seq = ?",
                          "DELETE FROM audit_log WHERE seq = ?"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                db.execute(statement, [seqs[0]])
    ledger.record("requests under load", len(plan), rows_lost=sum(expected.values()) - len(records),
                  what="concurrent requests reconciled with the audit log")


# --- the CQC subscription key ----------------------------------------------------------------------------------

CQC_KEY = "cqc-subscription-" + "9f" * 16


def test_the_cqc_key_comes_from_the_environment_and_is_never_landed_or_told(tmp_path, monkeypatch, ledger):
    from orchestration.feeds import pipeline
    from orchestration.feeds.cqc import API_LOCATIONS
    from orchestration.fetch import FetchError
    from orchestration.settings import Settings as PipelineSettings
    from simulator import simulate
    from simulator.feed_server import API_PREFIX, Faults, make_server, start_in_thread

    mirror = tmp_path / "mirror"
    simulate("small", 5, mirror, feeds={"cqc"})
    servers = [make_server(mirror, api_key=CQC_KEY), make_server(mirror, api_key=CQC_KEY, faults=Faults(error=1.0))]
    bases = [start_in_thread(s) + API_PREFIX for s in servers]
    try:
        for name, value in {"OVERSIGHT_FETCH_BACKOFF_SECONDS": "0", "OVERSIGHT_FETCH_ATTEMPTS": "2"}.items():
            monkeypatch.setenv(name, value)
        home = tmp_path / "home"
        monkeypatch.setenv("OVERSIGHT_CQC_API_URL", bases[0])
        monkeypatch.delenv("OVERSIGHT_CQC_API_KEY", raising=False)
        settings = PipelineSettings(home=home, feeds_url=None)
        assert settings.cqc_api_key is None                       # nowhere but the environment
        messages = []
        with pytest.raises(FetchError) as refused:                # no key: refused, saying where a key comes from
            pipeline.ingest_pull(API_LOCATIONS, "2026-11-01", pipeline.Run(settings, date(2026, 12, 1)),
                                 pipeline.References())
        messages.append(str(refused.value))
        assert "OVERSIGHT_CQC_API_KEY" in messages[-1]
        monkeypatch.setenv("OVERSIGHT_CQC_API_KEY", CQC_KEY[:-1] + "0")   # a wrong key
        with pytest.raises(FetchError) as wrong:
            pipeline.ingest_pull(API_LOCATIONS, "2026-11-02", pipeline.Run(settings, date(2026, 12, 1)),
                                 pipeline.References())
        messages.append(str(wrong.value))
        monkeypatch.setenv("OVERSIGHT_CQC_API_KEY", CQC_KEY)
        outcome = pipeline.ingest_pull(API_LOCATIONS, "2026-11-03", pipeline.Run(settings, date(2026, 12, 1)),
                                       pipeline.References())
        assert outcome.status == "stored", outcome.summary()
        monkeypatch.setenv("OVERSIGHT_CQC_API_URL", bases[1])      # the API down: the error names the URL only
        with pytest.raises(FetchError) as down:
            pipeline.ingest_pull(API_LOCATIONS, "2026-11-04", pipeline.Run(settings, date(2026, 12, 1)),
                                 pipeline.References())
        messages.append(str(down.value))
        messages.append(outcome.summary() + json.dumps(pipeline.outcome_metadata(outcome), default=str))
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    stem = CQC_KEY[:-1]                                            # the right key and the wrong one share it
    assert not [m for m in messages if stem in m], messages
    files = _every_file_text(home)
    assert any("manifest" in p.name for p in files) and any("checkpoint" in p.name for p in files)
    assert not [str(p) for p, content in files.items() if stem.encode() in content]
    ledger.record("hostile API requests", len(messages), what="CQC key: only from the environment, never landed")
