"""The what-if's query: the failure scale's own SQL, published with the snapshot, so that the API can judge the
published inputs under other thresholds without a second implementation of the rules (one rule, one home).

At publication the intermediate models from the scenarios to the levels are read back as dbt compiled them (each is
a table in the DuckDB warehouse, with its SQL beside it as the view `<model>__sql`: macros/what_if_view.sql) and chained into one query of CTEs over the snapshot's tables: the inputs
(fct_failure_scale_inputs), the methodology seeds, and — in place of the thresholds seed — the published thresholds
of one version with the caller's values laid over them (positional parameters: names, values, version, period).
"""
from __future__ import annotations

import re

import duckdb

# the failure scale's chain, in dependency order: each a CTE of the what-if query under its own name
CHAIN = ("int_failure_scale_scenarios", "int_failure_scale_evaluated", "int_failure_scale_criteria",
         "int_economy_stress", "int_failure_scale_systemic_criteria", "int_failure_scale_levels")
INPUTS = ("int_failure_scale_inputs", "fct_failure_scale_inputs")   # the intermediate model → its published mart
SQL_VIEW_SUFFIX = "__sql"     # the view of a model's compiled SQL, left beside its table (macros/what_if_view.sql)
THRESHOLDS_SEED = "failure_scale_thresholds"
WHATIF_SQL_TABLE = "methodology_what_if_sql"

_VIEW = re.compile(r"(?is)^\s*create\s+(?:or\s+replace\s+)?view\s+\S+\s+as\s+(.*?);?\s*$")
# a relation as DuckDB writes it back (schema.name), with or without the database and quotes
_RELATION = re.compile(r'(?<![\w."])(?:"?warehouse"?\.)?"?(intermediate|methodology|marts)"?\."?(\w+)"?')

OVERRIDES = f"""whatif_overrides AS (
    SELECT unnest(?::VARCHAR[]) AS threshold, unnest(?::DOUBLE[]) AS value
),
whatif_thresholds AS (
    SELECT t.methodology_version, t.threshold, coalesce(o.value, t.value) AS value, t.unit,
           false AS calibrated, t.calibration_step, t.data_access, t.description
    FROM {THRESHOLDS_SEED} AS t LEFT JOIN whatif_overrides AS o ON o.threshold = t.threshold
    WHERE t.methodology_version = ?
)"""

FINAL = """SELECT trust_code, level, assessment_complete
FROM int_failure_scale_levels WHERE scenario = 'baseline' AND period = ?"""


def what_if_query(warehouse: duckdb.DuckDBPyConnection, database: str = "warehouse") -> str:
    """The what-if query from the warehouse's views of the chain's SQL (attached as `database`)."""
    views = {name.removesuffix(SQL_VIEW_SUFFIX): sql for name, sql in warehouse.execute(
        "SELECT view_name, sql FROM duckdb_views() WHERE database_name = ? AND schema_name = 'intermediate' "
        "AND list_contains(?::VARCHAR[], view_name)",
        [database, [name + SQL_VIEW_SUFFIX for name in CHAIN]]).fetchall()}
    missing = [name + SQL_VIEW_SUFFIX for name in CHAIN if name not in views]
    if missing:
        raise ValueError(f"the what-if needs the SQL of the failure scale's models as views in the warehouse: {missing}")

    def body(name: str) -> str:
        found = _VIEW.match(views[name])
        if not found:
            raise ValueError(f"cannot read the SQL of view {name}")

        def relation(match: re.Match) -> str:
            table = match.group(2)
            if table == INPUTS[0]:
                return INPUTS[1]
            if table == THRESHOLDS_SEED and name == CHAIN[0]:
                return "whatif_thresholds"
            return table
        return _RELATION.sub(relation, found.group(1))

    # materialised: each step is read by several later ones, and inlined it would be computed again for each
    ctes = ",\n".join(f"{name} AS MATERIALIZED (\n{body(name)}\n)" for name in CHAIN)
    return f"WITH {OVERRIDES},\n{ctes}\n{FINAL}"
