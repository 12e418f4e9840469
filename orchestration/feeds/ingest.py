"""The ingestion asset every feed file gets: pull → land raw bytes → parse → Parquet (+ quarantine)."""

import hashlib
import os
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import urlparse

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq

from expectations.registry import FEED_SUITES, SuiteContext, Validation, build_data_docs, validate
from orchestration import quality_log
from orchestration.feeds.reference import OdsTrusts
from orchestration.feeds.registry import FEED_FILES, FeedFile
from orchestration.feeds.releases import Release, ReleaseFeed, ReleaseStore, read_index, release_url
from orchestration.feeds.report import FeedRejected
from orchestration.fetch import FetchError, fetch, published_on, unpack
from orchestration.landing import land
from orchestration.settings import Settings


class ExpectationsFailed(Exception):
    """The parser accepted the file, but a critical expectation of its Great Expectations suite failed: the data
    is wrong, so it is not stored and nothing stored before it is replaced."""

    def __init__(self, file: str, validation: Validation, outcome: dict):
        self.validation, self.outcome = validation, outcome
        super().__init__(f"{file} rejected by its data-quality checks — {validation.summary()}")


def check_feed_expectations(spec, table: pa.Table, settings: Settings, context: SuiteContext, run_id: str,
                            partition: str | None, file: str, outcome: dict) -> Validation:
    """Run the feed's suite on the parsed rows before they are stored; log it; refuse the data if it is wrong.
    Results go to the GX project under the home (its Data Docs are rendered at the end of a run)."""
    validation = validate(table, FEED_SUITES[spec.kind], context, settings.gx_root, run_name=run_id)
    quality_log.record_check(settings, run_id=run_id, asset="/".join(spec.asset_key_path),
                             partition=partition, suite=validation.suite, expectations=validation.evaluated,
                             failures=validation.failed)
    if validation.blocking:
        build_data_docs(settings.gx_root)  # the failing values, rendered now: this is when someone will look
        raise ExpectationsFailed(file, validation, outcome)
    return validation


def ods_trusts_table(settings: Settings) -> pa.Table | None:
    """The trusts as last stored from ODS, for the rules about organisation codes: the parsers' (unknown and closed
    trusts) and the suites'. None until the trusts feed has been ingested once (codes are then checked for shape)."""
    path = parquet_path(settings, FEED_FILES["ods-trusts"])
    return pq.read_table(path, columns=["organisation_code", "open_date", "close_date"]) if path.exists() else None


def parquet_path(settings: Settings, spec: FeedFile) -> Path:
    return settings.parquet_dir / spec.feed / f"{spec.table}.parquet"


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def _quarantine_or_reject(result, quarantine_path: Path, log) -> Path | None:
    """Failed rows go to the quarantine with their reasons (kept even when the file is refused); a refused file
    raises FeedRejected, so nothing stored before it is replaced."""
    written = None
    if result.rows_quarantined:
        write_parquet_atomic(result.quarantine_table(), quarantine_path)
        written = quarantine_path
    if not result.accepted:
        raise FeedRejected(result)
    if log and result.warnings:
        for warning in result.warnings[:20]:
            log.warning(warning.describe(result.file))
    return written


def _with_provenance(table: pa.Table, sha256: str) -> pa.Table:
    table = table.append_column("_source_sha256", pa.array([sha256] * table.num_rows, pa.string()))
    return table.append_column("_loaded_at", pa.array([datetime.now(timezone.utc)] * table.num_rows,
                                                      pa.timestamp("us", tz="UTC")))


def ingest(spec: FeedFile, settings: Settings, log=None, run_id: str = "manual") -> dict:
    """Run one feed file through the ingestion path; raise FeedRejected (the parser refused it) or
    ExpectationsFailed (its suite did) and keep the last good Parquet."""
    url = settings.feed_url(spec.kind)
    fetched = fetch(url)
    landed = land(settings.raw_dir, spec.feed, spec.table, fetched)
    file_name = Path(urlparse(url).path).name or spec.table
    result = spec.parse(unpack(fetched.content, url), file_name)

    quarantine_path = _quarantine_or_reject(result, settings.quarantine_dir / spec.feed / spec.table
                                            / f"{landed.sha256}.parquet", log)
    outcome = {
        "source_url": url,
        "sha256": landed.sha256,
        "raw_path": str(landed.path),
        "file": result.file,
        "layout": result.layout,
        "rows": result.rows,
        "rows_valid": result.rows_valid,
        "rows_quarantined": result.rows_quarantined,
        "warnings": len(result.warnings),
        "quarantine_path": str(quarantine_path) if quarantine_path else None,
        "notes": result.notes,
    }
    reference = result.valid if spec.kind == "ods-trusts" else ods_trusts_table(settings)
    outcome["validation"] = check_feed_expectations(spec, result.valid, settings, SuiteContext(ods_trusts=reference),
                                                    run_id, None, result.file, outcome)
    path = parquet_path(settings, spec)
    write_parquet_atomic(_with_provenance(result.valid, landed.sha256), path)
    outcome["parquet_path"] = str(path)
    if spec.versions is not None:
        release = Release(published_on(fetched).isoformat(), file_name, published_on(fetched))
        outcome["version"] = store_version(spec.versions, settings, release, result.valid, landed, log)
    return outcome


def store_version(spec: ReleaseFeed, settings: Settings, release: Release, table: pa.Table, landed, log) -> str:
    """Keep this version of a reference file as its delta against the versions before it; a version dated before
    ones already held re-bases them (re-read from their raw files, as received)."""
    store = ReleaseStore(settings.parquet_dir, spec)
    if store.has(release.key, landed.sha256):
        return release.key
    provenance = {"source_url": landed.source_url, "sha256": landed.sha256, "raw_path": str(landed.path),
                  "layout": None, "rows_quarantined": 0, "quarantine_path": None}
    store.store(release, _with_provenance(table, landed.sha256), provenance)
    for later in store.later_releases(release.key):
        entry = store.state()[later]
        parsed = spec.parse(unpack(Path(entry["raw_path"]).read_bytes(), entry["source_url"]), entry["file"])
        store.store(Release(later, entry["file"], date.fromisoformat(entry["published"])),
                    _with_provenance(parsed.valid, entry["sha256"]), {k: entry[k] for k in provenance})
        if log:
            log.info(f"{spec.kind} version {later} re-based on the earlier version {release.key}")
    return release.key


def gx_check_spec(spec) -> dg.AssetCheckSpec:
    suite = FEED_SUITES[spec.kind]
    return dg.AssetCheckSpec(f"gx_{suite.name}", asset=dg.AssetKey(spec.asset_key_path), blocking=True,
                             description=f"Great Expectations suite '{suite.name}' (expectations/suites/), run on "
                                         "the parsed rows before they are stored: critical expectations block, "
                                         "warnings caution.")


def gx_check_result(spec, validation: Validation) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=f"gx_{validation.suite}", asset_key=dg.AssetKey(spec.asset_key_path),
        passed=validation.success,
        severity=dg.AssetCheckSeverity.ERROR if validation.blocking else dg.AssetCheckSeverity.WARN,
        metadata={"suite": validation.suite, "expectations": validation.evaluated,
                  "failed": dg.MetadataValue.json(validation.failed)})


def ingestion_events(context: dg.AssetExecutionContext, spec, run):
    """What every ingestion asset does around its ingest function: log the outcome to the data-quality log,
    report the GX check, and turn a refusal into a Dagster failure that names file, row and column."""
    settings = Settings.from_env()
    partition = context.partition_key if context.has_partition_key else None
    log_entry = {"run_id": context.run_id, "feed": spec.kind, "asset": "/".join(spec.asset_key_path),
                 "partition": partition}
    try:
        outcome = run(settings)
    except FeedRejected as rejected:
        # The raw file and quarantine are kept; what was stored before, and everything downstream, stay as they were.
        r = rejected.result
        quality_log.record_ingestion(settings, **log_entry, file=r.file, sha256=None, layout=r.layout,
                                     rows=r.rows, rows_valid=r.rows_valid, rows_quarantined=r.rows_quarantined,
                                     outcome="rejected", message=str(rejected))
        raise dg.Failure(description=str(rejected), metadata={
            **({"release": partition} if partition else {}), "rows": r.rows, "rows_quarantined": r.rows_quarantined,
            "layout": str(r.layout)}) from None
    except ExpectationsFailed as failed:
        o = failed.outcome
        quality_log.record_ingestion(settings, **log_entry, file=o["file"], sha256=o["sha256"],
                                     layout=o["layout"], rows=o["rows"], rows_valid=o["rows_valid"],
                                     rows_quarantined=o["rows_quarantined"], outcome="rejected", message=str(failed))
        yield gx_check_result(spec, failed.validation)
        raise dg.Failure(description=str(failed)) from None
    validation = outcome.pop("validation", None)
    quality_log.record_ingestion(
        settings, **log_entry, file=outcome.get("file") or outcome.get("source_url"),
        sha256=outcome.get("sha256"), layout=outcome.get("layout"), rows=outcome.get("rows"),
        rows_valid=outcome.get("rows_valid"), rows_quarantined=outcome.get("rows_quarantined"),
        outcome="unchanged" if outcome.get("unchanged") else "stored")
    notes = outcome.pop("notes", None)
    metadata = {k: (dg.MetadataValue.json(v) if isinstance(v, (list, dict)) else v)
                for k, v in outcome.items() if v is not None}
    if notes is not None:
        metadata["notes"] = dg.MetadataValue.json(notes)
    if "rows_valid" in outcome:
        metadata["dagster/row_count"] = outcome["rows_valid"]
    if validation is None:  # the same bytes as a release already stored: validated when they were stored
        check = dg.AssetCheckResult(check_name=gx_check_spec(spec).name, asset_key=dg.AssetKey(spec.asset_key_path),
                                    passed=True, metadata={"unchanged": "these bytes passed when first stored"})
    else:
        check = gx_check_result(spec, validation)
    yield dg.MaterializeResult(metadata=metadata, check_results=[check])


def build_ingest_asset(spec: FeedFile) -> dg.AssetsDefinition:
    @dg.asset(
        key=dg.AssetKey(spec.asset_key_path),
        group_name=spec.feed,
        description=spec.description,
        kinds={"python", "parquet"},
        tags={"feed": spec.feed},
        check_specs=[gx_check_spec(spec)],
    )
    def _ingest(context: dg.AssetExecutionContext):
        yield from ingestion_events(context, spec, lambda settings: ingest(spec, settings, context.log, context.run_id))

    _ingest.__name__ = f"ingest_{spec.feed}_{spec.table}"
    return _ingest


# --- feeds published as a series of releases: one Dagster partition per release --------------------------------------

def discover_releases(spec: ReleaseFeed, settings: Settings) -> tuple[str, list[Release]]:
    index_url = settings.release_index_url(spec.kind, spec.mirror_dir)
    return index_url, read_index(fetch(index_url).content, index_url)


def ingest_release(spec: ReleaseFeed, settings: Settings, key: str, log=None, run_id: str = "manual") -> dict:
    """Pull, land, parse and store one release as its delta; later releases already stored are re-based on it."""
    index_url, releases = discover_releases(spec, settings)
    release = next((r for r in releases if r.key == key), None)
    if release is None:
        raise FetchError(f"{index_url}: no release {key!r} (listed: {', '.join(r.key for r in releases) or 'none'})")
    url = release_url(index_url, release)
    fetched = fetch(url)
    landed = land(settings.raw_dir, spec.feed, spec.table, fetched, release=key)
    store = ReleaseStore(settings.parquet_dir, spec)
    if store.has(key, landed.sha256):
        entry = store.state()[key]
        return {"source_url": url, "sha256": landed.sha256, "release": key, "unchanged": True,
                **{k: entry[k] for k in ("layout", "rows", "new", "changed", "removed") if k in entry}}
    outcome = _parse_and_store(spec, settings, release, url, landed.sha256, str(landed.path), fetched.content, log,
                               run_id)
    # A release stored out of order: every later release is a delta against this one now, so rebuild them.
    for later in store.later_releases(key):
        entry = store.state()[later]
        later_release = Release(later, entry["file"], date.fromisoformat(entry["published"]))
        content = Path(entry["raw_path"]).read_bytes()
        _parse_and_store(spec, settings, later_release, entry["source_url"], entry["sha256"], entry["raw_path"],
                         content, log, run_id=None)  # validated when first stored
        outcome.setdefault("rebased_releases", []).append(later)
    return outcome


def _parse_and_store(spec, settings, release: Release, url: str, sha256: str, raw_path: str, content: bytes,
                     log, run_id: str | None) -> dict:
    file_name = Path(urlparse(url).path).name or spec.table
    # release parsers open their own containers (a workforce zip, a spreadsheet — which is a zip too)
    trusts = ods_trusts_table(settings)
    reference = OdsTrusts.from_table(trusts, "ODS trusts as ingested") if trusts is not None else None
    result = spec.parse(content, file_name, reference=reference)
    return _store_result(spec, settings, release, url, sha256, raw_path, result, log, run_id)


def _store_result(spec, settings, release: Release, url: str, sha256: str, raw_path: str, result, log,
                  run_id: str | None) -> dict:
    """Quarantine, validate (unless `run_id` is None: a release re-based, validated when first stored), store."""
    quarantine_path = _quarantine_or_reject(result, settings.quarantine_dir / spec.feed / spec.table
                                            / f"release={release.key}" / f"{sha256}.parquet", log)
    store = ReleaseStore(settings.parquet_dir, spec)
    outcome = {"source_url": url, "sha256": sha256, "raw_path": raw_path, "file": result.file, "release": release.key,
               "published": release.published_on.isoformat(), "layout": result.layout, "rows": result.rows,
               "rows_valid": result.rows_valid, "rows_quarantined": result.rows_quarantined,
               "warnings": len(result.warnings), "quarantine_path": str(quarantine_path) if quarantine_path else None,
               "notes": result.notes}
    if run_id is not None:
        earlier = [entry for key, entry in sorted(store.state().items()) if key < release.key]
        context = SuiteContext(published_on=release.published_on,
                               previous_rows=earlier[-1]["rows"] if earlier else None,
                               ods_trusts=ods_trusts_table(settings))
        outcome["validation"] = check_feed_expectations(spec, result.valid, settings, context, run_id, release.key,
                                                        result.file, outcome)
    provenance = {"source_url": url, "sha256": sha256, "raw_path": raw_path, "layout": result.layout,
                  "rows_quarantined": result.rows_quarantined,
                  "quarantine_path": str(quarantine_path) if quarantine_path else None}
    counts = store.store(release, _with_provenance(result.valid, sha256), provenance)
    return {**outcome, "delta_path": str(store.delta_path(release.key)), **counts}


def ingest_api_pull(spec: ReleaseFeed, settings: Settings, key: str, log=None, run_id: str = "manual") -> dict:
    """Pull every CQC location document (resumable; faults retried), land each as received, parse each, and store
    the pull as a release: what changed since the last pull."""
    from orchestration.feeds.cqc.api_pull import pull_documents
    from orchestration.feeds.report import Issue, ParseResult
    from orchestration.fetch import Fetched

    base = settings.cqc_api_url()
    documents = pull_documents(base, settings.cqc_api_key, settings.raw_dir, key, log)
    combined = ParseResult(file=f"{base} (pull {key})", kind=spec.kind, layout=None, valid=pa.table({}),
                           max_quarantined_share=0.01)
    tables, layouts = [], set()
    for location_id, content in documents.items():
        if base.startswith("file:"):  # from the API the pull lands each page and document itself
            land(settings.raw_dir, spec.feed, spec.table,
                 Fetched(f"{base}/locations/{location_id}.json", content, datetime.now(timezone.utc)), release=key)
        result = spec.parse(content, f"{location_id}.json")
        combined.rows += max(result.rows, 1 if result.file_errors else 0)
        if result.file_errors:  # one unreadable document: quarantined whole, the others go on
            combined.quarantined.append({"row": 0, "reason": f"{location_id}: {result.file_errors[0].message}",
                                         "record": content[:500].decode("utf-8", "replace")})
            combined.issues.append(Issue(f"{location_id}: {result.file_errors[0].message}"))
            continue
        layouts.add(result.layout)
        combined.quarantined += [dict(q, reason=f"{location_id}: {q['reason']}") for q in result.quarantined]
        combined.issues += result.issues
        tables.append(result.valid)
    combined.layout = ",".join(sorted(layouts)) or None
    combined.valid = pa.concat_tables(tables) if tables else pa.table({})
    combined.notes = {"documents": len(documents), "source": base}
    if not documents:
        combined.issues.append(Issue("the API listed no locations", whole_file=True))
    sha = hashlib.sha256(b"".join(documents[k] for k in sorted(documents))).hexdigest()
    return _store_result(spec, settings, Release(key, "(api pull)", date.fromisoformat(key)), base, sha,
                         str(settings.raw_dir / spec.feed), combined, log, run_id)


def release_partitions(spec: ReleaseFeed) -> dg.DynamicPartitionsDefinition:
    return dg.DynamicPartitionsDefinition(name=spec.partitions_name)


def build_release_asset(spec: ReleaseFeed, ingest_partition=None) -> dg.AssetsDefinition:
    ingest_partition = ingest_partition or ingest_release
    @dg.asset(
        key=dg.AssetKey(spec.asset_key_path),
        group_name=spec.feed,
        description=spec.description + f" One partition per release ({spec.partitioned_by}); each stored as "
                                       "its changes against the release before it.",
        partitions_def=release_partitions(spec),
        kinds={"python", "parquet"},
        tags={"feed": spec.feed, **({"access": "restricted"} if spec.restricted else {})},
        check_specs=[gx_check_spec(spec)],
    )
    def _ingest(context: dg.AssetExecutionContext):
        yield from ingestion_events(context, spec, lambda settings: ingest_partition(
            spec, settings, context.partition_key, context.log, context.run_id))

    _ingest.__name__ = f"ingest_{spec.feed}_{spec.table}"
    return _ingest


def build_release_job(spec: ReleaseFeed):
    return dg.define_asset_job(f"ingest_{spec.feed}_{spec.table}_releases",
                               selection=dg.AssetSelection.assets(dg.AssetKey(spec.asset_key_path)),
                               partitions_def=release_partitions(spec),
                               description=f"Ingest one release of {spec.kind} (partition = release).")


def build_release_sensor(spec: ReleaseFeed, job) -> dg.SensorDefinition:
    """Looks at the release index and asks for a run of every release not yet a partition."""

    @dg.sensor(name=f"{spec.feed}_{spec.table}_new_releases", job=job, minimum_interval_seconds=3600,
               default_status=dg.DefaultSensorStatus.STOPPED)
    def _sensor(context: dg.SensorEvaluationContext):
        _, releases = discover_releases(spec, Settings.from_env())
        known = set(context.instance.get_dynamic_partitions(spec.partitions_name))
        new = [r.key for r in releases if r.key not in known]
        if not new:
            return dg.SkipReason(f"no new {spec.kind} release")
        return dg.SensorResult(
            run_requests=[dg.RunRequest(partition_key=k, run_key=f"{spec.partitions_name}:{k}") for k in new],
            dynamic_partitions_requests=[release_partitions(spec).build_add_request(new)])

    return _sensor
