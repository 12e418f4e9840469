"""The Dagster code location loads, and its lineage graph runs unbroken from every feed to the API snapshot."""
import json

import dagster as dg

from orchestration.dbt import OversightTranslator, dbt_project
from orchestration.definitions import REFRESH_JOB, defs
from orchestration.feeds.registry import CQC_API_FEED, FEED_FILES, RELEASE_FEEDS


def test_definitions_load_and_validate():
    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def(REFRESH_JOB) is not None


def test_every_dbt_source_maps_onto_an_ingestion_asset():
    manifest = json.loads(dbt_project.manifest_path.read_text())
    translator = OversightTranslator()
    ingestion_keys = {dg.AssetKey(spec.asset_key_path) for spec in [*FEED_FILES.values(), *RELEASE_FEEDS.values(), CQC_API_FEED]}
    source_keys = {translator.get_asset_key(s) for s in manifest["sources"].values()}
    assert source_keys == ingestion_keys


def test_release_feeds_are_partitioned_by_release_and_kept_out_of_the_refresh_job():
    graph = defs.resolve_asset_graph()
    refresh = defs.resolve_job_def(REFRESH_JOB)
    for spec in [*RELEASE_FEEDS.values(), CQC_API_FEED]:
        key = dg.AssetKey(spec.asset_key_path)
        partitions = graph.get(key).partitions_def
        assert isinstance(partitions, dg.DynamicPartitionsDefinition) and partitions.name == spec.partitions_name
        assert key not in refresh.asset_layer.executable_asset_keys
        release_job = defs.resolve_job_def(f"ingest_{spec.feed}_{spec.table}_releases")
        assert release_job.partitions_def.name == spec.partitions_name


def test_asset_graph_snapshot():
    """The whole graph, edge by edge: a change here is a change to lineage and should be deliberate."""
    graph = defs.resolve_asset_graph()
    edges = {
        (parent.to_user_string(), key.to_user_string())
        for key in graph.get_all_asset_keys() for parent in graph.get(key).parent_keys
    }
    assert edges == {
        ("ods/trusts", "stg_ods__trusts"),
        ("ods/successors", "stg_ods__successors"),
        ("ods/icbs", "stg_ods__icbs"),
        ("stg_ods__successors", "int_trust_successors_resolved"),
        ("stg_ods__trusts", "dim_trust"),
        ("int_trust_successors_resolved", "dim_trust"),
        ("stg_ods__trusts", "dim_health_economy"),
        ("stg_ods__icbs", "dim_health_economy"),
        ("workforce/sickness_absence", "stg_workforce__sickness_absence"),
        ("stg_workforce__sickness_absence", "int_sickness_absence_current"),
        ("workforce/staff_group", "stg_workforce__staff_group"),
        ("cqc/latest_ratings", "stg_cqc__latest_ratings"),
        ("cqc/api_locations", "stg_cqc__api_ratings"),
        ("finance/tac", "stg_finance__tac"),
        ("tac_subcodes", "stg_finance__tac"),
        ("finance/monthly_returns", "stg_finance__monthly_returns"),
        ("dim_trust", "serving/snapshot"),
        ("dim_health_economy", "serving/snapshot"),
        ("stg_finance__monthly_returns", "int_reporting_months"),
        ("stg_workforce__sickness_absence", "int_reporting_months"),
        ("stg_cqc__latest_ratings", "int_reporting_months"),
        ("int_reporting_months", "fct_trust_finance"),
        ("stg_finance__monthly_returns", "fct_trust_finance"),
        ("finance_metric_thresholds", "fct_trust_finance"),
        ("fct_trust_finance", "serving/snapshot"),
    }


def test_the_trusts_feed_has_a_blocking_gx_check():
    graph = defs.resolve_asset_graph()
    gx_keys = [k for k in graph.asset_check_keys if k.name.startswith("gx_")]
    assert [(k.asset_key.to_user_string(), k.name) for k in gx_keys] == [("ods/trusts", "gx_ods_trusts")]
    check_def = next(c for c in defs.asset_checks if gx_keys[0] in c.check_keys)
    assert all(spec.blocking for spec in check_def.check_specs)


def test_definitions_load_under_dagster_dev_without_the_virtualenv_on_path(tmp_path):
    """`make dev` runs `dagster dev`, whose dbt manifest preparer looks for `dbt` on PATH."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, PATH="/usr/bin:/bin", DAGSTER_IS_DEV_CLI="1", OVERSIGHT_HOME=str(tmp_path))
    probe = "from orchestration.definitions import defs; print(len(list(defs.resolve_asset_graph().get_all_asset_keys())))"
    proc = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(proc.stdout.strip().splitlines()[-1]) == len(list(defs.resolve_asset_graph().get_all_asset_keys()))
