"""The Dagster code location: each feed's ingestion assets, the dbt models, the checks, the publish step."""
import dagster as dg

from orchestration.dbt import build_dbt_assets, dbt_resource, ensure_manifest, mart_model_names
from orchestration.feeds.ingest import build_ingest_asset
from orchestration.feeds.registry import FEED_FILES
from orchestration.publish import build_serving_asset
from orchestration.quality import asset_checks
from orchestration.settings import Settings

Settings.from_env().export()  # dbt reads OVERSIGHT_HOME (absolute) in profiles.yml and the sources

REFRESH_JOB = "refresh_all"

ingestion_assets = [build_ingest_asset(spec) for spec in FEED_FILES.values()]
warehouse_models = build_dbt_assets()
serving_snapshot = build_serving_asset(mart_model_names(ensure_manifest()))

defs = dg.Definitions(
    assets=[*ingestion_assets, warehouse_models, serving_snapshot],
    asset_checks=asset_checks,
    jobs=[dg.define_asset_job(REFRESH_JOB, selection=dg.AssetSelection.all(),
                              description="Pull every feed, build the warehouse, check it, publish it.")],
    resources={"dbt": dbt_resource()},
)
