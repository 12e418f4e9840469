"""Known answer: rpt_methodology_comparison sets each methodology version beside the one before it in numeric order
(v2 after v1, v10 after v9), never in text order, where 'v10' sorts before 'v2'.

The real model runs on DuckDB over a hand-made int_failure_scale_levels holding versions v1, v2, v9 and v10.
"""
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
PERIOD = date(2026, 10, 31)
LEVELS = {"v1": 3, "v2": 0, "v9": 2, "v10": 4}   # one trust's level under each version


def test_versions_are_compared_in_numeric_order(tmp_path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as db:
        db.execute("create schema intermediate")
        db.execute("create table intermediate.int_failure_scale_levels (methodology_version varchar, "
                   "scenario varchar, trust_code varchar, period date, level integer, assessment_complete boolean)")
        db.executemany("insert into intermediate.int_failure_scale_levels values (?, 'baseline', 'RA9', ?, ?, true)",
                       [(version, PERIOD, level) for version, level in LEVELS.items()])
    env = dict(os.environ, OVERSIGHT_HOME=str(tmp_path), DBT_SEND_ANONYMOUS_USAGE_STATS="False")
    proc = subprocess.run([str(Path(sys.executable).parent / "dbt"), "run", "--select", "rpt_methodology_comparison",
                           "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT)],
                          capture_output=True, text=True, env=env, cwd=DBT_PROJECT, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as db:
        pairs = db.execute("select from_version, to_version, from_level, to_level, level_change "
                           "from marts.rpt_methodology_comparison order by to_level").fetchall()
    # in text order v10 would follow v1 and precede v2: (v1 → v10), (v10 → v2), (v2 → v9)
    assert sorted(pairs, key=lambda p: int(p[1][1:])) == [("v1", "v2", 3, 0, -3), ("v2", "v9", 0, 2, 2),
                                                          ("v9", "v10", 2, 4, 2)]
