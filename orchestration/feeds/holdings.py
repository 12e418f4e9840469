"""What the platform holds of every feed it knows: each release stored (its key, when it was published and when it
was received), each current file, and a row saying "no releases" for a feed with none — a deployment may not have
every feed (FEEDS.md §6), and a feed it lacks must be said, never read as fine.

`prepare_sources` also makes every series readable before dbt runs: a series with no release yet is an empty,
typed table (`ReleaseStore.ensure_readable`), not a missing file.
"""

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration import quality_log
from orchestration.feeds import pipeline
from orchestration.feeds.catalog import CURRENT_FILES, FEEDS, SERIES
from orchestration.settings import Settings

KEY = ["feeds", "holdings"]
SCHEMA = pa.schema([
    ("feed", pa.string()), ("asset", pa.string()), ("description", pa.string()), ("publisher_folder", pa.string()),
    ("is_series", pa.bool_()), ("partitioned_by", pa.string()), ("restricted", pa.bool_()),
    ("release_key", pa.string()), ("file", pa.string()), ("published_on", pa.date32()),
    ("received_on", pa.date32()), ("rows", pa.int64()), ("rows_quarantined", pa.int64()),
    ("rows_new", pa.int64()), ("rows_changed", pa.int64()), ("rows_removed", pa.int64()),
    ("sha256", pa.string()), ("layout", pa.string()),
])


def path(settings: Settings):
    return settings.parquet_dir / "feeds" / "holdings.parquet"


def prepare_sources(settings: Settings) -> None:
    """Everything dbt's sources read exists: the data-quality log, and every series (empty and typed if need be)."""
    quality_log.ensure_log(settings)
    for feed in SERIES.values():
        pipeline.release_store(settings, feed).ensure_readable()
    for feed in CURRENT_FILES.values():
        if feed.keep_versions:
            pipeline.versions_store(settings, feed).ensure_readable()
    if not path(settings).exists():  # dbt built before the holdings asset ever ran (by hand): what is held now
        pipeline.write_parquet_atomic(holdings(settings), path(settings))


def holdings(settings: Settings) -> pa.Table:
    rows = []
    for kind, feed in FEEDS.items():
        base = {"feed": kind, "asset": feed.asset, "description": feed.description, "publisher_folder": feed.feed,
                "is_series": kind in SERIES, "partitioned_by": getattr(feed, "partitioned_by", None) or None,
                "restricted": feed.restricted}
        if kind in SERIES:
            held = pipeline.release_store(settings, feed).state().values()
            rows += [{**base, "release_key": r.key, "file": r.file, "published_on": r.published_on,
                      "received_on": r.received_on, "rows": r.rows, "rows_quarantined": r.rows_quarantined,
                      "rows_new": r.new, "rows_changed": r.changed, "rows_removed": r.removed, "sha256": r.sha256,
                      "layout": r.layout} for r in held]
            if not held:
                rows.append(base)
        else:
            current = pipeline.current_held(settings, feed)
            rows.append({**base, **current} if current else base)
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def holdings_asset() -> dg.AssetsDefinition:
    @dg.asset(key=dg.AssetKey(KEY), deps=[dg.AssetKey(f.asset_key_path) for f in FEEDS.values()], group_name="feeds",
              kinds={"parquet"},
              description="What the platform holds of every feed: each release stored with its publication and "
                          "receipt dates, each current file, and 'no releases' for a feed it has none of.")
    def feed_holdings(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        settings = Settings.from_env()
        prepare_sources(settings)
        table = holdings(settings)
        pipeline.write_parquet_atomic(table, path(settings))
        missing = sorted({f for f, k in zip(table.column("feed").to_pylist(), table.column("release_key").to_pylist())
                          if k is None and f in SERIES})
        return dg.MaterializeResult(metadata={"dagster/row_count": table.num_rows,
                                              "feeds_without_releases": dg.MetadataValue.json(missing)})

    return feed_holdings

