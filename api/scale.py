"""The failure scale as the API serves it: trust rows, and every criterion of the methodology with its status.

Every criterion of every trust-month is a row of the mart fct_trust_failure_scale_criteria, with its status —
*met*, *not met* or *not assessable* (its input missing, or older than the version's staleness limit; the mart says
which) — its value, threshold, source and the source's publication date: the rule is the mart's, in one home. The
API only masks: a criterion read from the in-year finance return shows its value and threshold only to callers
entitled to that trust's restricted data (restricted.py).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import pyarrow as pa

from api.audit import Disclosure
from api.restricted import may_read
from api.responses import DISCLOSED, RESTRICTED, Context
from api.schemas.scale import Criterion, CriterionStatus, DataAccess

CRITERION_VALUES = "failure-scale criterion values (in-year finance return)"
FINANCE_SOURCE = "in-year finance return"

# The trusts on the scale in one month, with what the lists filter on. Parameters: period, methodology.
SCALE_ROWS = """
    SELECT scale.trust_code AS code, trust.trust_name AS name, scale.period, scale.level, scale.level_name,
           scale.consequence, scale.methodology_version, CAST(scale.criteria_met AS BIGINT) AS criteria_met,
           scale.assessment_complete, scale.missing_inputs,
           coalesce(array_to_string(json_extract_string(scale.criteria, '$[*].criterion'), '; '), '') AS criteria,
           scale.icb_code, trust.region_code, peer.peer_group, scale.economy_failing
    FROM fct_trust_failure_scale AS scale
    INNER JOIN dim_trust AS trust ON trust.trust_code = scale.trust_code
    LEFT JOIN dim_trust_peer_group AS peer ON peer.trust_code = scale.trust_code
    WHERE scale.period = ? AND scale.methodology_version = ?
"""


@dataclass(frozen=True)
class CatalogueEntry:
    criterion: str
    level: int
    source: str
    data_access: DataAccess
    inputs: tuple[str, ...]
    thresholds: tuple[str, ...]
    description: str


def catalogue(ctx: Context, methodology: str) -> list[CatalogueEntry]:
    rows = ctx.records("SELECT criterion, level, source, data_access, inputs, thresholds, description "
                       "FROM failure_scale_criteria WHERE methodology_version = ? ORDER BY level, criterion",
                       [methodology])
    return [CatalogueEntry(r["criterion"], r["level"], r["source"], DataAccess(r["data_access"]),
                           tuple((r["inputs"] or "").split()), tuple((r["thresholds"] or "").split()),
                           r["description"]) for r in rows]


def thresholds(ctx: Context, methodology: str) -> dict[str, dict]:
    return {r["threshold"]: r for r in ctx.records(
        "SELECT threshold, value, unit, calibrated, calibration_step, description FROM failure_scale_thresholds "
        "WHERE methodology_version = ? ORDER BY threshold", [methodology])}


def criteria(ctx: Context, methodology: str, periods: list[date], trust_codes: list[str] | None = None
             ) -> tuple[dict[tuple[str, date], list[Criterion]], set[Disclosure]]:
    """Every criterion of `methodology` for each trust (all, or `trust_codes`) in each of `periods`, masked for
    the caller; and the restricted reads that shows."""
    rows = ctx.records(
        "SELECT trust_code, period, criterion, level, status, criterion_value, criterion_threshold, source, "
        "source_date, missing_input, data_access, description FROM fct_trust_failure_scale_criteria "
        "WHERE methodology_version = ? AND period IN (SELECT unnest(?::DATE[])) "
        "AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], trust_code)) "
        "ORDER BY trust_code, period, level, criterion",
        [methodology, periods, trust_codes, trust_codes])
    by_trust: dict[tuple[str, date], list[Criterion]] = {}
    disclosures: set[Disclosure] = set()
    entitled: dict[tuple[str, date], bool] = {}
    for row in rows:
        trust, period = row["trust_code"], row["period"]
        if (trust, period) not in entitled:
            entitled[(trust, period)] = may_read(ctx, trust, period)
        status = CriterionStatus(row["status"])
        access = DataAccess(row["data_access"] or
                            (DataAccess.restricted if FINANCE_SOURCE in row["source"] else DataAccess.public))
        value, threshold = row["criterion_value"], row["criterion_threshold"]
        restricted = access is DataAccess.restricted
        withheld = restricted and not entitled[(trust, period)]
        if withheld:
            value = threshold = RESTRICTED
        elif restricted and value is not None:          # a restricted value shown, met or not: audited
            disclosures.add(Disclosure(trust, CRITERION_VALUES))
        by_trust.setdefault((trust, period), []).append(Criterion(
            criterion=row["criterion"], level=row["level"], status=status, value=value, threshold=threshold,
            source=row["source"], source_date=row["source_date"], data_access=access, value_restricted=withheld,
            missing_input=row["missing_input"], description=row["description"] or None))
    return by_trust, disclosures


def criteria_table(listed: dict[tuple[str, date], list[Criterion]], methodology: str) -> pa.Table:
    rows = [{"trust_code": trust, "period": period, "methodology_version": methodology, "criterion": c.criterion,
             "level": c.level, "status": c.status.value, "value": c.value, "threshold": c.threshold,
             "source": c.source, "source_date": c.source_date, "data_access": c.data_access.value,
             "value_restricted": c.value_restricted, "missing_input": c.missing_input,
             DISCLOSED: trust if (c.data_access is DataAccess.restricted and c.value is not None
                                  and not c.value_restricted) else None}
            for (trust, period), items in sorted(listed.items()) for c in items]
    schema = pa.schema([("trust_code", pa.string()), ("period", pa.date32()), ("methodology_version", pa.string()),
                        ("criterion", pa.string()), ("level", pa.int64()), ("status", pa.string()),
                        ("value", pa.string()), ("threshold", pa.string()), ("source", pa.string()),
                        ("source_date", pa.date32()), ("data_access", pa.string()),
                        ("value_restricted", pa.bool_()), ("missing_input", pa.string()),
                        (DISCLOSED, pa.string())])
    return pa.Table.from_pylist(rows, schema=schema)
