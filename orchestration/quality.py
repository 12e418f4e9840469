"""Blocking asset checks built from expectations/: a failing suite stops everything downstream of the asset."""

import dagster as dg
import pyarrow.parquet as pq

from expectations.registry import SUITES, SuiteBinding, validate
from orchestration.settings import Settings


def _build_check(binding: SuiteBinding) -> dg.AssetChecksDefinition:
    feed, table = binding.asset_key_path

    @dg.asset_check(
        asset=dg.AssetKey(list(binding.asset_key_path)),
        name=f"gx_{binding.suite_name}",
        blocking=True,
        description=f"Great Expectations suite '{binding.suite_name}' (expectations/suites/)",
    )
    def _check() -> dg.AssetCheckResult:
        path = Settings.from_env().parquet_dir / feed / f"{table}.parquet"
        outcome = validate(pq.read_table(path), binding)
        return dg.AssetCheckResult(
            passed=outcome.success,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "suite": binding.suite_name,
                "expectations": outcome.evaluated,
                "failed": dg.MetadataValue.json(outcome.failed),
            },
        )

    return _check


asset_checks = [_build_check(b) for b in SUITES]
