"""The failure scale as the API serves it: trust rows, and every criterion of the methodology with its status.

The marts record the criteria a trust *met* (fct_trust_failure_scale.criteria, each with value, threshold, source
and date). The rest of the methodology's criteria come from its catalogue (the failure_scale_criteria seed,
published with the snapshot): each is *not assessable* where the data it reads is missing that month — no in-year
finance return, no trust rating, no sickness figure, an economy with no other trust to measure — and *not met*
otherwise. Methodology v1 counts a missing input as not met; saying which it was is not a new judgement, it is what
the marts show. A criterion read from the in-year finance return shows its value and threshold only to callers
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
        "SELECT threshold, value, unit, calibrated, description FROM failure_scale_thresholds "
        "WHERE methodology_version = ? ORDER BY threshold", [methodology])}


# What each input of the catalogue needs, per trust and month (True: there; False for serious_failure: not at 4).
INPUTS = """
    WITH months AS (SELECT trust_code, period, economy_failing FROM fct_trust_failure_scale
                    WHERE methodology_version = ? AND period IN (SELECT unnest(?::DATE[])))
    SELECT months.trust_code, months.period,
           EXISTS (SELECT 1 FROM fct_trust_quality AS q WHERE q.trust_code = months.trust_code
                   AND q.period = months.period AND q.rating_level = 'trust' AND q.key_question = 'Overall'
                   AND q.is_rating) AS trust_rating,
           EXISTS (SELECT 1 FROM fct_trust_finance AS f WHERE f.trust_code = months.trust_code
                   AND f.period = months.period) AS finance_return,
           EXISTS (SELECT 1 FROM fct_trust_workforce AS w WHERE w.trust_code = months.trust_code
                   AND w.period = months.period AND w.sickness_absence_rate_percent IS NOT NULL) AS sickness,
           months.economy_failing IS NOT NULL AS economy,
           coalesce((SELECT max(e.trust_level_before_systemic_criteria) FROM fct_economy_condition AS e
                     WHERE e.trust_code = months.trust_code AND e.period = months.period), 0) >= 4 AS serious_failure
    FROM months
"""


def _threshold_text(entry: CatalogueEntry, known: dict[str, dict]) -> str | None:
    parts = [f"{name} {known[name]['value']:g} {known[name]['unit']}" for name in entry.thresholds if name in known]
    return "; ".join(parts) or None


def criteria(ctx: Context, methodology: str, periods: list[date], trust_codes: list[str] | None = None
             ) -> tuple[dict[tuple[str, date], list[Criterion]], set[Disclosure]]:
    """Every criterion of `methodology` for each trust (all, or `trust_codes`) in each of `periods`, masked for
    the caller; and the restricted reads that shows."""
    entries = catalogue(ctx, methodology)
    catalogued = {e.criterion for e in entries}
    known_thresholds = thresholds(ctx, methodology)
    met_rows = ctx.records(
        "SELECT trust_code, period, criteria FROM fct_trust_failure_scale WHERE methodology_version = ? "
        "AND period IN (SELECT unnest(?::DATE[])) AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], trust_code))",
        [methodology, periods, trust_codes, trust_codes])
    inputs = {(r["trust_code"], r["period"]): r for r in ctx.records(INPUTS, [methodology, periods])}
    by_trust: dict[tuple[str, date], list[Criterion]] = {}
    disclosures: set[Disclosure] = set()
    for row in met_rows:
        trust, period = row["trust_code"], row["period"]
        met = {c["criterion"]: c for c in json.loads(row["criteria"])}
        available = inputs.get((trust, period), {})
        entitled = may_read(ctx, trust, period)
        listed = []
        # a criterion the marts met that the catalogue lacks is still listed (the dbt test keeps this from happening)
        extra = [CatalogueEntry(c["criterion"], int(c["level"]), c["source"],
                                DataAccess.restricted if FINANCE_SOURCE in c["source"] else DataAccess.public,
                                (), (), "") for name, c in met.items() if name not in catalogued]
        for entry in [*entries, *extra]:
            found = met.get(entry.criterion)
            if found is not None:
                status = CriterionStatus.met
                value, threshold = found["value"], found["threshold"]
                source, source_date = found["source"], found["source_date"] or None
            else:
                if "serious_failure" in entry.inputs and not available.get("serious_failure", False):
                    status = CriterionStatus.not_met       # level 5 needs level 4 first: known not met
                elif any(not available.get(name, False) for name in entry.inputs if name != "serious_failure"):
                    status = CriterionStatus.not_assessable
                else:
                    status = CriterionStatus.not_met
                value, threshold = None, _threshold_text(entry, known_thresholds)
                source, source_date = entry.source, None
            restricted = entry.data_access is DataAccess.restricted
            withheld = restricted and not entitled
            if withheld:
                value = threshold = RESTRICTED
            elif restricted and status is CriterionStatus.met:
                disclosures.add(Disclosure(trust, CRITERION_VALUES))
            listed.append(Criterion(criterion=entry.criterion, level=entry.level, status=status, value=value,
                                    threshold=threshold, source=source, source_date=source_date,
                                    data_access=entry.data_access, value_restricted=withheld,
                                    description=entry.description or None))
        by_trust[(trust, period)] = listed
    return by_trust, disclosures


def assessment_complete(level: int, listed: list[Criterion]) -> bool:
    """False where a criterion that could not be assessed could have put the trust higher."""
    return not any(c.status is CriterionStatus.not_assessable and c.level > level for c in listed)


def criteria_table(listed: dict[tuple[str, date], list[Criterion]], methodology: str) -> pa.Table:
    rows = [{"trust_code": trust, "period": period, "methodology_version": methodology, "criterion": c.criterion,
             "level": c.level, "status": c.status.value, "value": c.value, "threshold": c.threshold,
             "source": c.source, "source_date": c.source_date, "data_access": c.data_access.value,
             "value_restricted": c.value_restricted,
             DISCLOSED: trust if (c.data_access is DataAccess.restricted and c.status is CriterionStatus.met
                                  and not c.value_restricted) else None}
            for (trust, period), items in sorted(listed.items()) for c in items]
    schema = pa.schema([("trust_code", pa.string()), ("period", pa.date32()), ("methodology_version", pa.string()),
                        ("criterion", pa.string()), ("level", pa.int64()), ("status", pa.string()),
                        ("value", pa.string()), ("threshold", pa.string()), ("source", pa.string()),
                        ("source_date", pa.date32()), ("data_access", pa.string()),
                        ("value_restricted", pa.bool_()), (DISCLOSED, pa.string())])
    return pa.Table.from_pylist(rows, schema=schema)
