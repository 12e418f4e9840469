"""A dbt build's own parse becomes the seed of the next build's target folder (dagster-dbt copies
`target/partial_parse.msgpack` into each build's folder), so a build with the same vars parses only what changed."""
from orchestration import dbt


def test_a_build_s_parse_replaces_the_seed_and_a_build_without_one_leaves_it(tmp_path, monkeypatch):
    project = tmp_path / "dbt_project"
    (project / "target").mkdir(parents=True)
    seed = project / "target" / dbt.PARTIAL_PARSE
    seed.write_bytes(b"from dbt parse, without --vars")
    monkeypatch.setattr(dbt, "DBT_PROJECT_DIR", project)

    build = project / "target" / "warehouse_models-1234567-abcdef0"
    build.mkdir()
    dbt.keep_partial_parse(build)  # a build that stopped before dbt parsed: the seed stays
    assert seed.read_bytes() == b"from dbt parse, without --vars"

    (build / dbt.PARTIAL_PARSE).write_bytes(b"from the build, with its as_at")
    dbt.keep_partial_parse(build)
    assert seed.read_bytes() == b"from the build, with its as_at"
    assert [p.name for p in (project / "target").iterdir() if p.name.startswith(".")] == []  # no staging file left
