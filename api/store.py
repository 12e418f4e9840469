"""The API's own database: API keys and the audit log, in SQLite under `OVERSIGHT_HOME/access/` (never inside the
read-only published snapshot).

Safe with several API workers and the `oversight keys` command at once: write-ahead logging (readers never wait for
a writer), writes in `BEGIN IMMEDIATE` transactions with a busy timeout, one connection per thread. The rules that
must hold whoever writes are in the schema itself, as triggers: the audit log is append-only (UPDATE and DELETE
abort), a key is revoked but never deleted, and its secret, role and organisation never change.
"""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id        TEXT PRIMARY KEY,
    secret_sha256 TEXT NOT NULL,            -- SHA-256 of the key's secret part: the key itself is never stored
    role          TEXT NOT NULL CHECK (role IN ('national', 'commissioner', 'provider')),
    org_code      TEXT,                     -- the ICB (commissioner) or trust (provider); none for national keys
    name          TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    revoked_at    TEXT,
    expires_at    TEXT,                     -- UTC, ISO 8601: refused from then on (none: until revoked)
    CHECK ((role = 'national') = (org_code IS NULL))
) STRICT;

CREATE TRIGGER IF NOT EXISTS api_keys_never_deleted BEFORE DELETE ON api_keys
BEGIN SELECT RAISE(ABORT, 'API keys are revoked, never deleted: the audit log names them'); END;

CREATE TRIGGER IF NOT EXISTS api_keys_identity_fixed
BEFORE UPDATE OF key_id, secret_sha256, role, org_code, created_at ON api_keys
BEGIN SELECT RAISE(ABORT, 'a key keeps its secret, role and organisation: revoke it and create another'); END;

CREATE TRIGGER IF NOT EXISTS api_keys_revocation_final BEFORE UPDATE OF revoked_at ON api_keys
WHEN OLD.revoked_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a revoked key stays revoked'); END;

CREATE TRIGGER IF NOT EXISTS api_keys_expiry_fixed BEFORE UPDATE OF expires_at ON api_keys
BEGIN SELECT RAISE(ABORT, 'a key keeps its expiry: revoke it and create another'); END;

CREATE TABLE IF NOT EXISTS audit_log (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at  TEXT NOT NULL,             -- UTC, ISO 8601
    request_id   TEXT NOT NULL,             -- the records of one response share it
    key_id       TEXT NOT NULL REFERENCES api_keys (key_id),
    key_name     TEXT NOT NULL,
    role         TEXT NOT NULL,
    key_org      TEXT,
    organisation TEXT NOT NULL,             -- whose restricted data was read
    resource     TEXT NOT NULL,             -- what was read
    method       TEXT NOT NULL,
    path         TEXT NOT NULL,
    query        TEXT NOT NULL,
    snapshot     TEXT NOT NULL              -- the published snapshot it was read from
) STRICT;

CREATE INDEX IF NOT EXISTS audit_log_by_organisation ON audit_log (organisation, seq);
CREATE INDEX IF NOT EXISTS audit_log_by_key ON audit_log (key_id, seq);

CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""


class AccessDatabase:
    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()
        self._ready = False
        self._lock = threading.Lock()

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 connections are not shared between threads)."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            self._ensure_schema()
            connection = self._connect()
            self._local.connection = connection
        return connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: the write lock is taken at BEGIN, so concurrent writers queue (busy timeout)
        rather than fail half-way."""
        connection = self.connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=True, timeout=30)
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA busy_timeout = 30000")
        connection.execute("PRAGMA foreign_keys = ON")
        # WAL with FULL sync: a committed audit record survives a power cut, and readers never block the writer.
        connection.execute("PRAGMA synchronous = FULL")
        return connection

    def _ensure_schema(self) -> None:
        with self._lock:
            if self._ready:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = self._connect()
            try:
                connection.execute("PRAGMA journal_mode = WAL")  # persistent: recorded in the file
                # one transaction (executescript would commit a BEGIN issued before it): workers starting together
                # create the schema once, the others wait for the write lock and find it there
                connection.executescript(f"BEGIN IMMEDIATE;\n{_MIGRATE if _needs_expiry(connection) else ''}"
                                         f"{SCHEMA}\nCOMMIT;")
            finally:
                connection.close()
            self._ready = True


# A database made before keys could expire: the column is added (every existing key keeps no expiry).
_MIGRATE = "ALTER TABLE api_keys ADD COLUMN expires_at TEXT;\n"


def _needs_expiry(connection: sqlite3.Connection) -> bool:
    columns = {row[1] for row in connection.execute("PRAGMA table_info(api_keys)").fetchall()}
    return bool(columns) and "expires_at" not in columns
