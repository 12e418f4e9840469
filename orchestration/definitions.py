"""The Dagster code location: each feed folder's definitions merged, with the dbt models, the checks, the holdings of
every feed, the publication, the refresh schedule and the automation of what depends on new data.

How a day goes, in `make dev` (the daemon running) as in `oversight run` (the same definitions, run in-process):
- a **sensor per series** finds releases its index lists and the instance does not hold, or whose files changed
  since they were landed (by their validators), and ingests them in one
  run (a single-run backfill of their partitions); the CQC API's sensor asks for the day's pull;
- the **`daily_refresh` schedule** runs the `refresh` job: the current reference files (ODS, ONS), the holdings,
  the dbt build with its checks, and the serving snapshot, with the day as the run's as-at date;
- **declarative automation** rebuilds what depends on an ingestion asset when it stores something new (a release
  whose bytes were already held stores nothing, so nothing is rebuilt for it), and publishes after.
"""
import dagster as dg

from orchestration.dbt import build_dbt_assets, dbt_resource, ensure_manifest, mart_model_names
from orchestration.feeds.assets import AS_AT_TAG
from orchestration.feeds.catalog import CURRENT_FILES
from orchestration.feeds.cqc import definitions as cqc
from orchestration.feeds.finance import definitions as finance
from orchestration.feeds.holdings import KEY as HOLDINGS_KEY
from orchestration.feeds.holdings import holdings_asset
from orchestration.feeds.ods import definitions as ods
from orchestration.feeds.workforce import definitions as workforce
from orchestration.progress import LOGGERS
from orchestration.publish import build_serving_asset
from orchestration.quality import build_mart_checks
from orchestration.settings import Settings

Settings.from_env().export()  # dbt reads OVERSIGHT_HOME (absolute) in profiles.yml and the sources

REFRESH_JOB = "refresh"
REFRESH_CRON = "0 6 * * *"

# Each feed folder's own definitions (modules, not Definitions objects: a code location holds one at module scope).
FEED_DEFINITIONS = (ods.defs, workforce.defs, cqc.defs, finance.defs)

# The data-quality log and the quarantine are written by every ingestion asset and check, not by one asset of
# their own: external assets stand for them, so dbt's quality sources have a place in the lineage graph.
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

# What the refresh builds: the current reference files, then everything that is not an ingestion of a series
# (those have partitions of their own, and arrive by their sensors or `oversight run`'s backfills).
reference_files = dg.AssetSelection.assets(*[dg.AssetKey(f.asset_key_path) for f in CURRENT_FILES.values()])
build = (dg.AssetSelection.assets(dg.AssetKey(HOLDINGS_KEY), warehouse_models, serving_snapshot))
refresh_job = dg.define_asset_job(
    REFRESH_JOB, selection=reference_files | build,
    description="Pull the current reference files, then build the warehouse on every release stored, check it, and "
                "publish it.")


@dg.schedule(cron_schedule=REFRESH_CRON, job=refresh_job, default_status=dg.DefaultScheduleStatus.STOPPED,
             description="Every morning: the reference files, and the warehouse rebuilt for the day (rules that need "
                         "\"today\" take the run's as-at date).")
def daily_refresh(context: dg.ScheduleEvaluationContext):
    day = context.scheduled_execution_time.date()
    return dg.RunRequest(run_key=f"refresh:{day}", tags={AS_AT_TAG: day.isoformat()})


# Whatever depends on the feeds is rebuilt when they store something new (and only then), then published.
automation = dg.AutomationConditionSensorDefinition(
    "rebuild_on_new_data", target=build, default_status=dg.DefaultSensorStatus.STOPPED,
    description="Rebuilds the models downstream of an ingestion asset that stored something new, and publishes.")

defs = dg.Definitions.merge(
    *FEED_DEFINITIONS,
    dg.Definitions(
        assets=[*quality_records, holdings_asset(), warehouse_models, serving_snapshot],
        asset_checks=build_mart_checks(marts),
        jobs=[refresh_job],
        schedules=[daily_refresh],
        sensors=[automation],
        resources={"dbt": dbt_resource()},
        loggers=LOGGERS,
    ),
)
