"""`oversight run`: the code location's own jobs, run in this process, in the order the daemon would run them.

1. the **reference files** (the `refresh` job's current files): ODS and ONS, which the others are checked against;
2. each **series**: one single-run backfill of every release its index lists (the sensors' run requests, built by
   the same functions; a release whose bytes are held is not fetched again), and the CQC API's pull of the day
   (once a day: a run after it was stored that day pulls nothing);
3. the **build** (the rest of `refresh`): what depends on anything stored in 1–2 — what declarative automation would
   rebuild — or everything if the published snapshot is for another day or another build of the models; nothing at
   all if nothing is new.

Every run carries the as-at date (`--as-at`, default today) as its tag; the person's console and the log file are
the `progress` and `file` loggers (`orchestration/progress.py`).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import dagster as dg

from orchestration.feeds.assets import AS_AT_TAG, release_requests, wanted_keys
from orchestration.feeds.catalog import SERIES
from orchestration.feeds.spec import ApiFeed
from orchestration.progress import run_config
from orchestration.publish import SERVING_KEY
from orchestration.settings import Settings


# Written by every ingestion attempt (orchestration/quality_log.py): what rpt_data_quality and fct_quarantined_rows
# are built from.
QUALITY_LOG = {dg.AssetKey(["quality", name]) for name in ("ingestions", "checks", "quarantine")}


@dataclass
class Report:
    """What the runs did, for the summary and the exit code."""
    results: list = field(default_factory=list)
    stored: set[dg.AssetKey] = field(default_factory=set)
    refused: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)   # what failed and why, for standard error
    blocking: list[str] = field(default_factory=list)
    cautions: list[str] = field(default_factory=list)
    rebuilt: bool = False
    models_built: int = 0   # dbt models (and seeds) the build materialised

    def add(self, result, label: str) -> None:
        """A run's events: what it stored (a current file materialises unchanged too: its metadata says), its failed
        checks and steps. Anything stored or refused is news for the data-quality log and the quarantine as well."""
        self.results.append(result)
        stored_before = len(self.stored)
        for event in result.all_events:
            if event.event_type_value == "ASSET_MATERIALIZATION":
                materialization = event.event_specific_data.materialization
                status = materialization.metadata.get("status")
                if status is None or status.value != "unchanged":  # a current file materialises either way
                    self.stored.add(materialization.asset_key)
            elif event.event_type_value == "ASSET_CHECK_EVALUATION" and not event.event_specific_data.passed:
                name = event.event_specific_data.asset_check_key.to_user_string() + f" ({label})"
                is_error = event.event_specific_data.severity == dg.AssetCheckSeverity.ERROR
                (self.blocking if is_error else self.cautions).append(name)
            elif event.is_step_failure:
                self.failures.append(_failure(event, label))
        if not result.success:
            self.refused.append(label)
        if len(self.stored) > stored_before or not result.success:
            self.stored |= QUALITY_LOG


def _failure(event, label: str) -> str:
    """A failed step as a person reads it: which files or releases were refused, and every reason (file, row, column)."""
    data = event.event_specific_data
    user = data.user_failure_data
    if user is not None and user.description:
        refused = user.metadata.get("refused")
        which = f" {', '.join(refused.value)}" if refused is not None else ""
        return f"{label}{which} REFUSED; what was stored before stays as it was:\n" + _indent(user.description)
    error = data.error
    while error is not None and error.cause is not None:
        error = error.cause
    return f"{label}: step {event.step_key} FAILED:\n" + _indent(error.message if error else "(no message)")


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines())


def plan_series(settings: Settings, as_at: date, instance: dg.DagsterInstance) -> list[tuple[str, dg.RunRequest]]:
    """For each series, the run its sensor would ask for (`wanted_keys`: the new releases and those that may have
    been re-published; a run's releases are a partition range, so one held between two that are not is checked again,
    as a quick no-op). Partitions are added to the instance as the sensors do."""
    planned = []
    for kind, feed in SERIES.items():
        known = set(instance.get_dynamic_partitions(feed.partitions_name))
        wanted = wanted_keys(feed, settings, as_at, known)
        if wanted.new:
            instance.add_dynamic_partitions(feed.partitions_name, wanted.new)
        held = wanted.held
        if held and isinstance(feed, ApiFeed):
            print(f"  {kind}: the pull of {as_at} is stored, not pulled again (the API is pulled once a day)",
                  flush=True)
        elif held:
            print(f"  {kind}: {held} release{'s' if held > 1 else ''} held as landed, not fetched again (the files' "
                  "size and modification time, or the server's validators, are those recorded when they were "
                  "landed)", flush=True)
        if wanted.keys:
            planned.append((kind, release_requests(feed, wanted.keys, as_at)))
        elif not held:
            print(f"  {kind}: no releases listed" + (" (no CQC API to pull here)" if isinstance(feed, ApiFeed) else ""),
                  flush=True)
    return planned


def build_selection(defs: dg.Definitions, settings: Settings, as_at: date, stored: set[dg.AssetKey],
                    build: dg.AssetSelection) -> tuple[dg.AssetSelection | None, str]:
    """What to rebuild, and why: the same rule as the automation (what depends on what was stored), or everything if
    the published snapshot is for another day or another build of the models; less the models what was stored reaches
    only through the reporting months, when they are unchanged (orchestration/grid.py)."""
    from orchestration.dbt import project_fingerprint
    from orchestration.grid import prunable
    from orchestration.publish import published

    current = published(settings)
    if current is None:
        return build, "no snapshot published yet"
    if current["as_at"] != as_at:
        return build, f"the published snapshot is as at {current['as_at']}, this run as at {as_at}"
    if current["build"] != project_fingerprint():
        return build, "the models changed since the published snapshot"
    # stored, yet not in the published snapshot: an earlier run stopped (killed, a full disk) after storing it and
    # before publishing — this run finds those bytes held ("unchanged"), but the snapshot was not built on them
    unpublished = unpublished_sources(settings, current["sources"])
    stored = stored | unpublished | (QUALITY_LOG if unpublished else set())
    if not stored:
        return None, "nothing new since the published snapshot"
    graph = defs.resolve_asset_graph()
    downstream = dg.AssetSelection.assets(*stored).downstream().resolve(graph) & build.resolve(graph)
    why = f"new data in {', '.join(sorted(k.to_user_string() for k in stored))}"
    kept = prunable(settings, current["run_id"], stored, graph) & downstream
    if kept:
        downstream -= kept
        why += (f"; the reporting months are unchanged, so the {len(kept)} models the new data reaches only "
                "through them stay as built")
    return dg.AssetSelection.assets(*downstream), why


def unpublished_sources(settings: Settings, published_sources: dict) -> set[dg.AssetKey]:
    """The ingestion assets whose stored files differ from those the published snapshot was built on."""
    from orchestration.feeds.catalog import FEEDS
    from orchestration.publish import source_hashes

    return {dg.AssetKey(FEEDS[kind].asset_key_path) for kind, hashes in source_hashes(settings).items()
            if published_sources.get(kind) != hashes and kind in FEEDS}


def sqlite_synchronous(mode: str) -> None:
    """Every SQLite connection this process opens through SQLAlchemy — the local Dagster instance's — with `PRAGMA
    synchronous=<mode>` (Settings.dagster_sqlite_synchronous says why)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    _SQLITE_SYNCHRONOUS["mode"] = mode
    if not event.contains(Engine, "connect", _on_sqlite_connect):
        event.listen(Engine, "connect", _on_sqlite_connect)


_SQLITE_SYNCHRONOUS = {"mode": "FULL"}


def _on_sqlite_connect(connection, _record) -> None:
    import sqlite3
    if isinstance(connection, sqlite3.Connection):
        connection.execute(f"PRAGMA synchronous={_SQLITE_SYNCHRONOUS['mode']}")


def run(settings: Settings, as_at: date) -> int:
    from orchestration.definitions import REFRESH_JOB, build, defs, reference_files

    sqlite_synchronous(settings.dagster_sqlite_synchronous)

    started = datetime.now(timezone.utc)
    log_path = settings.home / "logs" / f"run-{started:%Y%m%dT%H%M%S}.log"
    config = run_config(log_path)
    tags = {AS_AT_TAG: as_at.isoformat()}
    report = Report()
    refresh = defs.resolve_job_def(REFRESH_JOB)
    print(f"oversight run as at {as_at}, models on {settings.engine.name} — the whole log: {log_path}", flush=True)
    with dg.DagsterInstance.get() as instance:
        print("1/3 reference files (ODS, ONS)", flush=True)
        graph = defs.resolve_asset_graph()
        result = refresh.execute_in_process(instance=instance, asset_selection=list(reference_files.resolve(graph)),
                                            tags=tags, run_config=config, raise_on_error=False)
        report.add(result, "reference files")
        print("2/3 releases", flush=True)
        for kind, request in plan_series(settings, as_at, instance):
            job = defs.resolve_job_def(request.job_name)
            result = job.execute_in_process(instance=instance, partition_key=request.partition_key,
                                            tags={**tags, **request.tags}, run_config=config, raise_on_error=False)
            report.add(result, kind)
        ingested = {k for k in report.stored}
        selection, why = build_selection(defs, settings, as_at, ingested, build)
        if report.refused and "reference files" in report.refused and selection is not None:
            selection, why = None, "the reference files were refused: nothing is rebuilt on them"
        print(f"3/3 models, checks and publication — {why}", flush=True)
        if selection is not None:
            result = refresh.execute_in_process(instance=instance, asset_selection=list(selection.resolve(graph)),
                                                tags=tags, run_config=config, raise_on_error=False)
            report.add(result, "build")
            report.rebuilt = any(e.event_type_value == "ASSET_MATERIALIZATION" and
                                 e.event_specific_data.materialization.asset_key == dg.AssetKey(SERVING_KEY)
                                 for e in result.all_events)
            if result.success and not report.rebuilt:  # a step skipped for want of an output, say: not published
                report.refused.append("build")
                report.failures.append("build: the snapshot was not published (a step it depends on gave no "
                                       "result; see the log)")
            report.models_built = sum(1 for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"
                                      and e.step_key == "warehouse_models")
    return summarise(report, settings, log_path)


def summarise(report: Report, settings: Settings, log_path: Path) -> int:
    from expectations.registry import build_data_docs

    docs = build_data_docs(settings.gx_root)  # every validation of this run, whatever its outcome
    for failure in report.failures:
        print(failure, file=sys.stderr)
    for check in report.blocking:
        print(f"  - blocking check {check} failed", file=sys.stderr)
    for check in report.cautions:
        print(f"  - caution: check {check} failed with a warning (the run went on)", file=sys.stderr)
    if report.refused:
        print(f"\nFAILED: {', '.join(report.refused)}. What was stored before stays as it was, and the published "
              f"snapshot (if any) is unchanged: {settings.serving_path}\nWhy, expectation by expectation: GET "
              f"/api/v1/data-quality, the Data Docs at {docs}, and the whole log at {log_path}", file=sys.stderr)
        return 1
    state = f"published ({report.models_built} models rebuilt)" if report.rebuilt else "unchanged (nothing new)"
    built = settings.warehouse_path if settings.engine.name == "duckdb" else settings.engine.spark_warehouse
    print(f"\nDone. Snapshot {state}: {settings.serving_path}\n  models built by {settings.engine.name}: {built}\n"
          f"  data quality: /quality once served (offline); GX Data Docs, styled from a CDN: {docs}\n"
          f"  the whole log: {log_path}", flush=True)
    return 0
