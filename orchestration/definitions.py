"""The Dagster code location: each feed's ingestion assets, the dbt models, the checks, the publish step."""
import dagster as dg

from orchestration.dbt import build_dbt_assets, dbt_resource, ensure_manifest, mart_model_names
from orchestration.feeds.ingest import (build_ingest_asset, build_release_asset, build_release_job,
                                        build_release_sensor, ingest_api_pull)
from orchestration.feeds.registry import CQC_API_FEED, FEED_FILES, RELEASE_FEEDS
from orchestration.publish import build_serving_asset
from orchestration.quality import build_mart_checks
from orchestration.settings import Settings

Settings.from_env().export()  # dbt reads OVERSIGHT_HOME (absolute) in profiles.yml and the sources

REFRESH_JOB = "refresh_all"

ingestion_assets = [build_ingest_asset(spec) for spec in FEED_FILES.values()]
release_assets = [build_release_asset(spec) for spec in RELEASE_FEEDS.values()]
release_assets.append(build_release_asset(CQC_API_FEED, ingest_api_pull))
release_jobs = {kind: build_release_job(spec) for kind, spec in [*RELEASE_FEEDS.items(), (CQC_API_FEED.kind, CQC_API_FEED)]}
release_sensors = [build_release_sensor(spec, release_jobs[kind]) for kind, spec in RELEASE_FEEDS.items()]
# Each release feed has its own partitions (a job holds one partitions definition): those assets run in their
# own per-release jobs, and the refresh job builds everything else on what they have stored.
release_asset_keys = [dg.AssetKey(spec.asset_key_path) for spec in [*RELEASE_FEEDS.values(), CQC_API_FEED]]
# The data-quality log and the quarantine are written by every ingestion asset and check, not by one asset of
# their own: external assets stand for them, so dbt's quality sources have a place in the lineage graph.
reference_versions = [
    dg.AssetSpec(spec.versions.asset_key_path, deps=[spec.asset_key_path], group_name=spec.feed, kinds={"parquet"},
                 description=f"{spec.versions.description} Written by the ingestion of {'/'.join(spec.asset_key_path)}.")
    for spec in FEED_FILES.values() if spec.versions is not None
]
quality_records = [
    dg.AssetSpec(["quality", "ingestions"], group_name="quality", kinds={"parquet"},
                 description="The data-quality log of every ingestion attempt (orchestration/quality_log.py)."),
    dg.AssetSpec(["quality", "checks"], group_name="quality", kinds={"parquet"},
                 description="The data-quality log of every Great Expectations suite evaluated."),
    dg.AssetSpec(["quality", "quarantine"], group_name="quality", kinds={"parquet"},
                 description="Every row a parser refused, with its file, row, column, rule, value and reason."),
]
warehouse_models = build_dbt_assets()
marts = mart_model_names(ensure_manifest())
serving_snapshot = build_serving_asset(marts)

defs = dg.Definitions(
    assets=[*ingestion_assets, *release_assets, *reference_versions, *quality_records, warehouse_models,
            serving_snapshot],
    asset_checks=build_mart_checks(marts),
    jobs=[dg.define_asset_job(REFRESH_JOB, selection=dg.AssetSelection.all() - dg.AssetSelection.assets(*release_asset_keys),
                              description="Pull the reference feeds, build the warehouse on every stored release, "
                                          "check it, publish it."),
          *release_jobs.values()],
    sensors=release_sensors,
    resources={"dbt": dbt_resource()},
)
