"""`oversight keys …` and `oversight serve`: what the command line does for the API (orchestration/cli.py only
parses the arguments and calls these)."""
from __future__ import annotations

import os
import sys
from datetime import date, datetime, time, timezone

from api.keys import KeyStore, KeyUsageError, Role
from api.settings import Settings
from api.store import AccessDatabase


def _store(settings: Settings) -> KeyStore:
    return KeyStore(AccessDatabase(settings.access_db), lambda: datetime.now(timezone.utc))


def _known_organisation(settings: Settings, role: Role, org: str) -> str | None:
    """Why `org` cannot be a key's organisation (None if it can, or if no snapshot is published to check it by)."""
    import duckdb

    if not settings.serving_path.exists():
        print(f"note: no published snapshot to check {org} against; the key is created as asked", file=sys.stderr)
        return None
    table, column, kind = (("dim_health_economy", "icb_code", "an ICB") if role is Role.commissioner
                           else ("dim_trust", "trust_code", "a trust"))
    with duckdb.connect(str(settings.serving_path), read_only=True) as db:
        found = db.execute(f"SELECT 1 FROM {table} WHERE {column} = ?", [org.upper()]).fetchall()
    return None if found else f"{org} is not {kind} in the published snapshot"


def keys_create(role: str, org: str | None, name: str, settings: Settings | None = None,
                expires: str | None = None) -> int:
    settings = settings or Settings()
    role_ = Role(role)
    try:
        expires_at = (datetime.combine(date.fromisoformat(expires), time(), timezone.utc) if expires else None)
    except ValueError:
        print(f"oversight keys create: --expires {expires!r} is not a date (YYYY-MM-DD)", file=sys.stderr)
        return 2
    if expires_at is not None and expires_at <= datetime.now(timezone.utc):
        print(f"oversight keys create: --expires {expires} is not in the future", file=sys.stderr)
        return 2
    if org and role_ is not Role.national:
        problem = _known_organisation(settings, role_, org)
        if problem:
            print(f"oversight keys create: {problem}", file=sys.stderr)
            return 2
    try:
        record, key = _store(settings).create(role_, org, name, expires_at=expires_at)
    except KeyUsageError as error:
        print(f"oversight keys create: {error}", file=sys.stderr)
        return 2
    print(f"Created API key {record.key_id} ({record.role.value}{' for ' + record.org_code if record.org_code else ''}"
          f"{', ' + repr(name) if name else ''}{', expiring ' + record.expires_at if record.expires_at else ''}) "
          f"in {settings.access_db}.\n"
          "The key is shown once, below; only its hash is stored. Send it as `Authorization: Bearer <key>`.")
    print(key)
    return 0


def keys_list(settings: Settings | None = None) -> int:
    settings = settings or Settings()
    keys = _store(settings).list()
    print(f"{'key id':<14}{'role':<14}{'org':<7}{'created (UTC)':<27}{'revoked (UTC)':<27}{'expires (UTC)':<27}name")
    for k in keys:
        print(f"{k.key_id:<14}{k.role.value:<14}{k.org_code or '-':<7}{k.created_at:<27}{k.revoked_at or '-':<27}"
              f"{k.expires_at or '-':<27}{k.name}")
    return 0


def keys_revoke(key_id: str, settings: Settings | None = None) -> int:
    settings = settings or Settings()
    try:
        record = _store(settings).revoke(key_id)
    except KeyUsageError as error:
        print(f"oversight keys revoke: {error}", file=sys.stderr)
        return 2
    print(f"API key {record.key_id} revoked at {record.revoked_at}: every API worker refuses it from now on.")
    return 0


def serve(host: str, port: int, workers: int = 1, access_log: bool = False) -> int:
    """uvicorn with `workers` processes, each building the app from the environment (`api.main:create_app`)."""
    import uvicorn

    os.environ["OVERSIGHT_API_WORKERS"] = str(workers)   # each worker enforces its share of the rate limit
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, workers=workers,
                access_log=access_log, log_level="info" if access_log else "warning")
    return 0
