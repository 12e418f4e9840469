"""The dbt project as Dagster assets: a DbtProject, and a translator that joins dbt sources onto the
ingestion assets' keys so the lineage graph runs unbroken from feed to mart."""

import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration import crashpoints

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
# dbt is installed in the same environment as this code. dagster-dbt's own helpers (the dev-time manifest
# preparer among them) look for it on PATH, which need not include an unactivated virtualenv: put it there.
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"
if str(DBT_EXECUTABLE.parent) not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = f"{DBT_EXECUTABLE.parent}{os.pathsep}{os.environ.get('PATH', '')}"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _manifest_is_stale(manifest: Path) -> bool:
    """A manifest older than any file of the project describes another project: parse again."""
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "tests", "seeds"):
        sources += [p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file()]
    return any(p.stat().st_mtime > built for p in sources if p.exists())


def project_fingerprint() -> str:
    """The engine, the grid's length if the home sets one, and a hash of every file of the dbt project: a snapshot
    built by other models, on another engine or on another grid, is not this build."""
    import hashlib

    from orchestration.settings import Settings
    settings = Settings.from_env()
    digest = hashlib.sha256(settings.engine.name.encode() + b"\0")
    if settings.report_months_max is not None:
        digest.update(f"report_months_max={settings.report_months_max}\0".encode())
    files = [DBT_PROJECT_DIR / "dbt_project.yml"]
    for folder in ("models", "macros", "tests", "seeds"):
        files += [p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file()]
    for path in sorted(files):
        digest.update(str(path.relative_to(DBT_PROJECT_DIR)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def ensure_manifest() -> Path:
    """Parse the project if there is no manifest yet (a fresh clone) or it is older than the project's files."""
    dbt_project.prepare_if_dev()
    if _manifest_is_stale(dbt_project.manifest_path):
        subprocess.run([str(DBT_EXECUTABLE), "parse", "--quiet", "--profiles-dir", str(DBT_PROJECT_DIR)],
                       cwd=DBT_PROJECT_DIR, check=True)
    return dbt_project.manifest_path


# Rebuild a model when something it depends on was updated (a release stored, a model rebuilt), once nothing it
# depends on is still running. A partition never ingested (a release refused) does not hold the rest back.
REBUILD_WHEN_UPDATED = dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing())


class OversightTranslator(DagsterDbtTranslator):
    """Sources → the key of the ingestion asset that writes them (declared in meta.dagster.asset_key);
    models → their own name, grouped by layer (staging, intermediate, marts)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            meta = dbt_resource_props.get("meta") or dbt_resource_props.get("config", {}).get("meta") or {}
            key = (meta.get("dagster") or {}).get("asset_key")
            if not key:
                raise ValueError(
                    f"dbt source {dbt_resource_props['source_name']}.{dbt_resource_props['name']} has no "
                    "meta.dagster.asset_key: say which ingestion asset writes it")
            return dg.AssetKey(key)
        return dg.AssetKey([dbt_resource_props["name"]])

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> dg.AutomationCondition | None:
        return REBUILD_WHEN_UPDATED

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"


def mart_model_names(manifest_path: Path) -> list[str]:
    """The marts: what the serving snapshot publishes."""
    manifest = json.loads(manifest_path.read_text())
    return sorted(n["name"] for n in manifest["nodes"].values()
                  if n["resource_type"] == "model" and n["fqn"][1:2] == ["marts"])


def build_dbt_assets() -> dg.AssetsDefinition:
    @dbt_assets(manifest=ensure_manifest(), project=dbt_project, dagster_dbt_translator=OversightTranslator())
    def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        from orchestration import grid
        from orchestration.feeds.assets import as_at_of
        from orchestration.feeds.holdings import prepare_sources
        from orchestration.settings import Settings

        settings = Settings.from_env()
        settings.engine.check_available()
        prepare_sources(settings)  # every source readable: a series with no release is empty, typed
        grid.begun(settings, context.run_id)  # until it finishes, no snapshot describes the warehouse
        # dbt's own log goes to the run's log (debug), not the console: a person sees the models' count
        with contextlib.redirect_stdout(_LogWriter(context.log)):
            variables = dbt_vars(as_at_of(context), settings.report_months_max)
            invocation = dbt.cli(["build", "--vars", variables], context=context)
            for event in invocation.stream():
                yield event
                crashpoints.reached("dbt")
        keep_partial_parse(Path(invocation.target_path))
        grid.finished(settings, context.run_id)  # the reporting months it built on

    return warehouse_models


def keep_partial_parse(invocation_target: Path) -> None:
    """dagster-dbt runs each build in a target folder of its own, seeded with `target/partial_parse.msgpack`; the
    seed from `dbt parse` (no --vars) never matches a build's, so every build parsed the whole project again. The
    build's own parse goes back as the seed: the next build with the same as-at date, profile and files parses only
    what changed (dbt checks all three and parses afresh otherwise)."""
    from orchestration.files import write_bytes_atomic

    parsed = invocation_target / PARTIAL_PARSE
    if parsed.exists():
        write_bytes_atomic(DBT_PROJECT_DIR / "target" / PARTIAL_PARSE, parsed.read_bytes())


PARTIAL_PARSE = "partial_parse.msgpack"


class _LogWriter(io.TextIOBase):
    """A file-like object whose lines go to a Dagster logger at DEBUG."""

    def __init__(self, log):
        self.log, self.pending = log, ""

    def write(self, text: str) -> int:
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            if line.strip():
                self.log.debug(line)
        return len(text)


def dbt_vars(as_at, report_months_max: int | None = None) -> str:
    """The run's as-at date for the models: every rule that needs "today" (a trust open, a period not yet ended);
    and the reporting grid's length, when the home sets one (`Settings.report_months_max`)."""
    variables = {"as_at": as_at.isoformat()}
    if report_months_max is not None:
        variables["report_months_max"] = report_months_max
    return json.dumps(variables)


def dbt_resource() -> DbtCliResource:
    """dbt on the engine OVERSIGHT_ENGINE names (its target in profiles.yml): DuckDB, or Spark."""
    from orchestration.settings import Settings
    return DbtCliResource(project_dir=dbt_project, dbt_executable=str(DBT_EXECUTABLE),
                          target=Settings.from_env().engine.dbt_target)
