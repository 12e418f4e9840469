"""The one ingestion pipeline every feed goes through: fetch → land → parse → validate → store.

Three sources of bytes share it — a current file (ODS etr.csv), one release of a series (a month of sickness
absence), a pull of an API (every CQC location document) — and from the bytes on every step is the same:
- **parse** through the guard (`guard.py`): structure and row rules; bad rows quarantined with their reason;
- **validate**: the feed's cross-file rules (`Feed.check_references`) and its Great Expectations suite, on the
  rows the parser accepted, with what it needs beyond the file (`References`: the ODS trusts and ICB names already
  stored, the release's publication date, the rows of the release before it, the day of the check);
- **store**: the current file's Parquet, or the release store (`store.py`), which keeps its own invariants.

`check` is the parse-and-validate part alone, in memory: `oversight check-feed` runs exactly it, so a file is
judged the same way on a data engineer's desk as in the pipeline. What passes between the steps is typed
(`References`, `Checked`, `Outcome`), and "today" is the run's `as_at`, passed in.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration import quality_log
from orchestration.feeds import ods
from orchestration.feeds.reference import OdsTrusts
from orchestration.feeds.report import FeedRejected, Issue, ParseResult
from orchestration.feeds.spec import ApiFeed, CurrentFile, Feed, ReleaseSeries
from orchestration.feeds.store import (INDEX_MAX_BYTES, Received, Release, ReleaseStore, StoredRelease, read_index,
                                       release_url)
from orchestration.fetch import FetchError, Fetched, TooLarge, fetch, published_on
from orchestration.files import write_parquet_atomic
from orchestration.landing import land
from orchestration.settings import Settings

if TYPE_CHECKING:  # Great Expectations takes seconds to import: only where a suite runs (check-feed without it)
    from expectations.registry import SuiteContext, Validation

Status = Literal["stored", "unchanged", "rejected"]
HELD_METADATA = b"oversight.held"   # a current file's Parquet says what it was built from (JSON)


@dataclass(frozen=True)
class References:
    """What a file is checked against beyond itself. Anything None is not checked (and the report says so)."""
    ods_trusts: pa.Table | None = None      # organisation_code, open_date, close_date
    ods_trusts_source: str = "ODS trusts as ingested"
    icb_names: pa.Table | None = None       # icb_ods_code, icb_ons_code, icb_name
    icb_names_source: str = "ONS ICB names as ingested"
    published_on: date | None = None        # the release's publication date (freshness rules)
    previous_rows: int | None = None        # rows of the release stored before it (volume rules)

    def ods(self) -> OdsTrusts | None:
        return OdsTrusts.from_table(self.ods_trusts, self.ods_trusts_source) if self.ods_trusts is not None else None

    def suite_context(self, as_at: date) -> SuiteContext:
        from expectations.registry import SuiteContext
        return SuiteContext(published_on=self.published_on, previous_rows=self.previous_rows,
                            ods_trusts=self.ods_trusts)


@dataclass(frozen=True)
class Checked:
    """A file parsed and validated: what `check-feed` reports, and what the pipeline stores if it is accepted."""
    feed: Feed
    result: ParseResult
    validation: Validation | None   # None: the parser refused it, so the suite did not run

    @property
    def accepted(self) -> bool:
        return self.result.accepted and (self.validation is None or not self.validation.blocking)

    def refusal(self) -> str | None:
        if not self.result.accepted:
            return str(FeedRejected(self.result))
        if self.validation is not None and self.validation.blocking:
            return f"{self.result.file} rejected by its data-quality checks — {self.validation.summary()}"
        return None


@dataclass(frozen=True)
class Outcome:
    """One ingestion attempt of one file, release or pull."""
    feed: Feed
    status: Status
    source_url: str
    file: str
    partition: str | None = None
    sha256: str | None = None
    layout: str | None = None
    rows: int | None = None
    rows_valid: int | None = None
    rows_quarantined: int | None = None
    warnings: int = 0
    quarantine_path: str | None = None
    published_on: date | None = None
    received_on: date | None = None
    new: int | None = None
    changed: int | None = None
    removed: int | None = None
    rebased: tuple[str, ...] = ()
    validation: Validation | None = None
    reason: str | None = None       # why it was refused (the whole message)
    notes: dict = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        return self.status == "rejected"

    def summary(self) -> str:
        """One line for a person: what happened to this file or release."""
        what = f"{self.feed.kind}" + (f" {self.partition}" if self.partition else "")
        if self.status == "rejected":
            first = (self.reason or "").splitlines()[0] if self.reason else "refused"
            return f"{what}: REFUSED — {first}"
        if self.status == "unchanged":
            return f"{what}: unchanged (the same bytes as stored)"
        counts = f", {self.new} new, {self.changed} changed, {self.removed} removed" if self.new is not None else ""
        quarantined = f", {self.rows_quarantined} quarantined" if self.rows_quarantined else ""
        rebased = f"; re-based {', '.join(self.rebased)}" if self.rebased else ""
        return f"{what}: stored {self.rows_valid} of {self.rows} rows{quarantined}{counts}{rebased}"


def unchanged_summary(feed: Feed, partitions: list[str]) -> str:
    """One line for a person for the releases of a series found as stored (a no-op run lists hundreds)."""
    span = partitions[0] if len(partitions) == 1 else f"{min(partitions)} … {max(partitions)}"
    return f"{feed.kind}: {len(partitions)} release{'s' if len(partitions) > 1 else ''} unchanged ({span}; the " \
           "same bytes as stored)"


@dataclass(frozen=True)
class Run:
    """Who is ingesting, and the day it is for them: every rule that needs "today" gets `as_at`."""
    settings: Settings
    as_at: date
    run_id: str = "manual"
    log: object | None = None   # a logger (Dagster's context.log), for cautions


# --- check: parse and validate, in memory --------------------------------------------------------------------------

def check(feed: Feed, content: bytes, file: str, references: References, as_at: date, *, expectations: bool = True,
          gx_root: Path | None = None, run_name: str | None = None) -> Checked:
    """Parse through the guard, apply the cross-file rules, and run the suite on the rows accepted (unless
    `expectations` is off: check-feed without --expectations). With `gx_root` the suite's results are kept in that
    Great Expectations project (the pipeline); without, nothing is written."""
    result = feed.parse(content, file, reference=references.ods(), as_at=as_at)
    return validate_parsed(feed, result, references, as_at, expectations=expectations, gx_root=gx_root,
                           run_name=run_name)


def validate_parsed(feed: Feed, result: ParseResult, references: References, as_at: date, *, expectations: bool = True,
                    gx_root: Path | None = None, run_name: str | None = None) -> Checked:
    if result.accepted and feed.check_references is not None:
        feed.check_references(result, references)
    if not result.accepted or not expectations:
        return Checked(feed, result, None)
    from expectations.registry import FEED_SUITES, validate
    validation = validate(result.valid, FEED_SUITES[feed.kind], references.suite_context(as_at), gx_root,
                          run_name=run_name)
    return Checked(feed, result, validation)


# --- the three ways bytes arrive -----------------------------------------------------------------------------------

def ingest_current(feed: CurrentFile, run: Run, references: References) -> Outcome:
    """A current file: replaces the stored one if its bytes changed; every version kept if the feed says so."""
    settings = run.settings
    url = settings.feed_url(feed)
    file = Path(urlparse(url).path).name or feed.table
    try:
        fetched = fetch(url, settings.patience(feed.max_bytes))
    except TooLarge as refused:
        return _too_large(feed, url, file, None, refused, run)
    landed = land(settings.raw_dir, feed.feed, feed.table, fetched)
    path = current_path(settings, feed)
    base = dict(feed=feed, source_url=url, file=file, sha256=landed.sha256, received_on=run.as_at,
                published_on=published_on(fetched))
    held = current_held(settings, feed)
    if held and held.get("sha256") == landed.sha256 and (
            not feed.keep_versions or any(v.sha256 == landed.sha256 for v in versions_store(settings, feed)
                                          .state().values())):
        return Outcome(status="unchanged", **base)
    checked = _checked(feed, fetched.content, file, references, run, partition=None)
    quarantine = _quarantine(checked, settings.quarantine_dir / feed.feed / feed.table / f"{landed.sha256}.parquet")
    if not checked.accepted:
        return _refused(checked, quarantine, **base)
    table = with_provenance(checked.result.valid, landed.sha256)
    current = table.append_column("_received_on", pa.array([run.as_at] * table.num_rows, pa.date32()))
    held = {"file": file, "sha256": landed.sha256, "published_on": base["published_on"].isoformat(),
            "received_on": run.as_at.isoformat(), "rows": checked.result.rows,
            "rows_quarantined": checked.result.rows_quarantined, "layout": checked.result.layout}
    write_parquet_atomic(current.replace_schema_metadata({HELD_METADATA: json.dumps(held).encode()}), path)
    counts = {}
    if feed.keep_versions:
        release = Release(base["published_on"].isoformat(), file, base["published_on"])
        stored = versions_store(settings, feed).store(_received(release, table, run, landed.sha256, url,
                                                                str(landed.path), checked, quarantine))
        counts = {"new": stored.release.new, "changed": stored.release.changed, "removed": stored.release.removed,
                  "rebased": stored.rebased}
    return _stored(checked, quarantine, **base, **counts)


def ingest_release(feed: ReleaseSeries, key: str, run: Run, references: References) -> Outcome:
    """One release of a series, stored as its delta; the store re-bases later releases if this one arrived late."""
    settings = run.settings
    index_url, releases = discover(feed, settings)
    release = next((r for r in releases if r.key == key), None)
    if release is None:
        raise FetchError(f"{index_url}: no release {key!r} (listed: {', '.join(r.key for r in releases) or 'none'})")
    url = release_url(index_url, release)
    try:
        fetched = fetch(url, settings.patience(feed.max_bytes))
    except TooLarge as refused:
        return _too_large(feed, url, Path(urlparse(url).path).name, key, refused, run, release.published_on)
    landed = land(settings.raw_dir, feed.feed, feed.table, fetched, release=key)
    store = release_store(settings, feed)
    base = dict(feed=feed, source_url=url, file=Path(urlparse(url).path).name, partition=key, sha256=landed.sha256,
                published_on=release.published_on, received_on=run.as_at)
    if store.has(key, landed.sha256):
        return Outcome(status="unchanged", **base)
    references = _release_references(references, store, release)
    checked = _checked(feed, fetched.content, base["file"], references, run, partition=key)
    return _store_release(store, release, checked, run, str(landed.path), base)


def held_as_landed(feed: ReleaseSeries, keys: list[str], settings: Settings) -> list[str]:
    """Those of `keys` whose release is stored from the bytes last landed for it and whose file is still those bytes
    by its validators (size and modification time, or the web server's ETag or Last-Modified), asked without
    fetching it: a run need not fetch, hash and check them again. A release without validators, from another URL,
    or whose validators changed or cannot be had, is not among them: it is fetched and checked as usual. An API's
    pull (its key the day) is held once stored: the API is pulled once a day, as its sensor asks (a pull that failed
    stored nothing, so the next run pulls again, resuming where it stopped)."""
    from orchestration.fetch import probe
    from orchestration.landing import last_landings

    if isinstance(feed, ApiFeed):   # a pull has no validators: the day's is held once it is stored (a pull a day)
        store = release_store(settings, feed)
        stored = store.state()
        return [key for key in keys if key in stored and store.delta_path(key).exists()]
    landings = last_landings(settings.raw_dir, feed.feed, feed.table)
    store = release_store(settings, feed)
    state = store.state()
    index_url, releases = discover(feed, settings)
    listed = {r.key: r for r in releases}
    held = []
    for key in keys:
        entry, stored, release = landings.get(key), state.get(key), listed.get(key)
        if not (entry and stored and release and entry.get("validators")) or stored.sha256 != entry["sha256"] \
                or not store.delta_path(key).exists():
            continue
        url = release_url(index_url, release)
        if entry["source_url"] == url and stored.source_url == url and probe(url, settings.patience(feed.max_bytes)) \
                == entry["validators"]:
            held.append(key)
    return held


def ingest_pull(feed: ApiFeed, key: str, run: Run, references: References) -> Outcome:
    """A pull of every document of an API (resumable; faults retried), each landed as received and parsed on its
    own; the pull is stored as one release: what changed since the last pull."""
    settings = run.settings
    base_url = settings.cqc_api_url()
    documents = feed.pull(base_url, settings.cqc_api_key, settings.raw_dir, key, run.log,
                          patience=settings.patience(feed.max_bytes))
    if base_url.startswith("file:"):  # from the API the pull lands each page and document itself
        for name, content in documents.items():
            land(settings.raw_dir, feed.feed, feed.table,
                 Fetched(f"{base_url}/locations/{name}.json", content, _received_at(run)), release=key)
    sha = hashlib.sha256(b"".join(documents[k] for k in sorted(documents))).hexdigest()
    store = release_store(settings, feed)
    base = dict(feed=feed, source_url=base_url, file=f"{base_url} (pull {key})", partition=key, sha256=sha,
                published_on=run.as_at, received_on=run.as_at)
    if store.has(key, sha):
        return Outcome(status="unchanged", **base)
    release = Release(key, "(api pull)", run.as_at)
    references = _release_references(references, store, release)
    combined = combine_documents(feed, documents, base["file"], references, run.as_at)
    checked = validate_parsed(feed, combined, references, run.as_at, gx_root=settings.gx_root, run_name=run.run_id)
    _record_check(checked, run, key)
    return _store_release(store, release, checked, run, None, base)


def combine_documents(feed: ApiFeed, documents: dict[str, bytes], file: str, references: References,
                      as_at: date) -> ParseResult:
    """Every document parsed on its own; one unreadable document is quarantined whole and the others go on."""
    combined = ParseResult(file=file, kind=feed.kind, layout=None, valid=feed.schema.empty_table(),
                           max_quarantined_share=0.01)
    tables, layouts = [], set()
    for name, content in documents.items():
        result = feed.parse(content, f"{name}.json", reference=references.ods(), as_at=as_at)
        combined.rows += max(result.rows, 1 if result.file_errors else 0)
        if result.file_errors:
            combined.quarantine_row(0, content[:500].decode("utf-8", "replace"),
                                    [Issue(f"{name}: {result.file_errors[0].message}", row=0,
                                           rule=result.file_errors[0].rule)])
            continue
        layouts.add(result.layout)
        combined.quarantined += [dict(q, reason=f"{name}: {q['reason']}") for q in result.quarantined]
        combined.issues += result.issues
        tables.append(result.valid)
    combined.layout = ",".join(sorted(layouts)) or None
    if tables:
        combined.valid = pa.concat_tables(tables)
    combined.notes = {"documents": len(documents)}
    if not documents:
        combined.reject_file(Issue("the API listed no locations", whole_file=True, rule="empty_file"))
    return combined


# --- where things are stored ---------------------------------------------------------------------------------------

def current_path(settings: Settings, feed: CurrentFile) -> Path:
    return settings.parquet_dir / feed.feed / f"{feed.table}.parquet"


def current_held(settings: Settings, feed: CurrentFile) -> dict | None:
    """What the stored current file was built from (file, sha256, publication and receipt dates, rows), or None."""
    path = current_path(settings, feed)
    if not path.exists():
        return None
    held = json.loads((pq.read_schema(path).metadata or {}).get(HELD_METADATA, b"{}"))
    for day in ("published_on", "received_on"):
        held[day] = date.fromisoformat(held[day]) if held.get(day) else None
    return held or None


def release_store(settings: Settings, feed: ReleaseSeries) -> ReleaseStore:
    """The store of a series, able to re-read any release it holds (the raw file as received, parsed again against
    the ODS trusts stored now) when a late release makes it re-base the later ones."""
    def load(entry: StoredRelease) -> pa.Table:
        if entry.raw_path is None:
            raise RuntimeError(f"{feed.kind} release {entry.key} was pulled as many files and cannot be re-read "
                               "to re-base it: pull it again")
        result = feed.parse(Path(entry.raw_path).read_bytes(), entry.file, reference=stored_references(settings).ods(),
                            as_at=entry.received_on)
        if not result.accepted:
            raise FeedRejected(result)
        return with_provenance(result.valid, entry.sha256)

    return ReleaseStore(settings.parquet_dir / feed.feed / feed.table, feed.keys, feed.scope, feed.stored_schema, load)


def versions_store(settings: Settings, feed: CurrentFile) -> ReleaseStore:
    def load(entry: StoredRelease) -> pa.Table:
        result = feed.parse(Path(entry.raw_path).read_bytes(), entry.file, as_at=entry.received_on)
        if not result.accepted:
            raise FeedRejected(result)
        return with_provenance(result.valid, entry.sha256)

    return ReleaseStore(settings.parquet_dir / feed.feed / feed.versions_table, feed.keys, "whole",
                        feed.stored_schema, load)


def stored_references(settings: Settings) -> References:
    """The reference data as stored: what the next file is checked against (None until first ingested)."""
    def read(feed: CurrentFile, columns: list[str]) -> pa.Table | None:
        path = current_path(settings, feed)
        return pq.read_table(path, columns=columns) if path.exists() else None

    return References(ods_trusts=read(ods.TRUSTS, ["organisation_code", "open_date", "close_date"]),
                      icb_names=read(ods.ICB_NAMES, ["icb_ods_code", "icb_ons_code", "icb_name"]))


def discover(feed: ReleaseSeries, settings: Settings) -> tuple[str, list[Release]]:
    index_url = settings.release_index_url(feed)
    return index_url, read_index(fetch(index_url, settings.patience(INDEX_MAX_BYTES)).content, index_url)


def with_provenance(table: pa.Table, sha256: str) -> pa.Table:
    return table.append_column("_source_sha256", pa.array([sha256] * table.num_rows, pa.string()))


# --- the steps' shared parts ---------------------------------------------------------------------------------------

def _release_references(references: References, store: ReleaseStore, release: Release) -> References:
    """A release is checked against its own publication date and the size of the release before it."""
    previous = store.previous(release.key)
    return _replace(references, published_on=release.published_on, previous_rows=previous.rows if previous else None)


def _store_release(store: ReleaseStore, release: Release, checked: Checked, run: Run, raw_path: str | None,
                   base: dict) -> Outcome:
    """Quarantine what the parser refused (kept even when the release is refused), then store the release — unless
    it was refused — as its delta; the store re-bases the releases after it."""
    feed, sha = checked.feed, base["sha256"]
    quarantine = _quarantine(checked, run.settings.quarantine_dir / feed.feed / feed.table / f"release={release.key}"
                             / f"{sha}.parquet")
    if not checked.accepted:
        return _refused(checked, quarantine, **base)
    stored = store.store(_received(release, with_provenance(checked.result.valid, sha), run, sha, base["source_url"],
                                   raw_path, checked, quarantine))
    return _stored(checked, quarantine, **base, new=stored.release.new, changed=stored.release.changed,
                   removed=stored.release.removed, rebased=stored.rebased)


def _checked(feed: Feed, content: bytes, file: str, references: References, run: Run, partition: str | None) -> Checked:
    checked = check(feed, content, file, references, run.as_at, gx_root=run.settings.gx_root, run_name=run.run_id)
    _record_check(checked, run, partition)
    return checked


def _record_check(checked: Checked, run: Run, partition: str | None) -> None:
    validation = checked.validation
    if validation is None:
        return
    quality_log.record_check(run.settings, run_id=run.run_id, asset=checked.feed.asset, partition=partition,
                             suite=validation.suite, expectations=validation.evaluated, failures=validation.failed)
    if validation.blocking:
        from expectations.registry import build_data_docs
        build_data_docs(run.settings.gx_root)  # the failing values, rendered now: this is when someone will look


def _quarantine(checked: Checked, path: Path) -> str | None:
    """Failed rows go to the quarantine with their reasons, kept even when the file is refused."""
    if not checked.result.rows_quarantined:
        return None
    write_parquet_atomic(checked.result.quarantine_table(), path)
    return str(path)


def _counts(checked: Checked) -> dict:
    r = checked.result
    return dict(layout=r.layout, rows=r.rows, rows_valid=r.rows_valid, rows_quarantined=r.rows_quarantined,
                warnings=len(r.warnings), validation=checked.validation, notes=r.notes)


def _refused(checked: Checked, quarantine: str | None, **base) -> Outcome:
    return Outcome(status="rejected", quarantine_path=quarantine, reason=checked.refusal(), **_counts(checked), **base)


def _stored(checked: Checked, quarantine: str | None, **base) -> Outcome:
    return Outcome(status="stored", quarantine_path=quarantine, **_counts(checked), **base)


def _too_large(feed: Feed, url: str, file: str, key: str | None, refused: TooLarge, run: Run,
               published: date | None = None) -> Outcome:
    """A download stopped at the feed's size limit: refused like a bad file (one message, in the data-quality log),
    with nothing landed or stored."""
    return Outcome(feed=feed, status="rejected", source_url=url, file=file, partition=key, published_on=published,
                   received_on=run.as_at, reason=f"{file} refused before it was landed: {refused} [too_large]")


def _received(release: Release, table: pa.Table, run: Run, sha256: str, url: str, raw_path: str | None,
              checked: Checked, quarantine: str | None) -> Received:
    return Received(release, table, run.as_at, sha256, url, raw_path, checked.result.layout, checked.result.rows,
                    checked.result.rows_quarantined, quarantine)


def _replace(references: References, **changes) -> References:
    import dataclasses
    return dataclasses.replace(references, **changes)


def _received_at(run: Run):
    from datetime import datetime, time, timezone
    return datetime.combine(run.as_at, time(), timezone.utc)


def outcome_metadata(outcome: Outcome) -> dict:
    """The outcome as Dagster metadata and log fields (plain values)."""
    fields = {"status": outcome.status, "source_url": outcome.source_url, "file": outcome.file,
              "sha256": outcome.sha256, "layout": outcome.layout, "rows": outcome.rows,
              "rows_valid": outcome.rows_valid, "rows_quarantined": outcome.rows_quarantined,
              "warnings": outcome.warnings, "quarantine_path": outcome.quarantine_path,
              "published_on": outcome.published_on.isoformat() if outcome.published_on else None,
              "received_on": outcome.received_on.isoformat() if outcome.received_on else None,
              "new": outcome.new, "changed": outcome.changed, "removed": outcome.removed,
              "rebased": list(outcome.rebased) or None, "notes": json.loads(json.dumps(outcome.notes, default=str))}
    return {k: v for k, v in fields.items() if v is not None}
