"""Release feeds through real Dagster partitions: one partition per release, stored as deltas, idempotent,
re-based when a release arrives late, and a bad release never replaces what was stored."""
import json
from pathlib import Path
from datetime import date

import dagster as dg
import pyarrow.parquet as pq
import pytest

from orchestration.feeds import pipeline
from orchestration.feeds.assets import AS_AT_TAG, series_asset
from orchestration.feeds.workforce import SICKNESS as SPEC
from orchestration.settings import Settings
from simulator import simulate

AS_AT = {AS_AT_TAG: "2026-12-01"}


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    root = tmp_path / "mirror"
    simulate("small", 3, root, feeds={"sickness"})
    monkeypatch.setenv("OVERSIGHT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OVERSIGHT_FEEDS_URL", root.as_uri())
    return root


def _materialise(instance, key, raise_on_error=True):
    if key not in instance.get_dynamic_partitions(SPEC.partitions_name):
        instance.add_dynamic_partitions(SPEC.partitions_name, [key])
    return dg.materialize([series_asset(SPEC)], instance=instance, partition_key=key, tags=AS_AT,
                          raise_on_error=raise_on_error)


def _metadata(result):
    [event] = result.get_asset_materialization_events()
    return {k: v.value for k, v in event.materialization.metadata.items()}


def _observed(result):
    [event] = [e for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION"]
    return {k: v.value for k, v in event.event_specific_data.asset_observation.metadata.items()}


def test_releases_land_as_partitions_and_deltas(mirror):
    releases = [r["release"] for r in json.loads((mirror / "workforce/sickness/releases.json").read_text())["releases"]]
    assert len(releases) == 5
    settings = Settings.from_env()
    with dg.DagsterInstance.ephemeral() as instance:
        for key in releases:
            meta = _metadata(_materialise(instance, key))
            file_rows = len((mirror / f"workforce/sickness/nhs_sickness_absence_{key}.csv").read_bytes()
                            .splitlines()) - 1
            # each monthly file is a new month: every row new, none changed or removed
            assert (meta["rows"], meta["new"], meta["changed"], meta["removed"]) == (file_rows, file_rows, 0, 0)
        # the same bytes again: a no-op that says so, and no materialisation (nothing downstream to rebuild)
        again = _materialise(instance, releases[-1])
        assert _observed(again)["status"] == "unchanged" and not again.get_asset_materialization_events()
        said = [e.user_message for e in instance.all_logs(again.run_id) if e.user_message.startswith("[feed]")]
        assert said == [f"[feed] sickness-absence: 1 release unchanged ({releases[-1]}; the same bytes as stored)"]
    store = pipeline.release_store(settings, SPEC)
    assert sorted(store.state()) == releases
    latest = store.known_as_of(date(2100, 1, 1))
    assert sorted({d.isoformat()[:7] for d in latest.column("month_end").to_pylist()}) == releases
    # the raw bytes are kept as received, named by their hash, with the release in the manifest
    manifest = [json.loads(line) for line in (settings.raw_dir / "workforce/sickness_absence/manifest.jsonl")
                .read_text().splitlines()]
    assert {m["release"] for m in manifest} == set(releases)


def test_a_late_release_rebases_the_later_ones(mirror):
    settings = Settings.from_env()
    with dg.DagsterInstance.ephemeral() as instance:
        _materialise(instance, "2026-04")
        meta = _metadata(_materialise(instance, "2026-03"))
        assert meta["rebased"] == ["2026-04"]
    store = pipeline.release_store(settings, SPEC)
    assert sorted(store.state()) == ["2026-03", "2026-04"]
    assert store.state()["2026-04"].new == pq.read_table(store.delta_path("2026-04")).num_rows > 0


def test_releases_held_as_landed_are_known_without_fetching_them(mirror):
    """What `oversight run` leaves out of a series' run: releases stored from the bytes last landed whose files'
    validators are unchanged. A file re-published with other bytes of the same size is not among them, and is
    stored again."""
    import os

    settings = Settings.from_env()
    keys = [r["release"] for r in json.loads((mirror / "workforce/sickness/releases.json").read_text())["releases"]]
    assert pipeline.held_as_landed(SPEC, keys, settings) == []       # nothing landed yet
    with dg.DagsterInstance.ephemeral() as instance:
        for key in keys[-2:]:
            _materialise(instance, key)
        assert pipeline.held_as_landed(SPEC, keys, settings) == keys[-2:]
        path = mirror / f"workforce/sickness/nhs_sickness_absence_{keys[-1]}.csv"
        content, stat = path.read_bytes(), path.stat()
        first = content.index(b"\n") + 1
        changed = content[:first] + content[first:].replace(b"1", b"2", 1)    # a corrected figure, the same size
        assert len(changed) == len(content) and changed != content
        path.write_bytes(changed)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000))
        assert pipeline.held_as_landed(SPEC, keys, settings) == keys[-2:-1]
        # fetched and checked again (this correction breaks a rate's arithmetic: refused, the stored bytes kept)
        result = _materialise(instance, keys[-1], raise_on_error=False)
        assert not result.success and "[rate_mismatch]" in next(
            e for e in result.all_events if e.is_step_failure).event_specific_data.error.message
        # the bytes last landed are not those stored: the next run tries them again
        assert pipeline.held_as_landed(SPEC, keys, settings) == keys[-2:-1]
        path.write_bytes(content)                                             # put right: fetched, and unchanged
        assert _observed(_materialise(instance, keys[-1]))["status"] == "unchanged"
        assert pipeline.held_as_landed(SPEC, keys, settings) == keys[-2:]
    # a landing recorded before validators were (an older manifest): fetched again to know
    manifest = settings.raw_dir / "workforce/sickness_absence/manifest.jsonl"
    manifest.write_text("".join(json.dumps({**json.loads(line), "validators": None}) + "\n"
                                for line in manifest.read_text().splitlines()))
    assert pipeline.held_as_landed(SPEC, keys, settings) == []


def test_the_sensor_asks_for_new_and_re_published_releases_only(mirror):
    import os

    from orchestration.feeds.assets import series_sensor
    sensor = series_sensor(SPEC)
    keys = [r["release"] for r in json.loads((mirror / "workforce/sickness/releases.json").read_text())["releases"]]
    with dg.DagsterInstance.ephemeral() as instance:
        first = sensor(dg.build_sensor_context(instance=instance))
        [request] = first.run_requests
        assert request.tags["dagster/asset_partition_range_start"] == keys[0]
        assert request.tags["dagster/asset_partition_range_end"] == keys[-1]
        assert first.dynamic_partitions_requests[0].partition_keys == keys
        for key in keys:                                    # what that run stores
            _materialise(instance, key)
        assert isinstance(sensor(dg.build_sensor_context(instance=instance)), dg.SkipReason)
        path = mirror / f"workforce/sickness/nhs_sickness_absence_{keys[1]}.csv"
        stat = path.stat()
        path.write_bytes(path.read_bytes() + b"\r\n")          # re-published: other bytes
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000))
        again = sensor(dg.build_sensor_context(instance=instance))
        assert [r.partition_key for r in again.run_requests] == [keys[1]] and not again.dynamic_partitions_requests


def test_a_bad_release_fails_its_partition_and_keeps_what_was_stored(mirror):
    settings = Settings.from_env()
    with dg.DagsterInstance.ephemeral() as instance:
        _materialise(instance, "2026-05")
        store = pipeline.release_store(settings, SPEC)
        before = (store.state_path.read_text(), store.delta_path("2026-05").read_bytes())
        # the publisher replaces the file with an error page saved under the same name
        (mirror / "workforce/sickness/nhs_sickness_absence_2026-05.csv").write_text(
            "<html><body>Service unavailable</body></html>")
        result = _materialise(instance, "2026-05", raise_on_error=False)
        assert not result.success
        failure = next(e for e in result.all_events if e.is_step_failure)
        message = failure.event_specific_data.error.message
        assert "nhs_sickness_absence_2026-05.csv rejected as sickness-absence" in message
        assert "an HTML page where a sickness absence CSV was expected" in message and "[html_page]" in message
        assert (store.state_path.read_text(), store.delta_path("2026-05").read_bytes()) == before
    # the rejected bytes are still landed, as received
    raw = settings.raw_dir / "workforce/sickness_absence"
    assert any(p.read_bytes().startswith(b"<html>") for p in raw.glob("*.csv"))


def _ingest_in_process(args):
    home, feeds, key = args
    import os
    os.environ.update(OVERSIGHT_HOME=home, OVERSIGHT_FEEDS_URL=feeds)
    settings = Settings.from_env()
    run = pipeline.Run(settings, date(2026, 12, 1))
    return pipeline.ingest_release(SPEC, key, run, pipeline.stored_references(settings)).status


def test_two_releases_ingested_at_the_same_time_store_both_as_a_sequential_run_would(mirror, tmp_path):
    """Two partitions of one series in two processes at once (what two sensor runs do): both are stored, and the
    store holds exactly what one after the other gives. The later month first, so one of them arrives late."""
    import subprocess
    import sys

    keys = [r["release"] for r in json.loads((mirror / "workforce/sickness/releases.json").read_text())["releases"]]
    feeds = mirror.as_uri()
    together, one_by_one = str(tmp_path / "together"), str(tmp_path / "one_by_one")
    # two processes of their own, not a fork of this one (whose other threads may hold a lock a forked child would
    # wait on forever), and a time limit: a process that dies or hangs fails the test instead of stopping the suite
    # (`-m`, not `-c`: under `-c` pyspark, which GX imports, takes the process for doctests and exits 0 silently)
    root = Path(__file__).resolve().parents[2]
    children = [subprocess.Popen([sys.executable, "-m", __name__, together, feeds, k], cwd=root, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE) for k in reversed(keys[-2:])]
    try:
        outcomes = [child.communicate(timeout=600) for child in children]
    finally:
        for child in children:
            child.kill()
    assert [(child.returncode, out.strip().splitlines()[-1:]) for child, (out, _) in zip(children, outcomes)] == \
        [(0, ["stored"]), (0, ["stored"])], [err[-3000:] for _, err in outcomes]
    for key in keys[-2:]:
        assert _ingest_in_process((one_by_one, feeds, key)) == "stored"
    stores = [pipeline.release_store(Settings(home=Path(h), feeds_url=feeds), SPEC) for h in (together, one_by_one)]
    assert sorted(stores[0].state()) == sorted(stores[1].state()) == keys[-2:]
    for key in keys[-2:]:
        deltas = [pq.read_table(s.delta_path(key)).sort_by(
            [("org_code", "ascending"), ("month_end", "ascending"), ("_change", "ascending")]) for s in stores]
        assert deltas[0].equals(deltas[1]), key
    assert stores[0].known_as_of(date(2100, 1, 1)).equals(stores[1].known_as_of(date(2100, 1, 1)))


if __name__ == "__main__":   # one ingestion in a process of its own (the test of two at the same time)
    import sys
    print(_ingest_in_process(tuple(sys.argv[1:])))
