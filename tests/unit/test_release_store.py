"""The release store keeps each release as what changed against the releases before it (known answers), and keeps
its own invariants: locked, atomic, re-basing itself, refusing unsafe names, readable before any release."""
import json
import multiprocessing
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.feeds.store import (SCHEMA_PARTITION, Received, Release, ReleaseStore, UnsafeName, read_index,
                                       release_url)

SCHEMA = pa.schema([("month", pa.string()), ("org", pa.string()), ("value", pa.float64()), ("_source_row", pa.int64())])
RECEIVED = date(2026, 11, 1)


def _table(rows):
    return pa.table({"month": [r[0] for r in rows], "org": [r[1] for r in rows],
                     "value": pa.array([r[2] for r in rows], pa.float64()),
                     "_source_row": list(range(2, len(rows) + 2))}, schema=SCHEMA)


# The "raw files" of the tests: what each release held, as the loader gives it back for a re-base.
TABLES: dict[str, list] = {}


def _load(entry):
    return _table(TABLES[entry.sha256])


def _store(root: Path, scope="whole") -> ReleaseStore:
    return ReleaseStore(root, ("month", "org"), scope, SCHEMA, _load)


def _put(store, key, published, rows, sha=None):
    sha = sha or f"sha-{key}"
    TABLES[sha] = rows
    return store.store(Received(Release(key, f"{key}.csv", published), _table(rows), RECEIVED, sha,
                                f"file:///m/{key}.csv", f"/raw/{sha}", "layout-1", len(rows)))


def _known(store, day):
    table = store.known_as_of(day)
    if not table.num_rows:
        return {}
    return {(m, o): v for m, o, v in zip(*(table.column(c).to_pylist() for c in ("month", "org", "value")))}


def _changes(store, key):
    delta = pq.read_table(store.delta_path(key))
    return sorted(zip(delta.column("org").to_pylist(), delta.column("value").to_pylist(),
                      delta.column("_change").to_pylist()))


def test_a_whole_release_stores_new_changed_and_removed_rows_only(tmp_path):
    store = _store(tmp_path)
    first = _put(store, "2026-01", date(2026, 3, 1), [("m1", "A", 1.0), ("m1", "B", 2.0)])
    assert (first.release.new, first.release.changed, first.release.removed) == (2, 0, 0)
    # A revised, B gone, C new; the source row moving (A is now on row 3) is not a change on its own
    second = _put(store, "2026-02", date(2026, 4, 1), [("m1", "C", 5.0), ("m1", "A", 1.5)])
    assert (second.release.new, second.release.changed, second.release.removed) == (1, 1, 1)
    assert _changes(store, "2026-02") == [("A", 1.5, "changed"), ("B", 2.0, "removed"), ("C", 5.0, "new")]
    # what was known on each date
    assert _known(store, date(2026, 2, 28)) == {}
    assert _known(store, date(2026, 3, 15)) == {("m1", "A"): 1.0, ("m1", "B"): 2.0}
    assert _known(store, date(2026, 4, 1)) == {("m1", "A"): 1.5, ("m1", "C"): 5.0}
    # every row carries when the world could know it and when the platform received it
    delta = pq.read_table(store.delta_path("2026-02"))
    assert set(delta.column("_published_on").to_pylist()) == {date(2026, 4, 1)}
    assert set(delta.column("_received_on").to_pylist()) == {RECEIVED}


def test_an_unchanged_row_is_not_stored_again(tmp_path):
    store = _store(tmp_path)
    _put(store, "2026-01", date(2026, 1, 1), [("m1", "A", 1.0), ("m1", "B", 2.0)])
    second = _put(store, "2026-02", date(2026, 2, 1), [("m1", "A", 1.0), ("m1", "B", 2.0), ("m2", "A", 3.0)])
    assert (second.release.new, second.release.changed, second.release.removed) == (1, 0, 0)
    assert _changes(store, "2026-02") == [("A", 3.0, "new")]


def test_a_release_scoped_to_its_periods_leaves_other_periods_alone(tmp_path):
    store = _store(tmp_path, scope="month")
    _put(store, "2026-01", date(2026, 1, 1), [("m1", "A", 1.0), ("m1", "B", 2.0)])
    second = _put(store, "2026-02", date(2026, 2, 1), [("m2", "A", 3.0)])
    assert (second.release.new, second.release.removed) == (1, 0)
    # a resubmission of m1 without B does remove B (B is in scope: its month is in the release)
    third = _put(store, "2026-03", date(2026, 3, 1), [("m1", "A", 1.0)])
    assert (third.release.new, third.release.changed, third.release.removed) == (0, 0, 1)
    assert _known(store, date(2026, 3, 1)) == {("m1", "A"): 1.0, ("m2", "A"): 3.0}
    assert _known(store, date(2026, 2, 1)) == {("m1", "A"): 1.0, ("m1", "B"): 2.0, ("m2", "A"): 3.0}


def test_a_late_release_rebases_the_later_ones_and_the_store_equals_an_in_order_one(tmp_path):
    """Where the old store (deltas kept by callers) went wrong: 2026-03 stored before 2026-02. The late release
    revises A; 2026-03 repeats A's *old* figure, so against the new state A has changed again in 2026-03 — a row
    the un-rebased delta of 2026-03 does not hold."""
    rows = {"2026-01": [("m1", "A", 1.0), ("m1", "B", 2.0)],
            "2026-02": [("m1", "A", 9.0), ("m1", "B", 2.0)],
            "2026-03": [("m1", "A", 1.0), ("m1", "B", 2.0), ("m1", "C", 4.0)]}
    published = {"2026-01": date(2026, 1, 5), "2026-02": date(2026, 2, 5), "2026-03": date(2026, 3, 5)}
    late = _store(tmp_path / "late")
    for key in ("2026-01", "2026-03"):
        _put(late, key, published[key], rows[key])
    assert _changes(late, "2026-03") == [("C", 4.0, "new")]
    stored = _put(late, "2026-02", published["2026-02"], rows["2026-02"])
    assert stored.rebased == ("2026-03",)
    assert _changes(late, "2026-03") == [("A", 1.0, "changed"), ("C", 4.0, "new")]
    in_order = _store(tmp_path / "in_order")
    for key in sorted(rows):
        _put(in_order, key, published[key], rows[key])
    for key in rows:
        assert _changes(late, key) == _changes(in_order, key)
    for day in published.values():
        assert _known(late, day) == _known(in_order, day)
    assert late.state()["2026-03"].changed == 1


def _put_in_process(jobs):
    for root, key, published, rows, raw_files in jobs:
        TABLES.update(raw_files)   # a process of its own: every release's "raw file", for its re-bases
        _put(_store(Path(root), scope="month"), key, published, rows)


def test_releases_stored_at_the_same_time_from_two_processes_equal_a_sequential_store(tmp_path):
    """Partitions of one series ingested side by side (sensors, backfills): each writer holds the series' lock, and
    whichever order they come in, the store ends as a sequential one — a late month re-bases the later ones."""
    rows = {f"2026-{m:02d}": [(f"m{m}", org, float(m * 10 + i)) for i, org in enumerate("ABCDEFGH")]
            for m in range(1, 7)}
    rows["2026-04"].append(("m2", "A", 99.0))  # month 4's release revises a figure of month 2
    raw_files = {f"sha-{key}": r for key, r in rows.items()}
    TABLES.update(raw_files)
    jobs = [(str(tmp_path / "side_by_side"), key, date(2026, int(key[5:]), 28), r, raw_files)
            for key, r in rows.items()]
    # processes of their own, not forks of this one (whose other threads may hold a lock a forked child would wait on
    # forever: it happened), and a time limit, so that a writer that hangs fails the test instead of stopping the
    # suite. Not a Pool: its terminate() waits for workers it stops with SIGTERM, and a process that inherited SIGTERM
    # ignored (it happened under CI) never stops; SIGKILL cannot be ignored
    newest_first = list(reversed(jobs))  # most releases arrive "late"
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_put_in_process, args=(newest_first[i::2],)) for i in range(2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=300)
    hung = [writer for writer in writers if writer.is_alive()]
    for writer in hung:
        writer.kill()
        writer.join()
    assert not hung and [writer.exitcode for writer in writers] == [0, 0]
    sequential = _store(tmp_path / "sequential", scope="month")
    for _, key, published, r, _ in sorted(jobs, key=lambda job: job[1]):
        _put(sequential, key, published, r)
    side_by_side = _store(tmp_path / "side_by_side", scope="month")
    assert sorted(side_by_side.state()) == sorted(rows)
    for key in rows:
        assert _changes(side_by_side, key) == _changes(sequential, key), key
    assert _known(side_by_side, date(2100, 1, 1)) == _known(sequential, date(2100, 1, 1))
    assert _known(side_by_side, date(2100, 1, 1))[("m2", "A")] == 99.0
    assert not list((tmp_path / "side_by_side").rglob("*.staged"))


def test_a_commit_interrupted_after_its_journal_is_finished_by_the_next_writer(tmp_path):
    store = _store(tmp_path)
    _put(store, "2026-01", date(2026, 1, 1), [("m1", "A", 1.0)])
    # what a crash between the journal and its renames leaves: staged files, and the journal naming them
    staged_delta = store.delta_path("2026-02").parent / ".delta.parquet.staged"
    staged_delta.parent.mkdir(parents=True)
    pq.write_table(pq.read_table(store.delta_path("2026-01")), staged_delta)
    state = json.loads(store.state_path.read_text())
    state["2026-02"] = {**state["2026-01"], "key": "2026-02"}
    staged_state = store.state_path.with_name("._state.json.staged")
    staged_state.write_text(json.dumps(state))
    (tmp_path / ".commit.json").write_text(json.dumps({str(staged_delta): str(store.delta_path("2026-02")),
                                                       str(staged_state): str(store.state_path)}))
    assert "2026-02" not in store.state()  # readers see the series before the commit …
    with store.locked():                   # … until the next writer finishes it
        pass
    assert "2026-02" in store.state() and store.delta_path("2026-02").exists()
    assert not (tmp_path / ".commit.json").exists() and not staged_delta.exists()


def test_a_failed_store_changes_nothing(tmp_path):
    store = _store(tmp_path)
    _put(store, "2026-02", date(2026, 2, 1), [("m1", "A", 1.0)])
    before = (store.state_path.read_bytes(), store.delta_path("2026-02").read_bytes())
    broken = ReleaseStore(tmp_path, ("month", "org"), "whole", SCHEMA, load=None)  # cannot re-read to rebase
    with pytest.raises(RuntimeError, match="cannot re-read"):
        broken.store(Received(Release("2026-01", "a.csv", date(2026, 1, 1)), _table([("m1", "A", 2.0)]), RECEIVED,
                              "sha-x", "u", None, None, 1))
    assert (store.state_path.read_bytes(), store.delta_path("2026-02").read_bytes()) == before
    assert not store.delta_path("2026-01").exists()
    assert not list(tmp_path.rglob("*.staged"))


def test_a_series_without_releases_reads_as_an_empty_typed_table(tmp_path):
    store = _store(tmp_path)
    store.ensure_readable()
    glob = str(tmp_path / "release=*" / "delta.parquet")
    described = {r[0]: r[1] for r in duckdb.sql(f"describe select * from read_parquet('{glob}')").fetchall()}
    assert duckdb.sql(f"select count(*) from read_parquet('{glob}')").fetchall() == [(0,)]
    assert described["value"] == "DOUBLE" and described["_published_on"] == "DATE"
    assert described["_received_on"] == "DATE" and described["_change"] == "VARCHAR"
    assert store.state() == {} and SCHEMA_PARTITION not in store.state()
    # a release later is read beside it, and its rows only
    _put(store, "2026-01", date(2026, 1, 1), [("m1", "A", 1.0)])
    assert duckdb.sql(f"select count(*) from read_parquet('{glob}', union_by_name = true)").fetchall() == [(1,)]


def test_storing_the_same_release_twice_gives_the_same_delta(tmp_path):
    store = _store(tmp_path)
    _put(store, "2026-01", date(2026, 1, 1), [("m1", "A", 1.0)])
    again = _put(store, "2026-01", date(2026, 1, 1), [("m1", "A", 1.0)])
    assert (again.release.new, again.release.changed) == (1, 0)
    assert store.has("2026-01", "sha-2026-01") and not store.has("2026-01", "other-bytes")


@pytest.mark.parametrize("key", ["../2026-01", "2026-01/../../etc", "2026\x00-01", "/abs", "", "2026-1", "latest"])
def test_a_release_key_that_is_not_a_plain_key_is_refused_before_it_touches_a_path(tmp_path, key):
    index = json.dumps({"releases": [{"release": key, "file": "a.csv", "published": "2026-01-01"}]}).encode()
    with pytest.raises(UnsafeName, match="not a plain key"):
        read_index(index, "idx.json")
    with pytest.raises(UnsafeName):
        _store(tmp_path).delta_path(key)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("file", ["../../secret.csv", "sub/a.csv", "a\x00.csv", "..", ".hidden", "file:///etc/passwd",
                                  "C:\\x.csv", "https://example.org/../"])
def test_a_release_file_that_is_not_a_plain_name_is_refused(file):
    index = json.dumps({"releases": [{"release": "2026-01", "file": file, "published": "2026-01-01"}]}).encode()
    with pytest.raises(UnsafeName):
        read_index(index, "idx.json")


def test_a_plain_file_or_an_absolute_https_address_is_taken():
    index = json.dumps({"releases": [
        {"release": "2026-02", "file": "NHS Workforce Statistics, June 2026 csv files.zip", "published": "2026-02-01"},
        {"release": "2026-01", "file": "https://files.digital.nhs.uk/x/etr.zip", "published": "2026-01-01"}]}).encode()
    first, second = read_index(index, "https://mirror/x/releases.json")
    assert first.key == "2026-01" and release_url("https://mirror/x/releases.json", first) == first.file
    assert release_url("https://mirror/x/releases.json", second) == \
        "https://mirror/x/NHS Workforce Statistics, June 2026 csv files.zip"


def test_a_release_index_with_repeated_keys_or_no_releases_list_is_refused():
    with pytest.raises(ValueError, match="repeat"):
        read_index(b'{"releases": [{"release": "2026-01", "file": "a", "published": "2026-01-01"},'
                   b'{"release": "2026-01", "file": "b", "published": "2026-01-01"}]}', "idx.json")
    with pytest.raises(ValueError, match="idx.json: not a release index"):
        read_index(b"<html>not found</html>", "idx.json")
