"""The Dagster definitions of a feed, built from its declaration: each feed folder exports `feed_definitions(FEEDS)`
(`feeds/<feed>/definitions.py`) and the code location merges them.

- A current file is one asset; a series is one asset partitioned by release (dynamic partitions, discovered from
  the release index), run as a **single-run backfill** where many releases are asked for at once (their keys
  stored in order, in one run); an API pull is partitioned by pull date.
- Every ingestion asset carries its feed suite as a blocking check, and materialises only what it stored: a release
  whose bytes are already held is observed as unchanged, so nothing downstream is rebuilt for it.
- A **sensor** per series asks for the releases its index lists that the instance does not hold yet, and those whose
  file's validators changed since it was landed (`wanted_keys`, which `oversight run` plans by too); the API pull's
  sensor asks for the day's pull. The schedule and the automation of what depends on the feeds are the code
  location's (`orchestration/definitions.py`).
"""

from dataclasses import dataclass
from datetime import date, datetime, timezone

import dagster as dg

from expectations.registry import FEED_SUITES
from orchestration import quality_log
from orchestration.feeds import pipeline
from orchestration.feeds.spec import ApiFeed, CurrentFile, Feed, ReleaseSeries
from orchestration.progress import OUTCOME_PREFIX
from orchestration.settings import Settings

AS_AT_TAG = "oversight/as_at"   # the run's "as at" date (YYYY-MM-DD): every rule's "today"


def as_at_of(context) -> date:
    """The run's as-at date: its tag, else the day the run was created (so one run has one day, however long)."""
    tag = context.run.tags.get(AS_AT_TAG)
    if tag:
        return date.fromisoformat(tag)
    record = context.instance.get_run_record_by_id(context.run_id)
    created = record.create_timestamp if record is not None else datetime.now(timezone.utc)
    return created.astimezone(timezone.utc).date()


def pipeline_run(context) -> pipeline.Run:
    return pipeline.Run(Settings.from_env(), as_at_of(context), context.run_id, context.log)


def asset_key(feed: Feed) -> dg.AssetKey:
    return dg.AssetKey(feed.asset_key_path)


def check_name(feed: Feed) -> str:
    return f"gx_{FEED_SUITES[feed.kind].name}"


def _check_spec(feed: Feed) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(check_name(feed), asset=asset_key(feed), blocking=True,
                             description=f"Great Expectations suite '{FEED_SUITES[feed.kind].name}' "
                                         "(expectations/suites/), run on the parsed rows before they are stored: "
                                         "critical expectations block, warnings caution.")


def _deps(feed: Feed) -> list[dg.AssetKey]:
    from orchestration.feeds.catalog import FEEDS
    return [asset_key(FEEDS[kind]) for kind in feed.reference]


def record(outcome: pipeline.Outcome, run: pipeline.Run) -> None:
    """Every attempt goes to the data-quality log, whether it stored, found nothing new or was refused."""
    quality_log.record_ingestion(
        run.settings, run_id=run.run_id, feed=outcome.feed.kind, asset=outcome.feed.asset,
        partition=outcome.partition, file=outcome.file, sha256=outcome.sha256, layout=outcome.layout,
        rows=outcome.rows, rows_valid=outcome.rows_valid, rows_quarantined=outcome.rows_quarantined,
        outcome=outcome.status, message=outcome.reason or "")


def _metadata(outcome: pipeline.Outcome) -> dict:
    metadata = {k: (dg.MetadataValue.json(v) if isinstance(v, (list, dict)) else v)
                for k, v in pipeline.outcome_metadata(outcome).items()}
    if outcome.rows_valid is not None:
        metadata["dagster/row_count"] = outcome.rows_valid
    return metadata


def ingestion_events(context, outcomes: list[pipeline.Outcome], run: pipeline.Run, feed: Feed):
    """What an ingestion asset reports for the files it handled: for a series, a materialisation per release stored
    and an observation per release unchanged; for a current file, one materialisation either way (its data version
    the file's SHA-256, so an unchanged file is seen as such, and the refresh run goes on). Then one check result for
    the suite, and a failure naming every file refused — after the others were stored."""
    unchanged = []
    for outcome in outcomes:
        record(outcome, run)
        if outcome.status == "unchanged" and not isinstance(feed, CurrentFile):
            unchanged.append(outcome.partition)   # one line for them all: each line is an event Dagster stores
        else:
            context.log.info(OUTCOME_PREFIX + outcome.summary())
        if isinstance(feed, CurrentFile):
            continue
        if outcome.status == "stored":
            yield dg.AssetMaterialization(asset_key=asset_key(feed), partition=outcome.partition,
                                          metadata=_metadata(outcome))
        elif outcome.status == "unchanged":
            context.log_event(dg.AssetObservation(asset_key=asset_key(feed), partition=outcome.partition,
                                                  metadata={"status": "unchanged", "sha256": outcome.sha256}))
    if unchanged:
        context.log.info(OUTCOME_PREFIX + pipeline.unchanged_summary(feed, unchanged))
    validations = [o.validation for o in outcomes if o.validation is not None]
    failed = [f for v in validations for f in v.failed]
    blocking = any(v.blocking for v in validations)
    check = dg.AssetCheckResult(
        check_name=check_name(feed), asset_key=asset_key(feed), passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
        metadata={"suite": FEED_SUITES[feed.kind].name,
                  "evaluated": dg.MetadataValue.json({o.partition or "file": o.validation.evaluated
                                                      for o in outcomes if o.validation is not None}),
                  "unchanged": sum(o.status == "unchanged" for o in outcomes),
                  "failed": dg.MetadataValue.json(failed)})
    refused = [o for o in outcomes if o.refused]
    if isinstance(feed, CurrentFile) and not refused:
        [outcome] = outcomes
        yield dg.MaterializeResult(metadata=_metadata(outcome), check_results=[check],
                                   data_version=dg.DataVersion(outcome.sha256))
        return
    yield check
    if refused:
        raise dg.Failure(
            description="\n\n".join(o.reason or o.summary() for o in refused),
            metadata={"refused": dg.MetadataValue.json([o.partition or o.file for o in refused]),
                      "stored": dg.MetadataValue.json([o.partition or o.file for o in outcomes
                                                       if o.status == "stored"])})


# --- builders ------------------------------------------------------------------------------------------------------

def current_file_asset(feed: CurrentFile) -> dg.AssetsDefinition:
    @dg.asset(key=asset_key(feed), deps=_deps(feed), group_name=feed.feed, description=feed.description,
              kinds={"python", "parquet"}, tags={"feed": feed.feed}, check_specs=[_check_spec(feed)])
    def _ingest(context: dg.AssetExecutionContext):
        run = pipeline_run(context)
        outcome = pipeline.ingest_current(feed, run, pipeline.stored_references(run.settings))
        yield from ingestion_events(context, [outcome], run, feed)

    _ingest.__name__ = f"ingest_{feed.feed}_{feed.table}"
    return _ingest


def partitions(feed: ReleaseSeries) -> dg.DynamicPartitionsDefinition:
    return dg.DynamicPartitionsDefinition(name=feed.partitions_name)


def series_asset(feed: ReleaseSeries) -> dg.AssetsDefinition:
    ingest = pipeline.ingest_pull if isinstance(feed, ApiFeed) else pipeline.ingest_release

    @dg.asset(key=asset_key(feed), deps=_deps(feed), group_name=feed.feed,
              description=feed.description + f" One partition per release ({feed.partitioned_by}); each stored as "
                                             "its changes against the release before it.",
              partitions_def=partitions(feed), backfill_policy=dg.BackfillPolicy.single_run(),
              kinds={"python", "parquet"},
              tags={"feed": feed.feed, **({"access": "restricted"} if feed.restricted else {})},
              check_specs=[_check_spec(feed)], output_required=False)
    def _ingest(context: dg.AssetExecutionContext):
        run = pipeline_run(context)
        outcomes = []
        for key in sorted(context.partition_keys):  # oldest first: each release is a delta on those before it
            outcomes.append(ingest(feed, key, run, pipeline.stored_references(run.settings)))
        yield from ingestion_events(context, outcomes, run, feed)

    _ingest.__name__ = f"ingest_{feed.feed}_{feed.table}"
    return _ingest


def series_job_name(feed: ReleaseSeries) -> str:
    return f"ingest_{feed.feed}_{feed.table}"


def series_job(feed: ReleaseSeries):
    return dg.define_asset_job(series_job_name(feed), selection=dg.AssetSelection.assets(asset_key(feed)),
                               description=f"Ingest releases of {feed.kind} (partition = release; many at once run "
                                           "as one run, oldest first).")


def release_requests(feed: ReleaseSeries, keys: list[str], as_at: date) -> dg.RunRequest:
    """One run for these releases of a series: a single-run backfill of their partition range."""
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
    keys = sorted(keys)
    tags = {AS_AT_TAG: as_at.isoformat()}
    if len(keys) == 1:
        return dg.RunRequest(job_name=series_job_name(feed), partition_key=keys[0], tags=tags,
                             run_key=f"{feed.partitions_name}:{keys[0]}:{as_at}")
    return dg.RunRequest(job_name=series_job_name(feed), run_key=f"{feed.partitions_name}:{keys[0]}..{keys[-1]}:{as_at}",
                         tags={**tags, ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1]})


def listed_keys(feed: ReleaseSeries, settings: Settings, as_at: date) -> list[str]:
    """The partitions a series has as at a date: the releases its index lists as published by then (a run as at an
    earlier day sees the mirror as it was), or for an API, the day's pull."""
    if isinstance(feed, ApiFeed):
        return [as_at.isoformat()] if settings.cqc_api_available() else []
    _, releases = pipeline.discover(feed, settings)
    return [r.key for r in releases if r.published_on <= as_at]


@dataclass(frozen=True)
class Wanted:
    """The releases a run of a series asks for, the new partitions among them, and how many listed it leaves out."""
    keys: list[str]
    new: list[str]
    held: int


def wanted_keys(feed: ReleaseSeries, settings: Settings, as_at: date, known: set[str]) -> Wanted:
    """What a run of a series asks for, and which of those are new partitions: the releases listed that are new, and
    those that may have been re-published with other bytes — every release listed but those whose file is, by its
    validators, still the bytes stored (`pipeline.held_as_landed`). An API's pull: the day's, once a day — a run
    that day after it was stored asks for nothing (a sensor's run key is the day's: it asks once too)."""
    listed = listed_keys(feed, settings, as_at)
    new = [k for k in listed if k not in known]
    held = set(pipeline.held_as_landed(feed, [k for k in listed if k in known], settings))
    return Wanted([k for k in listed if k not in held], new, len(held))


def series_sensor(feed: ReleaseSeries) -> dg.SensorDefinition:
    """Asks for the releases the index lists that the instance does not hold yet, or whose files changed since they
    were landed (one run for all of them)."""

    @dg.sensor(name=f"{feed.feed}_{feed.table}_new_releases", job_name=series_job_name(feed),
               minimum_interval_seconds=3600, default_status=dg.DefaultSensorStatus.STOPPED,
               description=f"New or re-published releases of {feed.kind}: adds the new ones as partitions and "
                           "ingests them all in one run.")
    def _sensor(context: dg.SensorEvaluationContext):
        as_at = datetime.now(timezone.utc).date()  # the tick is where a sensor's run starts: its day is "today"
        known = set(context.instance.get_dynamic_partitions(feed.partitions_name))
        wanted = wanted_keys(feed, Settings.from_env(), as_at, known)
        if not wanted.keys:
            return dg.SkipReason(f"no new or re-published {feed.kind} release")
        return dg.SensorResult(run_requests=[release_requests(feed, wanted.keys, as_at)],
                               dynamic_partitions_requests=[partitions(feed).build_add_request(wanted.new)]
                               if wanted.new else [])

    return _sensor


def feed_definitions(feeds) -> dg.Definitions:
    """A feed folder's Dagster definitions: its assets, jobs and sensors."""
    assets, jobs, sensors = [], [], []
    for feed in feeds:
        if isinstance(feed, CurrentFile):
            assets.append(current_file_asset(feed))
            if feed.keep_versions:  # written by the file's ingestion, read by dbt: a place in the lineage graph
                assets.append(dg.AssetSpec(feed.versions_key_path, deps=[asset_key(feed)], group_name=feed.feed,
                                           kinds={"parquet"}, description=f"{feed.versions_description} Written by "
                                                                          f"the ingestion of {feed.asset}."))
        else:
            assets.append(series_asset(feed))
            jobs.append(series_job(feed))
            sensors.append(series_sensor(feed))
    return dg.Definitions(assets=assets, jobs=jobs, sensors=sensors)
