"""What a feed says about itself: one declaration per feed, kept in the feed's own folder (`feeds/<feed>/`).

A declaration names the feed's check-feed kind, the folders it lands in, its parser (called through the guard) and
the columns the parser gives, where it is pulled from, and — for a series — its keys, its scope and how its
partitions read. The pipeline (`pipeline.py`), the Dagster definitions (`assets.py`), `oversight check-feed` and
the dbt sources all read these declarations; nothing else keeps a list of feeds.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pyarrow as pa

from orchestration.feeds.guard import guarded
from orchestration.feeds.report import ParseResult

# The columns the pipeline adds to every parsed row: the SHA-256 of the raw file it came from.
PROVENANCE = pa.schema([("_source_sha256", pa.string())])
MB = 1 << 20


@dataclass(frozen=True)
class Feed:
    kind: str                  # the check-feed kind, e.g. sickness-absence
    feed: str                  # the publisher's folder under raw/, parquet/, quarantine/ (ods, cqc, workforce…)
    table: str                 # the table: Parquet name, dbt source table
    parse: Callable[..., ParseResult]   # the guarded parser (feeds/guard.py)
    schema: pa.Schema          # the columns the parser gives (typed): also what an empty series reads as
    description: str
    expected: str              # what the file is, for the message refusing something else ("a sickness absence CSV")
    restricted: bool = False   # in-year finance returns: not public (DOMAIN.md, access)
    reference: tuple[str, ...] = ()   # kinds whose stored rows this feed is checked against (ods-trusts…)
    # a rule across files, run on the parsed rows before the suite: (result, pipeline.References) -> None
    check_references: Callable | None = None
    # The most one file of this feed may be — as downloaded, and as any zip member of it unpacks — with room to grow
    # over the largest real one: past it a download is stopped (orchestration/fetch.py) and a file or zip refused
    # unparsed (the guard), so gigabytes where kilobytes were expected, or a zip bomb, never fill memory or disk.
    max_bytes: int = 256 * MB

    def __post_init__(self):  # every parser is called through the guard, whoever calls it
        object.__setattr__(self, "parse", guarded(self.kind, self.parse, self.expected, self.schema,
                                                  self.max_bytes))

    @property
    def asset_key_path(self) -> list[str]:
        return [self.feed, self.table]

    @property
    def asset(self) -> str:
        return "/".join(self.asset_key_path)

    @property
    def stored_schema(self) -> pa.Schema:
        return pa.schema([*self.schema, *PROVENANCE])


@dataclass(frozen=True)
class CurrentFile(Feed):
    """A single file the publisher replaces (ODS etr.csv, succ.csv; the ONS ICB names)."""
    mirror_path: str = ""      # where a mirror of the feeds holds it (ods/etr.csv)
    production_url: str = ""   # the publisher's address
    keys: tuple[str, ...] = () # with `keep_versions`: what identifies a row across versions
    keep_versions: bool = False   # also keep every version received, as deltas dated by its publication
    versions_table: str = ""   # … in this table (ods/trust_versions)
    versions_description: str = ""

    @property
    def url_variable(self) -> str:  # e.g. OVERSIGHT_ODS_TRUSTS_URL: one file's URL, winning over the mirror
        return "OVERSIGHT_" + self.kind.upper().replace("-", "_") + "_URL"

    @property
    def versions_key_path(self) -> list[str]:
        return [self.feed, self.versions_table]


@dataclass(frozen=True)
class ReleaseSeries(Feed):
    """A feed published as a series of releases (monthly files, annual workbooks, ratings snapshots): one Dagster
    partition per release, each stored as its changes against the releases before it (feeds/store.py)."""
    keys: tuple[str, ...] = ()   # what identifies one row within a release
    scope: str = "whole"         # "whole", or the period column a release covers (feeds/store.py)
    mirror_dir: str = ""         # the folder of its files and their releases.json in a mirror
    partitioned_by: str = ""     # how partition keys read: month, financial year, release date, pull date

    @property
    def partitions_name(self) -> str:
        return f"{self.feed}_{self.table}_releases"

    @property
    def index_variable(self) -> str:  # e.g. OVERSIGHT_SICKNESS_ABSENCE_INDEX_URL
        return "OVERSIGHT_" + self.kind.upper().replace("-", "_") + "_INDEX_URL"


@dataclass(frozen=True)
class ApiFeed(ReleaseSeries):
    """A feed pulled from an API whole (every CQC location document), one partition per pull date. `parse` reads one
    document (what check-feed checks); `pull` fetches every document and lands each as received."""
    pull: Callable | None = None
