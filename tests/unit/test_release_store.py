"""The release store keeps each release as what changed against the releases before it (known answers)."""
from datetime import date

import pyarrow as pa
import pytest

from orchestration.feeds.releases import Release, ReleaseFeed, ReleaseStore, read_index


def _spec(scope: str) -> ReleaseFeed:
    return ReleaseFeed("test-kind", "testfeed", "figures", parse=None, keys=("month", "org"), scope=scope,
                       mirror_dir="x", partitioned_by="month", description="test")


def _table(rows):
    return pa.table({"month": [r[0] for r in rows], "org": [r[1] for r in rows],
                     "value": pa.array([r[2] for r in rows], pa.float64()),
                     "_source_row": list(range(2, len(rows) + 2))})


def _known(store, day):
    table = store.known_as_of(day)
    if not table.num_rows:
        return {}
    return {(m, o): v for m, o, v in zip(*(table.column(c).to_pylist() for c in ("month", "org", "value")))}


def _changes(store, key):
    import pyarrow.parquet as pq
    delta = pq.read_table(store.delta_path(key))
    return sorted(zip(delta.column("org").to_pylist(), delta.column("_change").to_pylist()))


def test_a_whole_release_stores_new_changed_and_removed_rows_only(tmp_path):
    store = ReleaseStore(tmp_path, _spec("whole"))
    r1, r2 = Release("2026-01", "a.csv", date(2026, 3, 1)), Release("2026-02", "b.csv", date(2026, 4, 1))
    assert store.store(r1, _table([("m1", "A", 1.0), ("m1", "B", 2.0)]), {"sha256": "1"}) == \
        {"new": 2, "changed": 0, "removed": 0}
    # A revised, B gone, C new; the source row moving (A is now on row 3) is not a change on its own
    counts = store.store(r2, _table([("m1", "C", 5.0), ("m1", "A", 1.5)]), {"sha256": "2"})
    assert counts == {"new": 1, "changed": 1, "removed": 1}
    assert _changes(store, "2026-02") == [("A", "changed"), ("B", "removed"), ("C", "new")]
    # what was known on each date
    assert _known(store, date(2026, 2, 28)) == {}
    assert _known(store, date(2026, 3, 15)) == {("m1", "A"): 1.0, ("m1", "B"): 2.0}
    assert _known(store, date(2026, 4, 1)) == {("m1", "A"): 1.5, ("m1", "C"): 5.0}


def test_an_unchanged_row_is_not_stored_again(tmp_path):
    store = ReleaseStore(tmp_path, _spec("whole"))
    store.store(Release("1", "a", date(2026, 1, 1)), _table([("m1", "A", 1.0), ("m1", "B", 2.0)]), {"sha256": "1"})
    counts = store.store(Release("2", "b", date(2026, 2, 1)), _table([("m1", "A", 1.0), ("m1", "B", 2.0),
                                                                       ("m2", "A", 3.0)]), {"sha256": "2"})
    assert counts == {"new": 1, "changed": 0, "removed": 0}
    assert _changes(store, "2") == [("A", "new")]


def test_a_release_scoped_to_its_periods_leaves_other_periods_alone(tmp_path):
    store = ReleaseStore(tmp_path, _spec("month"))
    store.store(Release("1", "a", date(2026, 1, 1)), _table([("m1", "A", 1.0), ("m1", "B", 2.0)]), {"sha256": "1"})
    counts = store.store(Release("2", "b", date(2026, 2, 1)), _table([("m2", "A", 3.0)]), {"sha256": "2"})
    assert counts == {"new": 1, "changed": 0, "removed": 0}
    # a resubmission of m1 without B does remove B (B is in scope: its month is in the release)
    counts = store.store(Release("3", "c", date(2026, 3, 1)), _table([("m1", "A", 1.0)]), {"sha256": "3"})
    assert counts == {"new": 0, "changed": 0, "removed": 1}
    assert _known(store, date(2026, 3, 1)) == {("m1", "A"): 1.0, ("m2", "A"): 3.0}
    assert _known(store, date(2026, 2, 1)) == {("m1", "A"): 1.0, ("m1", "B"): 2.0, ("m2", "A"): 3.0}


def test_storing_the_same_release_twice_gives_the_same_delta(tmp_path):
    store = ReleaseStore(tmp_path, _spec("whole"))
    release = Release("1", "a", date(2026, 1, 1))
    store.store(release, _table([("m1", "A", 1.0)]), {"sha256": "1"})
    assert store.store(release, _table([("m1", "A", 1.0)]), {"sha256": "1"}) == {"new": 1, "changed": 0, "removed": 0}
    assert store.has("1", "1") and not store.has("1", "other-bytes")


def test_a_release_index_with_repeated_keys_or_no_releases_list_is_refused():
    with pytest.raises(ValueError, match="repeat"):
        read_index(b'{"releases": [{"release": "1", "file": "a", "published": "2026-01-01"},'
                   b'{"release": "1", "file": "b", "published": "2026-01-01"}]}', "idx.json")
    with pytest.raises(ValueError, match="idx.json: not a release index"):
        read_index(b"<html>not found</html>", "idx.json")
