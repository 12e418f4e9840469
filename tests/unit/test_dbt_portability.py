"""What keeps the dbt project building on Spark as well as DuckDB, checked without starting Spark (make test-spark
builds it there)."""
from pathlib import Path

import yaml

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"


def test_seed_values_hold_no_single_quote():
    # dbt-spark's own seed loader wrote values into SQL literals unescaped; macros/spark_seed.sql escapes them, but
    # seeds stay free of apostrophes so that they load the same under any loader
    quoted = [f"{seed.name}:{n}" for seed in sorted((DBT_PROJECT / "seeds").glob("*.csv"))
              for n, line in enumerate(seed.read_text().splitlines(), 1) if "'" in line]
    assert quoted == []


def test_seed_column_types_are_spelled_the_same_on_both_engines():
    # Spark refuses VARCHAR without a length; DuckDB and Spark both know string, integer, double, boolean
    config = yaml.safe_load((DBT_PROJECT / "seeds" / "_seeds.yml").read_text())
    types = {t.lower() for seed in config["seeds"] for t in (seed.get("config", seed).get("column_types") or {}).values()}
    assert types and types <= {"string", "integer", "double", "boolean", "date"}
