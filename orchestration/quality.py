"""Asset checks built from expectations/ for the marts: each mart's Great Expectations suite runs on the table dbt
has just built in the warehouse, before anything is published.

The checks are blocking: a critical expectation failing (severity ERROR) stops the serving snapshot, so the API goes
on serving the last good build; warnings (severity WARN) are reported and the run goes on. The feeds' suites run
inside their ingestion assets instead (orchestration/feeds/pipeline.py), before a file or release is stored.
"""

import dagster as dg

from expectations.registry import MART_SUITES, Suite, build_data_docs, validate
from orchestration import quality_log
from orchestration.settings import Settings


def _build_mart_check(suite: Suite) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey([suite.name]),
        name=f"gx_{suite.name}",
        blocking=True,
        description=f"Great Expectations suite '{suite.name}' (expectations/suites/marts.py) on the built mart: "
                    "critical expectations block the publication, warnings caution.",
    )
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        settings = Settings.from_env()
        with settings.engine.reader() as built:  # the table the build just wrote, DuckDB's or Spark's
            table = built.table("marts", suite.name, only=suite.columns_read())  # what the suite reads, not all
        validation = validate(table, suite, gx_root=settings.gx_root, run_name=context.run.run_id)
        quality_log.record_check(settings, run_id=context.run.run_id, asset=suite.name, partition=None,
                                 suite=suite.name, expectations=validation.evaluated, failures=validation.failed)
        if validation.blocking:
            build_data_docs(settings.gx_root)  # nothing will be published: render why now
        return dg.AssetCheckResult(
            passed=validation.success,
            severity=dg.AssetCheckSeverity.ERROR if validation.blocking else dg.AssetCheckSeverity.WARN,
            metadata={"suite": suite.name, "rows": table.num_rows, "expectations": validation.evaluated,
                      "failed": dg.MetadataValue.json(validation.failed)},
        )

    return _check


def build_mart_checks(mart_names: list[str]) -> list[dg.AssetChecksDefinition]:
    """One check per mart; a mart without a suite is a mistake worth failing on at load time."""
    missing = sorted(set(mart_names) - set(MART_SUITES))
    if missing:
        raise ValueError(f"marts without a Great Expectations suite in expectations/suites/marts.py: {missing}")
    return [_build_mart_check(MART_SUITES[name]) for name in mart_names]
