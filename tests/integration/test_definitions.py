"""The Dagster code location loads, and its lineage graph runs unbroken from every feed to the API snapshot."""
import json
from pathlib import Path

import dagster as dg

from orchestration.dbt import OversightTranslator, dbt_project
from orchestration.definitions import REFRESH_JOB, defs
from orchestration.feeds.assets import series_job_name
from orchestration.feeds.catalog import CURRENT_FILES, FEEDS, SERIES


def test_definitions_load_and_validate():
    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def(REFRESH_JOB) is not None


def test_every_dbt_source_maps_onto_an_ingestion_asset():
    manifest = json.loads(dbt_project.manifest_path.read_text())
    translator = OversightTranslator()
    ingestion_keys = {dg.AssetKey(spec.asset_key_path) for spec in FEEDS.values()}
    quality_log_keys = {dg.AssetKey(["quality", name]) for name in ("ingestions", "checks", "quarantine")}
    version_keys = {dg.AssetKey(spec.versions_key_path) for spec in CURRENT_FILES.values() if spec.keep_versions}
    source_keys = {translator.get_asset_key(s) for s in manifest["sources"].values()}
    assert source_keys == ingestion_keys | quality_log_keys | version_keys | {dg.AssetKey(["feeds", "holdings"])}
    assert version_keys == {dg.AssetKey(["ods", "trust_versions"])}


def test_series_are_partitioned_by_release_run_as_single_run_backfills_and_kept_out_of_the_refresh_job():
    graph = defs.resolve_asset_graph()
    refresh = defs.resolve_job_def(REFRESH_JOB)
    sensors = {s.name: s for s in defs.sensors}
    for spec in SERIES.values():
        key = dg.AssetKey(spec.asset_key_path)
        node = graph.get(key)
        assert isinstance(node.partitions_def, dg.DynamicPartitionsDefinition)
        assert node.partitions_def.name == spec.partitions_name
        assert node.backfill_policy == dg.BackfillPolicy.single_run()
        assert key not in refresh.asset_layer.executable_asset_keys
        assert defs.resolve_job_def(series_job_name(spec)).partitions_def.name == spec.partitions_name
        # a sensor per series (the CQC API's asks for the day's pull)
        assert sensors[f"{spec.feed}_{spec.table}_new_releases"].job_name == series_job_name(spec)
    for spec in CURRENT_FILES.values():
        assert dg.AssetKey(spec.asset_key_path) in refresh.asset_layer.executable_asset_keys


def test_the_refresh_is_scheduled_and_what_depends_on_new_data_rebuilds_itself():
    [schedule] = defs.schedules
    assert schedule.job_name == REFRESH_JOB and schedule.cron_schedule == "0 6 * * *"
    graph = defs.resolve_asset_graph()
    automated = {k.to_user_string() for k in graph.get_all_asset_keys()
                 if graph.get(k).automation_condition is not None}
    manifest = json.loads(dbt_project.manifest_path.read_text())
    models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")}
    assert models | {"serving/snapshot"} <= automated
    assert not any(k.startswith(("ods/", "workforce/", "cqc/", "finance/")) for k in automated)
    assert "rebuild_on_new_data" in {s.name for s in defs.sensors}


def test_asset_graph_snapshot():
    """The whole graph, edge by edge (asset_graph_edges.txt): a change here is a change to lineage and should be
    deliberate. Every feed reaches the serving snapshot, and every mart is published (with the methodology seeds)."""
    graph = defs.resolve_asset_graph()
    edges = {
        (parent.to_user_string(), key.to_user_string())
        for key in graph.get_all_asset_keys() for parent in graph.get(key).parent_keys
    }
    snapshot = Path(__file__).with_name("asset_graph_edges.txt").read_text().splitlines()
    expected = {tuple(line.split(" -> ")) for line in snapshot if line and not line.startswith("#")}
    assert edges == expected, (sorted(edges - expected), sorted(expected - edges))
    published = {parent for parent, child in edges if child == "serving/snapshot"}
    manifest = json.loads(dbt_project.manifest_path.read_text())
    marts = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["fqn"][1] == "marts"}
    from orchestration.publish import METHODOLOGY_SEEDS
    assert published == marts | set(METHODOLOGY_SEEDS)
    assert {"fct_trust_failure_scale", "rpt_economy_trust_link"} <= marts


def test_every_feed_and_every_mart_has_a_blocking_gx_check():
    """Feeds: the suite runs inside the ingestion asset, before anything is stored. Marts: after dbt, before the
    publication. Both blocking, so a critical failure stops everything downstream."""
    from expectations.registry import FEED_SUITES, MART_SUITES

    graph = defs.resolve_asset_graph()
    gx_checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys if k.name.startswith("gx_")}
    feeds = {("/".join(spec.asset_key_path), f"gx_{FEED_SUITES[spec.kind].name}")
             for spec in FEEDS.values()}
    manifest = json.loads(dbt_project.manifest_path.read_text())
    marts = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["fqn"][1] == "marts"}
    assert gx_checks == feeds | {(m, f"gx_{m}") for m in marts} and set(MART_SUITES) == marts
    for key in graph.asset_check_keys:
        if key.name.startswith("gx_"):
            assert graph.get_check_spec(key).blocking, key



# Loading under `dagster dev` without the virtualenv on PATH (dagster-dbt's manifest preparer looks for `dbt` there):
# tests/integration/test_dev.py, on the one Dagster UI its tests share.
