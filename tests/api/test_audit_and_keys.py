"""The audit log and the keys: one record per restricted read, unchangeable through the API (and refused by the
database itself); `oversight keys` creates (printed once, stored hashed), lists and revokes; several API workers
share the key store and the log without losing a record."""
import concurrent.futures
import hashlib
import sqlite3

import httpx
import pytest

from api.keys import KEY_PATTERN
from api.settings import Settings
from tests.integration.support import environment, oversight, serving

PROBLEM = "application/problem+json"


def test_one_record_per_restricted_read(marts):
    before = marts.audit()
    path = f"/trusts/{marts.trust}/finance"
    for _ in range(3):
        assert marts.get(path, "provider_own").status_code == 200
    assert marts.get(f"/trusts/{marts.trust}", "provider_own").status_code == 200      # scorecard: one more
    assert marts.get("/trusts", "provider_own").status_code == 200                     # public: none
    assert marts.get(f"/trusts/{marts.other_trust}/finance", "provider_own").status_code == 403   # refused: none
    records = marts.audit()[len(before):]
    assert [(r["organisation"], r["path"]) for r in records] == [(marts.trust, "/api/v1" + path)] * 3 + [
        (marts.trust, f"/api/v1/trusts/{marts.trust}")]
    assert len({r["request_id"] for r in records}) == 4
    assert all(r["key_id"] == marts.key_ids["provider_own"] and r["role"] == "provider"
               and r["key_org"] == marts.trust and r["snapshot"] for r in records)
    assert records[0]["resource"] == "in-year finance return"
    assert set(records[3]["resource"].split("; ")) == {"in-year finance return",
                                                       "failure-scale criterion values (in-year finance return)"}


def test_the_audit_log_is_read_by_national_keys_only(marts):
    marts.get(f"/trusts/{marts.trust}/finance", "commissioner_own")
    everything = marts.get("/audit", "national", params={"limit": 1000}).json()
    assert [r["seq"] for r in everything["items"]] == [r["seq"] for r in marts.audit()]
    mine = marts.get("/audit", "national", params={"key_id": marts.key_ids["commissioner_own"],
                                                   "organisation": marts.trust.lower()}).json()["items"]
    assert mine and all(r["key_id"] == marts.key_ids["commissioner_own"] and r["organisation"] == marts.trust
                        for r in mine)
    assert marts.get("/audit", "national", params={"since": "2999-01-01T00:00:00Z"}).json()["items"] == []
    for caller in ("commissioner_own", "provider_own"):
        assert marts.get("/audit", caller).status_code == 403
    assert marts.get("/audit").status_code == 401
    assert marts.get("/audit", "national", params={"format": "csv"}).headers["content-type"].startswith("text/csv")


def test_the_audit_log_cannot_be_changed_through_the_api(marts):
    marts.get(f"/trusts/{marts.trust}/finance", "national")
    before = marts.audit()
    national = {"Authorization": f"Bearer {marts.keys['national']}"}
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for path in ("/audit", f"/audit/{before[-1]['seq']}", f"/trusts/{marts.trust}/finance"):
            response = marts.api.request(method, path, headers=national, json=before[-1])
            assert response.status_code in (404, 405), (method, path)
            assert response.headers["content-type"].startswith(PROBLEM)
    injected = marts.get("/audit", "national", params={"organisation": "X'; DELETE FROM audit_log; --"})
    assert injected.status_code == 200 and injected.json()["items"] == []
    assert marts.audit() == before


def test_the_database_refuses_to_change_the_log_or_delete_keys(marts):
    with sqlite3.connect(Settings(home=marts.home).access_db) as db:
        for statement in ("UPDATE audit_log SET organisation = 'RXX'", "DELETE FROM audit_log",
                          "DELETE FROM api_keys", "UPDATE api_keys SET role = 'national'",
                          f"UPDATE api_keys SET revoked_at = NULL WHERE key_id = '{marts.key_ids['revoked']}'"):
            with pytest.raises(sqlite3.IntegrityError):
                db.execute(statement)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_keys_from_the_command_line(marts, tmp_path):
    home = marts.new_home(tmp_path / "home")
    env = environment(home)
    created = oversight(env, "keys", "create", "--role", "provider", "--org", marts.trust.lower(), "--name", "trust BI")
    assert created.returncode == 0, created.stderr
    lines = created.stdout.strip().splitlines()
    key = lines[-1]
    assert KEY_PATTERN.fullmatch(key) and key not in "\n".join(lines[:-1])
    key_id, secret = KEY_PATTERN.fullmatch(key).groups()
    with sqlite3.connect(Settings(home=home).access_db) as db:
        stored = db.execute("SELECT * FROM api_keys").fetchall()
    assert key not in repr(stored) and secret not in repr(stored)
    assert [row[1] for row in stored] == [hashlib.sha256(secret.encode()).hexdigest()]

    listed = oversight(env, "keys", "list")
    assert listed.returncode == 0 and key_id in listed.stdout and "provider" in listed.stdout
    assert marts.trust in listed.stdout and "trust BI" in listed.stdout and secret not in listed.stdout

    from tests.api.support import ServerThread
    with ServerThread(home) as api:
        headers = {"Authorization": f"Bearer {key}"}
        assert api.get(f"/trusts/{marts.trust}/finance", headers=headers).status_code == 200
        revoked = oversight(env, "keys", "revoke", key_id)
        assert revoked.returncode == 0 and "revoked" in revoked.stdout
        assert api.get(f"/trusts/{marts.trust}/finance", headers=headers).status_code == 401

    for args in (["--role", "provider"], ["--role", "national", "--org", marts.trust],
                 ["--role", "provider", "--org", "NOPE"], ["--role", "commissioner", "--org", marts.trust]):
        refused = oversight(env, "keys", "create", *args)
        assert refused.returncode == 2 and refused.stderr, args
    assert oversight(env, "keys", "revoke", "000000000000").returncode == 2


def test_several_workers_share_the_keys_and_the_audit_log(marts, tmp_path):
    """`oversight serve --workers 2`: concurrent restricted reads land in two processes, and every one is in the
    log exactly once; a key revoked from the command line is refused by both workers."""
    home = marts.new_home(tmp_path / "home")
    env = environment(home)
    env["OVERSIGHT_API_RATE_LIMIT"] = "0"
    key = oversight(env, "keys", "create", "--role", "national").stdout.strip().splitlines()[-1]
    with serving(env, "--workers", "2") as base:
        headers = {"Authorization": f"Bearer {key}"}

        def read(n):
            with httpx.Client(base_url=base, timeout=30) as client:   # a connection each: spread over the workers
                return client.get(f"/trusts/{marts.trust}/finance", headers=headers).status_code

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(read, range(80)))
        assert statuses == [200] * 80
        with sqlite3.connect(Settings(home=home).access_db) as db:
            (count,) = db.execute("SELECT count(*) FROM audit_log").fetchone()
        assert count == 80
        key_id = KEY_PATTERN.fullmatch(key).group(1)
        assert oversight(env, "keys", "revoke", key_id).returncode == 0
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            assert set(pool.map(read, range(16))) == {401}

