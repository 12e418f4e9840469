"""API keys: created by `oversight keys create`, presented as `Authorization: Bearer <key>`.

A key reads `ovk_<id>_<secret>`: the id (12 hex digits) finds the key's record, the secret (256 random bits) proves
it. Only the SHA-256 of the secret is stored — enough for a random secret of that size, which no dictionary holds —
and it is compared in constant time (`hmac.compare_digest`), also when the id is unknown, so that timing tells a
caller nothing about which ids exist. Keys are revoked, never deleted (the audit log names them).
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from api.store import AccessDatabase

KEY_PATTERN = re.compile(r"ovk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")
_UNKNOWN_ID_DIGEST = hashlib.sha256(b"no key has this id").hexdigest()


class Role(str, Enum):
    national = "national"            # every trust and economy, restricted data included
    commissioner = "commissioner"    # an ICB: public data everywhere, restricted data of the trusts in its economy
    provider = "provider"            # a trust: public data everywhere, its own restricted data
    public = "public"                # no key (when the deployment admits anonymous callers): public data only


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    role: Role
    org_code: str | None
    name: str
    created_at: str
    revoked_at: str | None
    expires_at: str | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= datetime.fromisoformat(self.expires_at)


class KeyRefused(Exception):
    """The presented key is malformed, unknown or revoked (the reason goes back to the caller)."""


class KeyUsageError(ValueError):
    """A key cannot be created or revoked as asked (CLI usage errors)."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class KeyStore:
    def __init__(self, database: AccessDatabase, clock: Callable[[], datetime]):
        self.database = database
        self.clock = clock

    def create(self, role: Role, org_code: str | None = None, name: str = "",
               expires_at: datetime | None = None) -> tuple[ApiKey, str]:
        """A new key: its record, and the key itself — shown once, never stored. `expires_at` (aware): refused from
        then on."""
        if role is Role.public:
            raise KeyUsageError("public callers need no key (anonymous access is a setting)")
        if role is Role.national and org_code:
            raise KeyUsageError("a national key belongs to no organisation: drop --org")
        if role is not Role.national and not org_code:
            raise KeyUsageError(f"a {role.value} key needs --org (the {'ICB' if role is Role.commissioner else 'trust'} code)")
        if expires_at is not None and expires_at.tzinfo is None:
            raise KeyUsageError("a key's expiry needs a time zone (UTC)")
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        record = ApiKey(key_id, role, org_code.upper() if org_code else None, name,
                        self.clock().isoformat(timespec="seconds"), None,
                        expires_at.isoformat(timespec="seconds") if expires_at else None)
        with self.database.transaction() as db:
            db.execute("INSERT INTO api_keys (key_id, secret_sha256, role, org_code, name, created_at, expires_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)",
                       [record.key_id, _digest(secret), role.value, record.org_code, name, record.created_at,
                        record.expires_at])
        return record, f"ovk_{key_id}_{secret}"

    def list(self) -> list[ApiKey]:
        rows = self.database.connection().execute(
            "SELECT key_id, role, org_code, name, created_at, revoked_at, expires_at FROM api_keys "
            "ORDER BY created_at, key_id")
        return [self._record(r) for r in rows.fetchall()]

    def revoke(self, key_id: str) -> ApiKey:
        with self.database.transaction() as db:
            row = db.execute("SELECT key_id, role, org_code, name, created_at, revoked_at, expires_at FROM api_keys "
                             "WHERE key_id = ?", [key_id]).fetchone()
            if row is None:
                raise KeyUsageError(f"no key with id {key_id!r} (`oversight keys list` shows them)")
            if row["revoked_at"] is None:
                db.execute("UPDATE api_keys SET revoked_at = ? WHERE key_id = ?",
                           [self.clock().isoformat(timespec="seconds"), key_id])
        return self.get(key_id)

    def get(self, key_id: str) -> ApiKey | None:
        row = self.database.connection().execute(
            "SELECT key_id, role, org_code, name, created_at, revoked_at, expires_at FROM api_keys WHERE key_id = ?",
            [key_id]).fetchone()
        return self._record(row) if row else None

    def verify(self, presented: str) -> ApiKey:
        """The key's record if `presented` is a live key; KeyRefused (malformed, unknown, revoked or expired)
        otherwise."""
        match = KEY_PATTERN.fullmatch(presented)
        if not match:
            raise KeyRefused("malformed API key (expected ovk_<id>_<secret>, as `oversight keys create` printed it)")
        key_id, secret = match.groups()
        row = self.database.connection().execute(
            "SELECT key_id, secret_sha256, role, org_code, name, created_at, revoked_at, expires_at FROM api_keys "
            "WHERE key_id = ?", [key_id]).fetchone()
        stored = row["secret_sha256"] if row else _UNKNOWN_ID_DIGEST
        if not hmac.compare_digest(_digest(secret), stored) or row is None:
            raise KeyRefused("unknown API key")
        record = self._record(row)
        if record.revoked:
            raise KeyRefused(f"API key {key_id} was revoked at {record.revoked_at}")
        if record.expired(self.clock()):
            raise KeyRefused(f"API key {key_id} expired at {record.expires_at}")
        return record

    @staticmethod
    def _record(row) -> ApiKey:
        return ApiKey(row["key_id"], Role(row["role"]), row["org_code"], row["name"], row["created_at"],
                      row["revoked_at"], row["expires_at"])
