"""The Dagster code location: each feed's ingestion assets, the dbt models, the checks, the publish step."""
import dagster as dg

from orchestration.dbt import build_dbt_assets, dbt_resource, ensure_manifest, mart_model_names
from orchestration.feeds.ingest import (build_ingest_asset, build_release_asset, build_release_job,
                                        build_release_sensor, ingest_api_pull)
from orchestration.feeds.registry import CQC_API_FEED, FEED_FILES, RELEASE_FEEDS
from orchestration.publish import build_serving_asset
from orchestration.quality import asset_checks
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
warehouse_models = build_dbt_assets()
serving_snapshot = build_serving_asset(mart_model_names(ensure_manifest()))

defs = dg.Definitions(
    assets=[*ingestion_assets, *release_assets, warehouse_models, serving_snapshot],
    asset_checks=asset_checks,
    jobs=[dg.define_asset_job(REFRESH_JOB, selection=dg.AssetSelection.all() - dg.AssetSelection.assets(*release_asset_keys),
                              description="Pull the reference feeds, build the warehouse on every stored release, "
                                          "check it, publish it."),
          *release_jobs.values()],
    sensors=release_sensors,
    resources={"dbt": dbt_resource()},
)
