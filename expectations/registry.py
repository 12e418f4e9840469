"""Which Great Expectations suite guards which feed and which mart, and the one function that runs a suite.

Every expectation carries a severity: `critical` means the data is wrong (the asset check fails with ERROR and,
being blocking, nothing downstream runs — a release is not stored, nothing is published); `warning` is a caution
(the check fails with WARN, the run goes on). Cross-field and reference rules are expressed as columns a suite's
`derive` adds before validation (e.g. the sickness rate recomputed from days lost and available), so that each
rule is one named expectation in the results and the Data Docs.
"""
from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Callable

import pyarrow as pa

# No network here and none needed: GX must not try to send usage statistics.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@dataclass(frozen=True)
class SuiteContext:
    """What a suite may compare the data with, beyond the table itself."""
    published_on: date | None = None         # the release's publication date (future dates, freshness)
    previous_rows: int | None = None         # rows of the release stored before it (volume band)
    ods_trusts: pa.Table | None = None       # ODS trusts: organisation_code, open_date, close_date


# The value types a suite may require of a column, as Great Expectations names them for pandas. "StringDtype" is a
# string column typed as a whole (see `_typed_strings`): GX then checks the column's dtype, not each value's type.
TYPE_NAMES = {"str": ["str", "StringDtype"], "date": ["date"], "float": ["float", "float64"],
              "int": ["int", "int32", "int64"], "bool": ["bool"]}


@dataclass(frozen=True)
class Suite:
    name: str
    build: Callable[[SuiteContext], list]    # the expectations, each with its severity
    columns: tuple[str, ...] | None = None   # the columns it reads (None: all) — keeps big releases small in memory
    derive: Callable | None = None           # (pandas frame, context) -> frame with the computed columns
    # columns that must be there, and the type of their values (None: presence only — for the columns of millions
    # of rows where the parser's Arrow schema already fixes the type and a check of every value costs seconds)
    types: dict[str, str | None] = field(default_factory=dict)
    # what `derive` reads, for a suite that does not name its columns: with it, a validation reads only the typed
    # columns, those its expectations name and these (a mart of millions of rows is not loaded whole); None: all
    reads: tuple[str, ...] | None = None

    @classmethod
    def of(cls, module: ModuleType) -> "Suite":
        columns = getattr(module, "COLUMNS", None)
        return cls(module.NAME, module.build, tuple(columns) if columns else None, getattr(module, "derive", None),
                   getattr(module, "TYPES", {}))

    def columns_read(self, context: SuiteContext = SuiteContext()) -> list[str] | None:
        """The columns a validation reads (None: every column of the table)."""
        if self.columns:
            return list(self.columns)
        if self.reads is None:
            return None
        named = [*self.types, *self.reads]
        for expectation in self.build(context):
            for name in ("column", "column_A", "column_B"):
                named.append(getattr(expectation, name, None))
            named += getattr(expectation, "column_list", None) or []
        return list(dict.fromkeys(c for c in named if c))

    def expectations(self, context: SuiteContext) -> list:
        """Columns and types first (critical), then the suite's own rules."""
        import great_expectations.expectations as gxe

        schema = [gxe.ExpectTableColumnsToMatchSet(column_set=list(self.types), exact_match=False)] if self.types else []
        schema += [gxe.ExpectColumnValuesToBeInTypeList(column=c, type_list=TYPE_NAMES[t])
                   for c, t in self.types.items() if t]
        return schema + self.build(context)


def _feed_suites() -> dict[str, Suite]:
    from expectations.suites import (cqc_api_locations, cqc_latest_ratings, finance_monthly, ods_icbs,
                                     ods_successors, ods_trusts, tac, workforce_sickness, workforce_staff_group)
    return {
        "ods-trusts": Suite.of(ods_trusts),
        "ods-successors": Suite.of(ods_successors),
        "icb-names": Suite.of(ods_icbs),
        "sickness-absence": Suite.of(workforce_sickness),
        "workforce-staff-group": Suite.of(workforce_staff_group),
        "cqc-ratings-sheet": Suite.of(cqc_latest_ratings),
        "cqc-api-location": Suite.of(cqc_api_locations),
        "tac": Suite.of(tac),
        "finance-monthly": Suite.of(finance_monthly),
    }


def _mart_suites() -> dict[str, Suite]:
    from expectations.suites import marts
    return {suite.name: suite for suite in marts.SUITES}


FEED_SUITES: dict[str, Suite] = _feed_suites()   # by check-feed kind
MART_SUITES: dict[str, Suite] = _mart_suites()   # by mart (dbt model) name


@dataclass(frozen=True)
class Validation:
    suite: str
    evaluated: int
    failed: list[dict] = field(default_factory=list)  # expectation, column, severity, unexpected count and sample

    @property
    def blocking(self) -> bool:
        return any(f["severity"] == "critical" for f in self.failed)

    @property
    def success(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        if not self.failed:
            return f"suite {self.suite}: all {self.evaluated} expectations met"
        lines = [f"suite {self.suite}: {len(self.failed)} of {self.evaluated} expectations not met"]
        for f in self.failed[:20]:
            detail = f"{f['unexpected_count']} unexpected, e.g. {f['unexpected_sample'][:5]}" \
                if f.get("unexpected_count") else f"observed {f.get('observed_value')}"
            lines.append(f"  - [{f['severity']}] {f['expectation']} on {f['column']}: {detail}")
        return "\n".join(lines)


def validate(table: pa.Table, suite: Suite, context: SuiteContext = SuiteContext(),
             gx_root: Path | None = None, run_name: str | None = None) -> Validation:
    """Run one suite on one table. With `gx_root`, the result is stored in that GX project (`build_data_docs`
    renders it); without it, nothing is written (check-feed, tests)."""
    import great_expectations as gx  # slow import: only when a check actually runs

    columns = suite.columns_read(context)
    if columns is not None:   # those a derive computes are not in the table yet
        table = table.select([c for c in columns if c in table.column_names])
    import pandas as pd

    frame = table.to_pandas()
    typed = _typed_strings(table, suite)
    for column, kind in suite.types.items():  # GX checks the type of each value only in object columns
        if column in typed:
            frame[column] = frame[column].astype(pd.StringDtype())
        elif kind and column in frame and frame[column].dtype.kind not in "fiub":
            frame[column] = pd.Series(shared_objects(table.column(column)), index=frame.index, dtype=object)
    if suite.derive is not None:
        frame = suite.derive(frame, context)
    gx_suite = gx.ExpectationSuite(name=suite.name, expectations=suite.expectations(context))
    if gx_root is None:
        result = _ephemeral_validation(frame, gx_suite)
    else:
        result = _stored_validation(frame, gx_suite, gx_root, run_name or "oversight")
    failed = []
    for r in result.results:
        if r.success:
            continue
        config = r.expectation_config
        kwargs = config.kwargs
        failed.append({
            "expectation": config.type,
            "column": kwargs.get("column") or (f"{kwargs.get('column_A')}/{kwargs.get('column_B')}"
                                               if kwargs.get("column_A") else "(table)"),
            "severity": str(getattr(config.severity, "value", config.severity) or "critical"),
            "unexpected_count": r.result.get("unexpected_count"),
            "unexpected_sample": [str(v) for v in (r.result.get("partial_unexpected_list") or [])[:10]],
            "observed_value": str(r.result.get("observed_value")) if "observed_value" in r.result else None,
            "exception": (r.exception_info or {}).get("exception_message") if r.exception_info else None,
        })
    return Validation(suite=suite.name, evaluated=len(result.results), failed=failed)


def _typed_strings(table: pa.Table, suite: Suite) -> set[str]:
    """The suite's string columns whose Arrow type already makes every value a string (a mart read from DuckDB, a
    parser's typed output): they reach GX as pandas' string dtype, whose type GX checks once for the column, where an
    object column costs a check of every value (9 of the 10 seconds of fct_trust_quality's suite on the national
    history). A column a `derive` reads stays as Python objects: a rule comparing strings there keeps None's
    `False`, not pandas' missing value, which a rule would read as "not assessed"."""
    derived = set() if suite.derive is None else set(suite.reads) if suite.reads is not None else None
    if derived is None:  # a derive that reads the whole frame: any column may feed a rule
        return set()
    return {column for column, kind in suite.types.items()
            if kind == "str" and column in table.column_names and column not in derived
            and _is_string(table.schema.field(column).type)}


def _is_string(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)


def shared_objects(column: pa.ChunkedArray):
    """A column as a NumPy object array in which equal values are one Python object, None where null. A mart's trust
    codes, periods and ratings repeat millions of times: this costs a pointer a row, where pandas' `astype(object)`
    of its Arrow-backed strings (pandas 3) makes a new Python string of every value — 4 GB more for a 13-million-row
    mart at 10x England."""
    import numpy as np

    encoded = column.combine_chunks().dictionary_encode() if len(column) else pa.array([], column.type).dictionary_encode()
    values = np.empty(len(encoded.dictionary) + 1, dtype=object)
    values[:-1] = encoded.dictionary.to_pylist()   # the last slot stays None: where the value is null
    return values[encoded.indices.fill_null(len(encoded.dictionary)).to_numpy(zero_copy_only=False)]


def _quiet(context) -> None:
    from great_expectations.data_context.types.base import ProgressBarsConfig
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # keep run logs readable


def _ephemeral_validation(frame, gx_suite):
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    _quiet(context)
    batch = (context.data_sources.add_pandas(name="frames").add_dataframe_asset(name=gx_suite.name)
             .add_batch_definition_whole_dataframe("whole_table").get_batch(batch_parameters={"dataframe": frame}))
    try:
        return batch.validate(gx_suite, result_format="SUMMARY")
    finally:
        _forget_batches(context)


def _forget_batches(context) -> None:
    """Drop the frames GX keeps after a validation. Its pandas engine caches every batch it loaded, by data asset —
    here one asset per suite — so a project kept open for a run (`_project`) held the frame of every mart it had
    checked, each as large as its mart, until the process ended: 13 million rows of trust quality on top of the
    failure scale's criteria at 10x England."""
    for source in context.data_sources.all().values():
        manager = source.get_execution_engine().batch_manager
        manager.reset_batch_cache()
        manager.batch_data_cache.clear()


def _stored_validation(frame, gx_suite, gx_root: Path, run_name: str):
    """Validate through a checkpoint of a file-backed GX project, which stores the result; `build_data_docs` renders
    it. One validation at a time per project (a lock), as the UI's runs may check several assets at once."""
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    with _project(gx_root) as context:
        gx_suite = context.suites.add_or_update(gx_suite)
        source = context.data_sources.add_or_update_pandas(name="frames")
        asset = next((a for a in source.assets if a.name == gx_suite.name), None) \
            or source.add_dataframe_asset(name=gx_suite.name)
        batch_definition = next((b for b in asset.batch_definitions if b.name == "whole_table"), None) \
            or asset.add_batch_definition_whole_dataframe("whole_table")
        definition = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=gx_suite.name, data=batch_definition, suite=gx_suite))
        checkpoint = context.checkpoints.add_or_update(gx.Checkpoint(
            name=gx_suite.name, validation_definitions=[definition], result_format="SUMMARY", actions=[]))
        _keep_latest_results(context, gx_suite.name, gx_root, RESULTS_KEPT_PER_SUITE - 1)  # room for this one
        started = time.time()
        try:
            outcome = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=RunIdentifier(run_name=run_name))
        except OSError as error:
            from orchestration.files import disk_full, is_disk_full
            if not is_disk_full(error):
                raise
            _remove_cut_short(gx_root, started)
            raise disk_full(error, gx_root, f"the validation result of {gx_suite.name}") from error
        finally:
            _forget_batches(context)
    return next(iter(outcome.run_results.values()))


def _remove_cut_short(gx_root: Path, since: float) -> None:
    """GX writes its stores' JSON in place: a write a full disk stopped leaves a file cut short, which the next
    Data Docs build would choke on. Every JSON file written since `since` that does not parse is removed."""
    for path in gx_root.rglob("*.json"):
        try:
            if path.stat().st_mtime >= since - 1:
                json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            path.unlink(missing_ok=True)


# The file-backed GX project opened once per process and root (opening it reads and checks its whole configuration:
# a fifth of a second, for every release and mart validated), kept while its configuration file is as this process
# last left it — another process (the UI's runs) changing it makes the next validation here open it again.
_OPENED: dict[Path, tuple[object, tuple]] = {}


def _config_state(gx_root: Path) -> tuple:
    config = gx_root / "gx" / "great_expectations.yml"
    try:
        stat = config.stat()
    except FileNotFoundError:
        return ()
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


@contextlib.contextmanager
def _project(gx_root: Path):
    import great_expectations as gx
    from filelock import FileLock

    gx_root.mkdir(parents=True, exist_ok=True)
    with FileLock(str(gx_root / ".validation.lock")):
        opened = _OPENED.pop(gx_root, None)
        if opened is not None and opened[1] == _config_state(gx_root) and opened[1]:
            context = opened[0]
        else:
            context = gx.get_context(mode="file", project_root_dir=str(gx_root))
            _quiet(context)
        yield context
        _OPENED[gx_root] = (context, _config_state(gx_root))  # not kept when what it did raised


def data_docs_site(gx_root: Path) -> Path:
    return gx_root / "gx" / "uncommitted" / "data_docs" / "local_site"


def build_data_docs(gx_root: Path) -> Path | None:
    """Render the Data Docs pages of every stored result not rendered yet, and the index. Called once at the end
    of a run and where a blocking check fails — not after every validation, which would re-render the index each
    time. Returns the index page (None before any validation)."""
    if not (gx_root / "gx").is_dir():
        return None
    if not _unrendered_on_disk(gx_root):  # nothing new to render: no need to import GX and open the project
        return data_docs_site(gx_root) / "index.html"
    with _project(gx_root) as context:
        pages = data_docs_site(gx_root) / "validations"
        unrendered = [key for key in context.validation_results_store.list_keys()
                      if not (pages / "/".join(key.to_tuple()[:3]) / f"{key.to_tuple()[3]}.html").exists()]
        if unrendered:  # (none given would mean every page again)
            context.build_data_docs(resource_identifiers=unrendered)
    return data_docs_site(gx_root) / "index.html"


def _unrendered_on_disk(gx_root: Path) -> bool:
    """Whether any stored validation result (gx/uncommitted/validations/<suite>/<run>/<time>/<batch>.json) has no
    page yet (data_docs/local_site/validations/<suite>/<run>/<time>/<batch>.html) — the test `build_data_docs` makes
    through GX, made on the files alone."""
    results = gx_root / "gx" / "uncommitted" / "validations"
    pages = data_docs_site(gx_root) / "validations"
    if not (data_docs_site(gx_root) / "index.html").exists():
        return results.is_dir()
    return any(not (pages / path.relative_to(results)).with_suffix(".html").exists()
               for path in results.rglob("*.json"))


# Validation results kept per suite in the GX project (and so in the Data Docs), so that the project, and the index
# rendered from it, do not grow with every run.
RESULTS_KEPT_PER_SUITE = 20


def _keep_latest_results(context, suite_name: str, gx_root: Path, keep: int) -> None:
    import shutil

    store = context.validation_results_store
    keys = sorted((k for k in store.list_keys() if k.expectation_suite_identifier.name == suite_name),
                  key=lambda k: k.run_id.run_time)
    for key in keys[:max(len(keys) - keep, 0)]:
        store.remove_key(key)
        shutil.rmtree(data_docs_site(gx_root) / "validations" / suite_name / key.run_id.run_name / key.to_tuple()[2],
                      ignore_errors=True)
