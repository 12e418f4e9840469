"""Fixtures: a hand-built snapshot under a temporary home, and the API serving it over real HTTP; and the snapshot
of the session's real pipeline run (tests/conftest.py `pipeline`) served with API keys of every role."""
import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import httpx
import pytest

from api.keys import KeyStore, Role
from api.settings import Settings
from api.store import AccessDatabase
from tests.api.support import ServerThread, build_snapshot


@pytest.fixture
def home(tmp_path) -> Path:
    build_snapshot(Settings(home=tmp_path).serving_path)
    return tmp_path


@pytest.fixture
def api(home):
    with ServerThread(home) as client:
        yield client


@dataclass(eq=False)
class Marts:
    """The real marts served, with a key per role and the organisations the access rules are shown on."""
    home: Path
    api: httpx.Client
    db: duckdb.DuckDBPyConnection            # the same snapshot, read directly: the expected answers
    keys: dict[str, str]                     # caller label → key
    key_ids: dict[str, str]
    latest: date
    trust: str                               # T: a trust with restricted criteria met and a finance return
    icb: str                                 # X: T's economy in the latest month
    other_trust: str                         # U: a trust of another economy, with a finance return
    other_icb: str                           # Y: U's economy
    first: date = field(default=None)

    def get(self, path: str, caller: str | None = None, **kwargs) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if caller is not None:
            headers["Authorization"] = f"Bearer {self.keys[caller]}"
        url = httpx.URL(path)                    # httpx's params= would replace the path's own query: merge them
        if "params" in kwargs:
            url = url.copy_merge_params(kwargs.pop("params"))
        return self.api.get(url, headers=headers, **kwargs)

    def audit(self, after: int = 0) -> list[dict]:
        """The audit log as the database holds it (records after sequence number `after`)."""
        with sqlite3.connect(Settings(home=self.home).access_db) as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq", [after])]

    def last_seq(self) -> int:
        with sqlite3.connect(Settings(home=self.home).access_db) as db:
            return db.execute("SELECT coalesce(max(seq), 0) FROM audit_log").fetchone()[0]

    def query(self, sql: str, params=()) -> list[tuple]:
        return self.db.execute(sql, list(params)).fetchall()

    def new_home(self, home: Path) -> Path:
        """Another home serving the same snapshot, with no keys and an empty audit log."""
        snapshot = Settings(home=home).serving_path
        snapshot.parent.mkdir(parents=True)
        shutil.copyfile(Settings(home=self.home).serving_path, snapshot)
        return home


def _pick(db, latest):
    """T: a trust whose restricted (finance) criteria are met in the latest month, in an economy whose other
    members have returns too; U: a trust with a return in another economy."""
    candidates = db.execute("""
        SELECT scale.trust_code, scale.icb_code FROM fct_trust_failure_scale AS scale
        WHERE scale.methodology_version = 'v2' AND scale.period = ? AND scale.criteria LIKE '%in-year finance return%'
          AND EXISTS (SELECT 1 FROM fct_trust_finance AS f WHERE f.trust_code = scale.trust_code AND f.period = ?)
          AND (SELECT count(*) FROM fct_trust_failure_scale AS m JOIN fct_trust_finance AS f
               ON f.trust_code = m.trust_code AND f.period = m.period
               WHERE m.methodology_version = 'v2' AND m.period = ? AND m.icb_code = scale.icb_code) >= 3
        ORDER BY scale.trust_code""", [latest, latest, latest]).fetchall()
    assert candidates, "the simulation must give a trust meeting a finance criterion in a 3-trust economy"
    trust, icb = candidates[0]
    [(other_trust, other_icb)] = db.execute("""
        SELECT scale.trust_code, scale.icb_code FROM fct_trust_failure_scale AS scale
        JOIN fct_trust_finance AS f ON f.trust_code = scale.trust_code AND f.period = scale.period
        WHERE scale.methodology_version = 'v2' AND scale.period = ? AND scale.icb_code <> ?
        ORDER BY scale.trust_code LIMIT 1""", [latest, icb]).fetchall()
    return trust, icb, other_trust, other_icb


def create_keys(home: Path, roles: dict[str, tuple[Role, str | None]], clock,
                revoke: tuple[str, ...] = ()) -> tuple[dict[str, str], dict[str, str]]:
    """A key for each label → (role, organisation) in the home's access database, the labels in `revoke` revoked:
    (label → key, label → key id)."""
    store = KeyStore(AccessDatabase(Settings(home=home).access_db), clock=clock)
    keys, key_ids = {}, {}
    for label, (role, org) in roles.items():
        record, keys[label] = store.create(role, org, name=label)
        key_ids[label] = record.key_id
    for label in revoke:
        store.revoke(key_ids[label])
    return keys, key_ids


@pytest.fixture(scope="session")
def marts(pipeline, tmp_path_factory):
    home = tmp_path_factory.mktemp("api-home")
    snapshot = Settings(home=home).serving_path
    snapshot.parent.mkdir(parents=True)
    shutil.copyfile(Settings(home=pipeline["home"]).serving_path, snapshot)  # ours: later runs cannot move it
    db = duckdb.connect(str(snapshot), read_only=True)
    [(first, latest)] = db.execute("SELECT min(period), max(period) FROM fct_trust_failure_scale").fetchall()
    trust, icb, other_trust, other_icb = _pick(db, latest)
    roles = {"national": (Role.national, None), "commissioner_own": (Role.commissioner, icb),
             "commissioner_other": (Role.commissioner, other_icb), "provider_own": (Role.provider, trust),
             "provider_other": (Role.provider, other_trust), "revoked": (Role.national, None)}
    keys, key_ids = create_keys(home, roles, clock=lambda: datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc),
                                revoke=("revoked",))
    with ServerThread(home, api_rate_limit=0) as client:
        yield Marts(home, client, db, keys, key_ids, latest, trust, icb, other_trust, other_icb, first)
    db.close()
