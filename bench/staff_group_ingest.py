"""Benchmark: ingest a national cumulative workforce release (≥ 3 million rows) beside a plain pandas read_csv.

    python -m bench.staff_group_ingest [--out DIR]

Each side runs in its own process so its peak RSS is its own. Used by `make bench`; also runnable alone.
"""
import json
import sys
from datetime import date
from pathlib import Path

from bench.__main__ import StepFailed, timed

INGEST = """
import sys, pyarrow.parquet as pq
from datetime import date
from orchestration.feeds.workforce.staff_group import parse_staff_group
result = parse_staff_group(open(sys.argv[1], "rb").read(), sys.argv[1], as_at=date(2026, 12, 1))
assert result.accepted, result.report()["errors"][:3]
pq.write_table(result.valid, sys.argv[2])
"""
# The same, then the release's Great Expectations suite on the parsed rows, as the ingestion asset runs it.
INGEST_AND_SUITE = INGEST + """
from expectations.registry import FEED_SUITES, SuiteContext, validate
outcome = validate(result.valid, FEED_SUITES["workforce-staff-group"], SuiteContext(published_on=date(2026, 10, 1)))
assert not outcome.blocking, outcome.summary()
"""
DONE = """
print(result.rows)   # the last line: a process that stopped early (see `_side`) prints no count
"""
PANDAS = """
import sys, zipfile, pandas as pd
with zipfile.ZipFile(sys.argv[1]) as archive:
    frame = pd.read_csv(archive.open(archive.namelist()[0]))
print(len(frame))
"""


# DuckDB's own CSV reader on the same CSV (unzipped beforehand, untimed: DuckDB cannot read inside a zip).
DUCKDB = """
import sys, duckdb
table = duckdb.connect().sql(f"select * from read_csv('{sys.argv[1]}', header = true)").to_arrow_table()
print(table.num_rows)  # every column read into memory, as pandas reads it
"""
# The same DuckDB read, with the release as published: its member unzipped to a file first, in the timing (ours and
# pandas' read the zip, inflating it as they go; the target compares with DuckDB's read alone, above).
DUCKDB_FROM_ZIP = """
import sys, tempfile, zipfile, duckdb
with tempfile.TemporaryDirectory() as folder, zipfile.ZipFile(sys.argv[1]) as archive:
    csv = archive.extract(archive.infolist()[0], folder)
    table = duckdb.connect().sql(f"select * from read_csv('{csv}', header = true)").to_arrow_table()
print(table.num_rows)
"""


def run(out: Path, env: dict, quick: bool = False) -> dict:
    """The national release with the workforce series from 2009 (quick: from 2025), read three ways."""
    import zipfile

    from simulator import staff_groups as sg
    from simulator.england import build_england

    out.mkdir(parents=True, exist_ok=True)
    month = date(2026, 6, 30)
    path = out / sg.release_file_names(month)[0]
    start = date(2025, 1, 31) if quick else sg.FULL_HISTORY_START
    rows = sg.write_staff_group_release(build_england("national", 1), month, path, start)
    with zipfile.ZipFile(path) as archive:
        member = archive.infolist()[0]
        csv = Path(archive.extract(member, out / "unzipped"))
    parquet = str(out / "staff_group.parquet")
    ours = _side(out, "ours", INGEST + DONE, [str(path), parquet], env, rows)
    with_suite = _side(out, "ours_then_gx_suite", INGEST_AND_SUITE + DONE, [str(path), parquet], env, rows)
    pandas = _side(out, "pandas", PANDAS, [str(path)], env, rows)
    duck = _side(out, "duckdb", DUCKDB, [str(csv)], env, rows)
    duck_from_zip = _side(out, "duckdb_from_zip", DUCKDB_FROM_ZIP, [str(path)], env, rows)
    return {"rows": rows, "zip_mb": round(path.stat().st_size / 2**20, 1),
            "csv_mb": round(member.file_size / 2**20, 1),
            "ours": ours, "ours_then_gx_suite": with_suite, "pandas": pandas, "duckdb": duck,
            "duckdb_from_zip": duck_from_zip}


def _side(out: Path, name: str, code: str, args: list[str], env: dict, rows: int) -> dict:
    """One side in a process of its own, run from a script file, not `python -c`: under `-c` pyspark (which GX
    imports) takes the process for doctests and exits 0 at the import — a side that stopped there would be timed
    as done. Its last line must be the rows it read."""
    script = out / f"bench_side_{name}.py"   # not pandas.py: the script's folder comes first on sys.path
    script.write_text(code)
    figures = timed([sys.executable, str(script), *args], env, keep_stdout=True)
    said = figures.pop("stdout").strip().splitlines()
    if said[-1:] != [str(rows)]:
        raise StepFailed(f"bench side {name} read {said[-1:] or 'nothing'}, not the release's {rows} rows")
    return figures


if __name__ == "__main__":
    import os
    import tempfile

    target = Path(sys.argv[sys.argv.index("--out") + 1]) if "--out" in sys.argv else Path(tempfile.mkdtemp())
    result = run(target, dict(os.environ))
    results = Path(__file__).parent / "results" / "staff_group_ingest.json"
    results.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
