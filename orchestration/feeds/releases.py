"""Feeds published as a series of releases (monthly files, annual workbooks, ratings snapshots).

Each release is stored as **what changed against the state before it** — rows new or changed, and rows removed —
in `parquet/<feed>/<table>/release=<key>/delta.parquet`, with the release key and its publication date. "What was
known on date D" is then the latest version of each key among the releases published by D (dropping removals),
and the disk grows with what changed, not with the square of time (FEEDS.md §6).

The scope of a release says which earlier rows it can remove:
- "whole": the release is a complete picture (a ratings snapshot, a cumulative workforce series): a key missing
  from it has gone.
- a column name (e.g. "month_end"): the release covers only the periods it holds (one month of sickness absence);
  keys of other periods are untouched.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.feeds.report import ParseResult

INDEX_NAME = "releases.json"
# Columns the store adds; parser columns starting with "_" (source row, hashes) never count as a change.
RELEASE_COLUMNS = ["_release", "_published_on", "_change"]


@dataclass(frozen=True)
class ReleaseFeed:
    kind: str                  # check-feed kind
    feed: str                  # folder under raw/, parquet/, quarantine/
    table: str                 # folder of the release store, dbt source table name
    parse: Callable[[bytes, str], ParseResult]
    keys: tuple[str, ...]      # what identifies one row within a release
    scope: str                 # "whole", or the period column a release covers (see module docstring)
    mirror_dir: str            # folder of the files and their releases.json in a feed mirror
    partitioned_by: str        # "month" | "financial_year" | "release date": how partition keys read
    description: str
    restricted: bool = False   # in-year finance returns: not public (DOMAIN.md, access)

    @property
    def asset_key_path(self) -> list[str]:
        return [self.feed, self.table]

    @property
    def partitions_name(self) -> str:
        return f"{self.feed}_{self.table}_releases"


@dataclass(frozen=True)
class Release:
    key: str                   # partition key: "2026-06", "2023-24", "2026-09-01"
    file: str                  # file name (or path) relative to the mirror folder
    published_on: date

    def as_dict(self) -> dict:
        return {"release": self.key, "file": self.file, "published": self.published_on.isoformat()}


# --- discovery: the release index a mirror publishes ---------------------------------------------------------------

def write_index(folder: Path, kind: str, releases: list[Release]) -> Path:
    """What `oversight simulate` writes beside each series of files, and the feed server serves."""
    path = folder / INDEX_NAME
    path.write_text(json.dumps({"kind": kind, "releases": [r.as_dict() for r in sorted(releases, key=lambda r: r.key)]},
                               indent=1))
    return path


def read_index(content: bytes, source: str) -> list[Release]:
    try:
        document = json.loads(content)
        releases = [Release(str(r["release"]), str(r["file"]), date.fromisoformat(r["published"]))
                    for r in document["releases"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{source}: not a release index ({type(exc).__name__}: {exc}); expected "
                         '{"releases": [{"release": …, "file": …, "published": "YYYY-MM-DD"}]}') from None
    keys = [r.key for r in releases]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{source}: release keys repeat: {sorted(k for k in set(keys) if keys.count(k) > 1)}")
    return sorted(releases, key=lambda r: r.key)


def release_url(index_url: str, release: Release) -> str:
    base = index_url.rsplit("/", 1)[0]
    return f"{base}/{release.file}" if not urlparse(release.file).scheme else release.file


# --- the store ------------------------------------------------------------------------------------------------------

class ReleaseStore:
    """Deltas per release plus a small state file (`releases.json`) recording what each release was built from."""

    def __init__(self, parquet_dir: Path, spec: ReleaseFeed):
        self.spec = spec
        self.root = parquet_dir / spec.feed / spec.table
        self.state_path = self.root / "_state.json"

    def state(self) -> dict[str, dict]:
        if not self.state_path.exists():
            return {}
        return json.loads(self.state_path.read_text())

    def delta_path(self, key: str) -> Path:
        return self.root / f"release={key}" / "delta.parquet"

    def has(self, key: str, sha256: str) -> bool:
        entry = self.state().get(key)
        return bool(entry and entry["sha256"] == sha256 and self.delta_path(key).exists())

    def later_releases(self, key: str) -> list[str]:
        return sorted(k for k in self.state() if k > key)

    def store(self, release: Release, table: pa.Table, provenance: dict) -> dict:
        """Write release `key` as its delta against every release before it; returns the change counts."""
        self.root.mkdir(parents=True, exist_ok=True)
        incoming = self.root / f".incoming-{release.key}.{os.getpid()}.parquet"
        pq.write_table(table, incoming)
        try:
            counts = self._write_delta(release, incoming, table.schema)
        finally:
            incoming.unlink(missing_ok=True)
        state = self.state()
        state[release.key] = {**provenance, "published": release.published_on.isoformat(), "file": release.file,
                              "rows": table.num_rows, **counts}
        _write_text_atomic(self.state_path, json.dumps(dict(sorted(state.items())), indent=1))
        return counts

    def _write_delta(self, release: Release, incoming: Path, schema: pa.Schema) -> dict:
        keys = list(self.spec.keys)
        values = [n for n in schema.names if not n.startswith("_") and n not in keys]
        earlier = sorted(k for k in self.state() if k < release.key and self.delta_path(k).exists())
        con = duckdb.connect()
        con.execute(f"create view incoming as select * from read_parquet('{incoming}')")
        if earlier:
            files = ", ".join(f"'{self.delta_path(k)}'" for k in earlier)
            con.execute(f"""
                create view before as
                select * exclude (_rank) from (
                    select *, row_number() over (partition by {_cols(keys)} order by _release desc) as _rank
                    from read_parquet([{files}], union_by_name = true)
                ) where _rank = 1 and _change <> 'removed'""")
        else:
            con.execute("create view before as select *, null::varchar as _release, null::varchar as _change "
                        "from incoming where false")
        # keys may be NULL by design (a provider-level rating has no location): NULL matches NULL
        joined = " and ".join(f"b.{_q(k)} is not distinct from i.{_q(k)}" for k in keys)
        differs = " or ".join(f"i.{_q(v)} is distinct from b.{_q(v)}" for v in values) or "false"
        in_scope = ("true" if self.spec.scope == "whole"
                    else f"b.{_q(self.spec.scope)} in (select distinct {_q(self.spec.scope)} from incoming)")
        stamp = f"'{release.key}' as _release, date '{release.published_on.isoformat()}' as _published_on"
        delta = con.sql(f"""
            select {', '.join('i.' + _q(n) for n in schema.names)}, {stamp},
                   case when b._release is null then 'new' else 'changed' end as _change
            from incoming i left join before b on {joined}
            where b._release is null or {differs}
            union all by name
            select {', '.join('b.' + _q(n) for n in schema.names)}, {stamp}, 'removed' as _change
            from before b
            where {in_scope} and not exists (select 1 from incoming i where {joined})
        """).arrow()
        if hasattr(delta, "read_all"):  # newer DuckDB returns a reader
            delta = delta.read_all()
        path = self.delta_path(release.key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".delta.{os.getpid()}.tmp")
        pq.write_table(delta, tmp)
        os.replace(tmp, path)
        changes = delta.column("_change").to_pylist() if delta.num_rows else []
        return {"new": changes.count("new"), "changed": changes.count("changed"), "removed": changes.count("removed")}

    def known_as_of(self, day: date) -> pa.Table:
        """Every row as it was known on `day`: the latest version per key among releases published by then."""
        files = [self.delta_path(k) for k, e in self.state().items()
                 if date.fromisoformat(e["published"]) <= day and self.delta_path(k).exists()]
        if not files:
            return pa.table({})
        keys = _cols(self.spec.keys)
        listed = ", ".join(f"'{f}'" for f in files)
        result = duckdb.sql(f"""
            select * exclude (_rank) from (
                select *, row_number() over (partition by {keys} order by _release desc) as _rank
                from read_parquet([{listed}], union_by_name = true)
            ) where _rank = 1 and _change <> 'removed' order by {keys}""").arrow()
        return result.read_all() if hasattr(result, "read_all") else result


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cols(names) -> str:
    return ", ".join(_q(n) for n in names)


def _write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
