"""`oversight compare-snapshots`: two snapshot files table by table — the check that Spark publishes what DuckDB
publishes — with known answers on small files."""
import duckdb
import pytest

from orchestration.cli import main
from orchestration.compare import compare_snapshots


def _snapshot(path, rows, extra_table=False, score_type="DOUBLE", run_id="run-1"):
    with duckdb.connect(str(path)) as db:
        db.execute(f"CREATE TABLE fct_x (code VARCHAR, score {score_type}, n BIGINT)")
        db.executemany("INSERT INTO fct_x VALUES (?, ?, ?)", rows)
        db.execute("CREATE TABLE publication (run_id VARCHAR, as_at DATE, sources VARCHAR, engine VARCHAR)")
        db.execute("INSERT INTO publication VALUES (?, DATE '2026-12-01', '{}', 'duckdb')", [run_id])
        if extra_table:
            db.execute("CREATE TABLE rpt_y AS SELECT 1 AS one")
    return path


ROWS = [("RAA", 0.1 + 0.2, 3), ("RBB", None, 1), ("RBB", None, 1)]


def test_the_same_rows_in_another_order_and_another_run_are_the_same(tmp_path):
    left = _snapshot(tmp_path / "a.duckdb", ROWS)
    right = _snapshot(tmp_path / "b.duckdb", [ROWS[2], (ROWS[0][0], 0.3, 3), ROWS[1]], run_id="run-2")
    assert compare_snapshots(left, right) == []          # 0.1 + 0.2 and 0.3 agree to 10 significant digits


def test_every_kind_of_difference_is_named(tmp_path):
    left = _snapshot(tmp_path / "a.duckdb", ROWS, extra_table=True)
    right = _snapshot(tmp_path / "b.duckdb", ROWS[:2])          # one duplicate row fewer, no rpt_y
    found = [str(d) for d in compare_snapshots(left, right)]
    assert found[0].startswith("rpt_y: only in")
    assert "fct_x: 3 rows ≠ 2" in found
    assert any(d.startswith("fct_x: 1 rows only on the left") and "RBB" in d for d in found)
    changed = _snapshot(tmp_path / "c.duckdb", [("RAA", 0.31, 3), *ROWS[1:]])
    assert [str(d) for d in compare_snapshots(left.with_name("a.duckdb"), changed)
            if "fct_x" in str(d)][0].startswith("fct_x: 1 rows only on the left, e.g. ('RAA', '0.3'")
    integer = _snapshot(tmp_path / "d.duckdb", [("RAA", 1, 3)], score_type="INTEGER")
    assert "fct_x: columns differ: score DOUBLE ≠ score INTEGER" in [str(d) for d in compare_snapshots(left, integer)]


def test_the_command_exits_1_on_a_difference_and_2_on_no_snapshot(tmp_path, capsys):
    left = _snapshot(tmp_path / "a.duckdb", ROWS)
    assert main(["compare-snapshots", str(left), str(_snapshot(tmp_path / "b.duckdb", ROWS))]) == 0
    assert main(["compare-snapshots", str(left), str(_snapshot(tmp_path / "c.duckdb", ROWS[:1]))]) == 1
    assert "fct_x: 3 rows ≠ 1" in capsys.readouterr().out
    assert main(["compare-snapshots", str(left), str(tmp_path / "missing.duckdb")]) == 2
    assert "no snapshot at" in capsys.readouterr().err
