"""Which suite guards which asset, and the one function that runs a suite on a table."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

import pyarrow as pa

from expectations.suites import ods_trusts

# No network here and none needed: GX must not try to send usage statistics.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@dataclass(frozen=True)
class SuiteBinding:
    asset_key_path: tuple[str, ...]
    suite_name: str
    build: Callable


SUITES = [
    SuiteBinding(("ods", "trusts"), ods_trusts.NAME, ods_trusts.build),
]


@dataclass(frozen=True)
class Validation:
    success: bool
    evaluated: int
    failed: list[dict]  # one per failed expectation: type, column, unexpected count and sample


def validate(table: pa.Table, binding: SuiteBinding) -> Validation:
    import great_expectations as gx  # slow import: only when a check actually runs

    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # keep run logs readable
    batch_definition = (
        context.data_sources.add_pandas(name="parquet")
        .add_dataframe_asset(name=binding.suite_name)
        .add_batch_definition_whole_dataframe("whole_file")
    )
    batch = batch_definition.get_batch(batch_parameters={"dataframe": table.to_pandas()})
    result = batch.validate(binding.build(), result_format="SUMMARY")
    failed = []
    for r in result.results:
        if r.success:
            continue
        kwargs = r.expectation_config.kwargs
        failed.append({
            "expectation": r.expectation_config.type,
            "column": kwargs.get("column") or f"{kwargs.get('column_A')}/{kwargs.get('column_B')}",
            "unexpected_count": r.result.get("unexpected_count"),
            "unexpected_sample": [str(v) for v in (r.result.get("partial_unexpected_list") or [])[:10]],
            "observed_value": str(r.result.get("observed_value")) if "observed_value" in r.result else None,
        })
    return Validation(success=bool(result.success), evaluated=len(result.results), failed=failed)
