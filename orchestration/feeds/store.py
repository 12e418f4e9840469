"""The release store: each release of a series kept as **what changed against the releases before it**.

A release's rows new or changed, and its rows removed, go to `parquet/<feed>/<table>/release=<key>/delta.parquet`
with the release key, its publication date, the date the platform received it and the change. "What was known on
date D" is the latest version of each key among the releases published by D, removals dropped, and the disk grows
with what changed, not with the square of time (FEEDS.md §6).

A release's *scope* says which earlier rows it can remove:
- "whole": the release is a complete picture (a ratings snapshot, a cumulative workforce series): a key missing
  from it has gone.
- a column name (e.g. "month_end"): the release covers only the periods it holds (one month of sickness absence);
  keys of other periods are untouched.

The store keeps its own invariants, so that no caller can get them wrong:
- **Locked**: every write holds an exclusive lock on the series (`.lock`, `flock`), so partitions of one series
  ingested side by side (sensors, backfills, several processes) are stored one after the other.
- **Rebased**: a release stored before releases already held (it arrived late) makes every later delta wrong; the
  store re-derives them itself, from the rows `load` gives back for each (the raw file as received, re-parsed).
- **Atomic**: every file a store changes (this release's delta, the rebased ones, the state) is written beside its
  target first; a journal lists the renames, which are replayed if a crash interrupts them. A reader sees the
  series before the release or after it, never half of it.
- **Safe names**: a release key or file name that is not a plain name (`../`, `/`, NUL…) is refused before it
  touches a path; values reach SQL as parameters, never interpolated.
- **Always readable**: `release=schema/delta.parquet` holds no rows and the feed's declared columns, so a series
  with no release yet is an empty, typed table to dbt (a deployment may not have every feed), never a missing file.
"""
from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import unquote, urlparse

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration import crashpoints
from orchestration.files import disk_full, is_disk_full

INDEX_NAME = "releases.json"
INDEX_MAX_BYTES = 4 << 20   # an index lists releases, a few hundred bytes each: never megabytes
# Columns the store adds; parser columns starting with "_" (source row, hashes) never count as a change.
RELEASE_COLUMNS = ["_release", "_published_on", "_received_on", "_change"]
RELEASE_SCHEMA = pa.schema([("_release", pa.string()), ("_published_on", pa.date32()),
                            ("_received_on", pa.date32()), ("_change", pa.string())])
# Release keys are dates, months or financial years as the publishers name them: 2026-06, 2023-24, 2026-09-01.
KEY_PATTERN = re.compile(r"\d{4}-\d{2}(-\d{2})?")
SCHEMA_PARTITION = "schema"   # the empty, typed partition that keeps a series readable before its first release


class UnsafeName(ValueError):
    """A release key or file name from an index that could reach outside the store or the mirror."""


def plain_key(key: str, source: str) -> str:
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise UnsafeName(f"{source}: release key {key!r} is not a plain key (YYYY-MM, YYYY-YY or YYYY-MM-DD): "
                         "refused before it is used in a path")
    return key


def plain_file(name: str, source: str) -> str:
    """A file named by a release index: a plain file name in the index's folder, or an absolute http(s) URL."""
    if not isinstance(name, str) or not name:
        raise UnsafeName(f"{source}: release file {name!r} is empty or not text")
    if urlparse(name).scheme in ("http", "https"):
        tail = unquote(urlparse(name).path).rsplit("/", 1)[-1]
    else:
        tail = name
        if "/" in name or "\\" in name or ":" in name:
            raise UnsafeName(f"{source}: release file {name!r} is not a plain file name (no folders, no schemes)")
    if not tail or "\x00" in name or tail in (".", "..") or tail.startswith("."):
        raise UnsafeName(f"{source}: release file {name!r} is not a plain file name")
    return name


@dataclass(frozen=True)
class Release:
    """One release as its index lists it."""
    key: str                   # partition key: "2026-06", "2023-24", "2026-09-01"
    file: str                  # a file name in the index's folder, or an absolute http(s) URL
    published_on: date

    def as_dict(self) -> dict:
        return {"release": self.key, "file": self.file, "published": self.published_on.isoformat()}


@dataclass(frozen=True)
class StoredRelease:
    """What the store holds for one release: where it came from, and what it changed."""
    key: str
    file: str
    published_on: date
    received_on: date
    sha256: str
    source_url: str
    raw_path: str | None       # the raw file as received (None for a pull landed as many files)
    layout: str | None
    rows: int
    rows_quarantined: int
    quarantine_path: str | None
    new: int
    changed: int
    removed: int

    @property
    def release(self) -> Release:
        return Release(self.key, self.file, self.published_on)

    def to_json(self) -> dict:
        return {**dataclasses.asdict(self), "published_on": self.published_on.isoformat(),
                "received_on": self.received_on.isoformat()}

    @classmethod
    def from_json(cls, entry: dict) -> "StoredRelease":
        return cls(**{**entry, "published_on": date.fromisoformat(entry["published_on"]),
                      "received_on": date.fromisoformat(entry["received_on"])})


@dataclass(frozen=True)
class Received:
    """One release as the pipeline hands it to the store: the parsed rows and where they came from."""
    release: Release
    table: pa.Table
    received_on: date
    sha256: str
    source_url: str
    raw_path: str | None
    layout: str | None
    rows: int
    rows_quarantined: int = 0
    quarantine_path: str | None = None


@dataclass(frozen=True)
class Stored:
    """What storing a release did."""
    release: StoredRelease
    rebased: tuple[str, ...] = ()   # later releases re-derived because this one arrived after them


# --- discovery: the release index a mirror publishes ---------------------------------------------------------------

def write_index(folder: Path, kind: str, releases: list[Release]) -> Path:
    """What `oversight simulate` writes beside each series of files, and the feed server serves."""
    path = folder / INDEX_NAME
    path.write_text(json.dumps({"kind": kind, "releases": [r.as_dict() for r in sorted(releases, key=lambda r: r.key)]},
                               indent=1))
    return path


def read_index(content: bytes, source: str) -> list[Release]:
    """The releases an index lists, oldest first; refused whole if it is not an index or names anything unsafe."""
    try:
        document = json.loads(content)
        listed = [(r["release"], r["file"], date.fromisoformat(r["published"])) for r in document["releases"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{source}: not a release index ({type(exc).__name__}: {exc}); expected "
                         '{"releases": [{"release": …, "file": …, "published": "YYYY-MM-DD"}]}') from None
    releases = [Release(plain_key(key, source), plain_file(file, source), published) for key, file, published in listed]
    keys = [r.key for r in releases]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{source}: release keys repeat: {sorted(k for k in set(keys) if keys.count(k) > 1)}")
    return sorted(releases, key=lambda r: r.key)


def release_url(index_url: str, release: Release) -> str:
    if urlparse(release.file).scheme:
        return release.file
    return f"{index_url.rsplit('/', 1)[0]}/{plain_file(release.file, index_url)}"


# --- the store ------------------------------------------------------------------------------------------------------

class ReleaseStore:
    """Deltas per release, plus a state file (`_state.json`) recording what each release was built from.

    `schema` is the feed's declared columns (the parser's output), for the empty partition; `load` gives back the
    rows of a stored release (its raw file re-parsed), for rebasing. `keys` and `scope` as in the module docstring.
    """

    def __init__(self, root: Path, keys: tuple[str, ...], scope: str, schema: pa.Schema | None = None,
                 load: Callable[[StoredRelease], pa.Table] | None = None):
        self.root = root
        self.keys, self.scope, self.schema, self.load = tuple(keys), scope, schema, load
        self.state_path = root / "_state.json"
        self._journal = root / ".commit.json"

    # -- reading ------------------------------------------------------------------------------------------------
    def state(self) -> dict[str, StoredRelease]:
        if not self.state_path.exists():
            return {}
        return {key: StoredRelease.from_json(entry) for key, entry in json.loads(self.state_path.read_text()).items()}

    def delta_path(self, key: str) -> Path:
        if key != SCHEMA_PARTITION:
            plain_key(key, str(self.root))
        return self.root / f"release={key}" / "delta.parquet"

    def has(self, key: str, sha256: str) -> bool:
        entry = self.state().get(key)
        return bool(entry and entry.sha256 == sha256 and self.delta_path(key).exists())

    def previous(self, key: str) -> StoredRelease | None:
        """The release stored just before `key` (for the volume rules), if any."""
        earlier = [entry for k, entry in sorted(self.state().items()) if k < key]
        return earlier[-1] if earlier else None

    def known_as_of(self, day: date) -> pa.Table:
        """Every row as it was known on `day`: the latest version per key among releases published by then."""
        files = [str(self.delta_path(k)) for k, e in self.state().items()
                 if e.published_on <= day and self.delta_path(k).exists()]
        if not files:
            return pa.table({})
        with duckdb.connect() as con:
            versions = con.read_parquet(files, union_by_name=True)
            return _arrow(con.sql(f"""
                select * exclude (_rank) from (
                    select *, row_number() over (partition by {_cols(self.keys)} order by _release desc) as _rank
                    from versions
                ) where _rank = 1 and _change <> 'removed' order by {_cols(self.keys)}"""))

    # -- writing ------------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive use of the series, across threads and processes; an interrupted commit is finished first."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                self._recover()
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def ensure_readable(self) -> Path | None:
        """Write the empty, typed partition (once, and again if the declared columns change)."""
        if self.schema is None:
            return None
        schema = _stored_schema(self.schema)
        path = self.delta_path(SCHEMA_PARTITION)
        if path.exists() and pq.read_schema(path).equals(schema, check_metadata=False):
            return path
        with self.locked():
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(schema.empty_table(), _tmp(path))
            self._commit({path: _tmp(path)})
        return path

    def store(self, received: Received) -> Stored:
        """Store one release as its delta against every release before it, and re-derive the later ones."""
        key = plain_key(received.release.key, str(self.root))
        with self.locked():
            state = self.state()
            later = sorted(k for k in state if k > key)
            staged: dict[Path, Path] = {}   # target → staging file, renamed together by the commit
            try:
                state[key] = self._delta(received, state, staged)
                for later_key in later:
                    old = state[later_key]
                    if self.load is None:
                        raise RuntimeError(f"{self.root}: release {key} arrived after {later_key}, and this store "
                                           "cannot re-read stored releases to rebase them (no loader)")
                    redone = Received(old.release, self.load(old), old.received_on, old.sha256, old.source_url,
                                      old.raw_path, old.layout, old.rows, old.rows_quarantined, old.quarantine_path)
                    state[later_key] = self._delta(redone, state, staged)
                staged[self.state_path] = _tmp(self.state_path)
                staged[self.state_path].write_text(
                    json.dumps({k: e.to_json() for k, e in sorted(state.items())}, indent=1))
            except BaseException as error:
                for tmp in staged.values():
                    tmp.unlink(missing_ok=True)
                if is_disk_full(error):   # one message; the series is as it was before this release
                    raise disk_full(error, self.delta_path(key), f"release {key} of {self.root.name}") from error
                raise
            self._commit(staged)
        return Stored(state[key], tuple(later))

    def _delta(self, received: Received, state: dict[str, StoredRelease], staged: dict[Path, Path]) -> StoredRelease:
        """Stage `received` as its delta against the releases in `state` before it, reading each earlier delta from
        where this commit staged it, if it did."""
        key = received.release.key
        earlier = [staged.get(self.delta_path(k), self.delta_path(k)) for k in sorted(state) if k < key]
        earlier = [str(path) for path in [self.delta_path(SCHEMA_PARTITION), *earlier] if path.exists()]
        table = received.table
        names = table.schema.names
        values = [n for n in names if not n.startswith("_") and n not in self.keys]
        with duckdb.connect() as con:
            con.register("incoming", table)
            if earlier:
                con.read_parquet(earlier, union_by_name=True).create_view("versions")
                con.execute(f"""
                    create view before as
                    select * exclude (_rank) from (
                        select *, row_number() over (partition by {_cols(self.keys)} order by _release desc) as _rank
                        from versions
                    ) where _rank = 1 and _change <> 'removed'""")
            else:
                con.execute("create view before as select *, null::varchar as _release, null::varchar as _change "
                            "from incoming where false")
            # keys may be NULL by design (a provider-level rating has no location): NULL matches NULL
            joined = " and ".join(f"b.{_q(k)} is not distinct from i.{_q(k)}" for k in self.keys)
            differs = " or ".join(f"i.{_q(v)} is distinct from b.{_q(v)}" for v in values) or "false"
            in_scope = ("true" if self.scope == "whole"
                        else f"b.{_q(self.scope)} in (select distinct {_q(self.scope)} from incoming)")
            stamp = "$release as _release, $published::date as _published_on, $received::date as _received_on"
            delta = _arrow(con.sql(f"""
                select {', '.join('i.' + _q(n) for n in names)}, {stamp},
                       case when b._release is null then 'new' else 'changed' end as _change
                from incoming i left join before b on {joined}
                where b._release is null or {differs}
                union all by name
                select {', '.join('b.' + _q(n) for n in names)}, {stamp}, 'removed' as _change
                from before b
                where {in_scope} and not exists (select 1 from incoming i where {joined})
                order by _change, {_cols(self.keys)}
            """, params={"release": key, "published": received.release.published_on,
                         "received": received.received_on}))
        if self.schema is not None:  # the declared types, even where every value of a column is NULL
            delta = delta.cast(_aligned(delta.schema, self.schema))
        path = staged[self.delta_path(key)] = _tmp(self.delta_path(key))
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(delta, path)
        changes = delta.column("_change").to_pylist() if delta.num_rows else []
        return StoredRelease(
            key, received.release.file, received.release.published_on, received.received_on, received.sha256,
            received.source_url, received.raw_path, received.layout, received.rows, received.rows_quarantined,
            received.quarantine_path, changes.count("new"), changes.count("changed"), changes.count("removed"))

    def _commit(self, staged: dict[Path, Path]) -> None:
        """Rename every staged file (target → staging file) onto its target; the journal lets an interrupted commit
        be finished."""
        journal_tmp = _tmp(self._journal)
        try:
            journal_tmp.write_text(json.dumps({str(t): str(p) for p, t in staged.items()}))
        except OSError as error:  # no journal, no rename: the staged files go, the series stays as it was
            for tmp in [journal_tmp, *staged.values()]:
                tmp.unlink(missing_ok=True)
            if is_disk_full(error):
                raise disk_full(error, self._journal, f"the commit journal of {self.root.name}") from error
            raise
        os.replace(journal_tmp, self._journal)
        self._recover()

    def _recover(self) -> None:
        if not self._journal.exists():
            return
        for tmp, target in json.loads(self._journal.read_text()).items():
            if Path(tmp).exists():
                Path(target).parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, target)
                crashpoints.reached("store")
        self._journal.unlink()


def _stored_schema(schema: pa.Schema) -> pa.Schema:
    """A delta's columns: the feed's, then the store's."""
    fields = [f for f in schema if f.name not in RELEASE_SCHEMA.names]
    return pa.schema([*fields, *RELEASE_SCHEMA])


def _aligned(actual: pa.Schema, declared: pa.Schema) -> pa.Schema:
    """`actual` with each column given its declared type where one is declared (a column of NULLs comes back from
    SQL as a different type)."""
    declared = _stored_schema(declared)
    return pa.schema([declared.field(f.name) if f.name in declared.names else f for f in actual])


def _tmp(path: Path) -> Path:
    """Where `path` is staged before its rename: beside it, hidden (dbt's and Spark's globs skip it)."""
    return path.with_name(f".{path.name}.staged")


def _arrow(result) -> pa.Table:
    """A relation's or an executed statement's rows as one Arrow table."""
    table = result.to_arrow_table()
    return table.read_all() if hasattr(table, "read_all") else table


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cols(names) -> str:
    return ", ".join(_q(n) for n in names)
