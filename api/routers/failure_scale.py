"""The failure scale: who sits where, every criterion, what changed, the methodology and its calibration."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import pyarrow.compute as pc
from fastapi import APIRouter, Path, Query

from api.deps import Methodology, When, WhenQuery, month_end
from api.problems import PROBLEM_RESPONSES, Problem
from api.responses import EXPORT_RESPONSES, Context, Document, FormatParam, Listing, Page, PagingQuery, Serve
from api.routers.trusts import IcbFilter, LevelMin, PeerFilter, scale_listing
from api.scale import CRITERION_VALUES, catalogue, criteria, criteria_table, thresholds
from orchestration.whatif import WHATIF_SQL_TABLE
from api.schemas.scale import (CalibrationRow, ChangeRow, CriterionDefinition, CriterionRow, FinanceBand, Level,
                               Methodology as MethodologyModel, MethodologyVersions, ScaleRow, Threshold, WhatIf,
                               WhatIfLevel, WhatIfRequest, WhatIfTrust)

router = APIRouter(tags=["failure scale"], responses=PROBLEM_RESPONSES)


@router.get("/failure-scale", response_model=Page[ScaleRow], responses=EXPORT_RESPONSES,
            summary="The failure scale in a month: every trust's level, worst first")
async def failure_scale(serve: Serve, when: WhenQuery, paging: PagingQuery, methodology: Methodology = None,
                        level_min: LevelMin = None, icb: IcbFilter = None, peer_group: PeerFilter = None,
                        format: FormatParam = None):
    """Each trust's level (0 no identified concern … 5 systemic failure), its consequence and the criteria that put
    it there, worst first (ties by code). Public."""
    return await serve.respond(
        lambda ctx: scale_listing(ctx, when, methodology, icb=icb, region=None, peer_group=peer_group,
                                  level_min=level_min, order="level DESC, code"),
        paging_=paging)


def _criteria(ctx: Context, when, methodology: str | None, trust: str | None, status: str | None) -> Listing:
    period = ctx.snapshot.period_for(when)
    version = ctx.snapshot.methodology(methodology)
    listed, _ = criteria(ctx, version, [period], [trust.upper()] if trust else None)
    table = criteria_table(listed, version)
    if status:
        table = table.filter(pc.equal(table.column("status"), status))
    return Listing(table, CriterionRow, ctx.served(period=period, as_of=when.as_of, methodology_version=version),
                   CRITERION_VALUES)


@router.get("/failure-scale/criteria", response_model=Page[CriterionRow], responses=EXPORT_RESPONSES,
            summary="Every criterion for every trust in a month: met, not met, not assessable (flat, for export)")
async def failure_scale_criteria(
        serve: Serve, when: WhenQuery, paging: PagingQuery, methodology: Methodology = None,
        trust: Annotated[str | None, Query(description="only this trust", examples=["R0M"])] = None,
        status: Annotated[Literal["met", "not_met", "not_assessable"] | None, Query(
            description="only criteria in this status")] = None,
        format: FormatParam = None):
    """The scorecards' criteria as rows (trust, criterion), ordered by trust then level. A criterion read from the
    in-year finance return shows its value and threshold only to callers entitled to that trust's restricted data
    (others: "value restricted"); each such row shown is an audited read."""
    return await serve.respond(lambda ctx: _criteria(ctx, when, methodology, trust, status),
                               paging_=paging)


def _changes(ctx: Context, since: str, when, methodology: str | None) -> Listing:
    version = ctx.snapshot.methodology(methodology)
    period = ctx.snapshot.period_for(when)
    start = _since_period(ctx, since)
    if start >= period:
        raise Problem(422, f"`since` ({start:%Y-%m}) must be a month before the one compared ({period:%Y-%m})")
    table = ctx.rows("""
        WITH months AS (
            SELECT trust_code, period, level, icb_code,
                   coalesce(json_extract_string(criteria, '$[*].criterion'), []) AS met
            FROM fct_trust_failure_scale WHERE methodology_version = ? AND period IN (?, ?)),
        before AS (SELECT * FROM months WHERE period = ?),
        after AS (SELECT * FROM months WHERE period = ?)
        SELECT coalesce(after.trust_code, before.trust_code) AS code, trust.trust_name AS name,
               ?::DATE AS since_period, ?::DATE AS period, before.level AS level_before, after.level AS level,
               CASE WHEN before.trust_code IS NULL THEN 'new' WHEN after.trust_code IS NULL THEN 'gone'
                    WHEN after.level > before.level THEN 'up' ELSE 'down' END AS direction,
               array_to_string(list_filter(coalesce(after.met, []),
                                           lambda c: NOT list_contains(coalesce(before.met, []), c)), '; ') AS criteria_added,
               array_to_string(list_filter(coalesce(before.met, []),
                                           lambda c: NOT list_contains(coalesce(after.met, []), c)), '; ') AS criteria_removed,
               coalesce(after.icb_code, before.icb_code) AS icb_code, peer.peer_group
        FROM after FULL OUTER JOIN before ON before.trust_code = after.trust_code
        INNER JOIN dim_trust AS trust ON trust.trust_code = coalesce(after.trust_code, before.trust_code)
        LEFT JOIN dim_trust_peer_group AS peer ON peer.trust_code = trust.trust_code
        WHERE after.level IS DISTINCT FROM before.level
        ORDER BY CASE direction WHEN 'up' THEN 0 WHEN 'new' THEN 1 WHEN 'down' THEN 2 ELSE 3 END,
                 coalesce(after.level, -1) DESC, code""",
                     [version, start, period, start, period, start, period])
    return Listing(table, ChangeRow, ctx.served(period=period, as_of=when.as_of, methodology_version=version))


def _since_period(ctx: Context, since: str) -> date:
    """`since` as a month (YYYY-MM: that month) or a date (the latest month ending on or before it)."""
    if len(since) == 7:
        start = month_end(since, "since")
        if start not in ctx.snapshot.periods:
            raise Problem(404, f"no reporting month {since} in this snapshot")
        return start
    try:
        day = date.fromisoformat(since)
    except ValueError:
        raise Problem(422, f"since: {since!r} is neither a month (YYYY-MM) nor a date (YYYY-MM-DD)") from None
    known = [p for p in ctx.snapshot.periods if p <= day]
    if not known:
        raise Problem(404, f"no reporting month ends by {day} in this snapshot")
    return known[-1]


@router.get("/failure-scale/changes", response_model=Page[ChangeRow], responses=EXPORT_RESPONSES,
            summary="Every trust whose level changed since a month, with the criteria that moved it")
async def failure_scale_changes(
        serve: Serve, when: WhenQuery, paging: PagingQuery,
        since: Annotated[str, Query(description="compare with this reporting month (`YYYY-MM`), or with the latest "
                                                "month ending by this date (`YYYY-MM-DD`)", examples=["2026-06"])],
        methodology: Methodology = None, format: FormatParam = None):
    """How national bodies see problems early: each trust whose level in the month compared (`period` / `as_of`,
    default the latest) differs from its level in the `since` month — up (worse) first, then new to the scale,
    down, and gone — with the criteria met now and not then (`criteria_added`) and the reverse. Public."""
    return await serve.respond(lambda ctx: _changes(ctx, since, when, methodology),
                               paging_=paging)


def _versions(ctx: Context) -> Document:
    return Document(MethodologyVersions(**ctx.served(methodology_version=ctx.snapshot.latest_methodology),
                                        versions=list(ctx.snapshot.methodologies),
                                        latest=ctx.snapshot.latest_methodology))


@router.get("/methodology", response_model=MethodologyVersions, summary="The methodology versions served")
async def methodology_versions(serve: Serve):
    """The methodology versions the snapshot's failure scale was built with (oldest first); the latest is served
    unless a request asks for another (`methodology=`)."""
    return await serve.respond(_versions)


def _methodology(ctx: Context, version: str) -> Document:
    version = ctx.snapshot.methodology(version)
    levels = [Level(**r) for r in ctx.records(
        "SELECT level, level_name, consequence FROM failure_scale_levels WHERE methodology_version = ? ORDER BY level",
        [version])]
    entries = [CriterionDefinition(criterion=e.criterion, level=e.level, source=e.source, data_access=e.data_access,
                                   inputs=list(e.inputs), thresholds=list(e.thresholds), description=e.description)
               for e in catalogue(ctx, version)]
    bands = [FinanceBand(**r) for r in ctx.records(
        "SELECT metric, score, lower_bound, lower_inclusive, upper_bound, upper_inclusive, unit "
        "FROM finance_metric_thresholds WHERE methodology_version = ? ORDER BY metric, score", [version])]
    return Document(MethodologyModel(**ctx.served(methodology_version=version), levels=levels, criteria=entries,
                                     thresholds=[Threshold(**t) for t in thresholds(ctx, version).values()],
                                     finance_bands=bands))


@router.get("/methodology/{version}", response_model=MethodologyModel,
            summary="One methodology: levels, consequences, entry criteria, thresholds, finance score bands")
async def methodology(version: Annotated[str, Path(description="e.g. v1", examples=["v1"])], serve: Serve):
    """Where the bar is: each level with its consequence, each entry criterion with the level it enters, the data
    it reads (and whether that is restricted) and its thresholds, every threshold's value (those the calibration
    moves marked, with their step), and the finance metrics' score bands. Public."""
    return await serve.respond(lambda ctx: _methodology(ctx, version))


def _what_if(ctx: Context, ask: WhatIfRequest) -> WhatIf:
    version = ctx.snapshot.methodology(ask.methodology_version)
    period = ctx.snapshot.period_for(When(period=ask.period))
    published = thresholds(ctx, version)
    unknown = sorted(set(ask.thresholds) - set(published))
    if unknown:
        raise Problem(422, f"no threshold {', '.join(unknown)} in methodology {version}; it has "
                           f"{', '.join(sorted(published))}")
    found = ctx.records(f"SELECT query FROM {WHATIF_SQL_TABLE}")
    if not found:
        raise Problem(503, "this snapshot was published without the what-if's inputs")
    names = sorted(ask.thresholds)
    levels = {r["trust_code"]: r for r in ctx.records(
        found[0]["query"], [names, [float(ask.thresholds[n]) for n in names], version, period])}
    before = {r["trust_code"]: r["level"] for r in ctx.records(
        "SELECT trust_code, level FROM fct_trust_failure_scale WHERE methodology_version = ? AND period = ?",
        [version, period])}
    trusts = sorted((WhatIfTrust(code=code, level=row["level"], published_level=before.get(code, row["level"]),
                                 moved=row["level"] - before.get(code, row["level"]),
                                 assessment_complete=row["assessment_complete"])
                     for code, row in levels.items()), key=lambda t: (-abs(t.moved), t.code))
    used = [Threshold(**{**t, "value": ask.thresholds.get(name, t["value"])}) for name, t in published.items()]
    return WhatIf(**ctx.served(period=period, methodology_version=version), thresholds=used,
                  changed=[n for n in names if ask.thresholds[n] != published[n]["value"]],
                  distribution=[WhatIfLevel(level=level, trusts=sum(t.level == level for t in trusts),
                                            published_trusts=sum(v == level for v in before.values()))
                                for level in range(6)],
                  trusts_moved=sum(t.moved != 0 for t in trusts), trusts_moved_up=sum(t.moved > 0 for t in trusts),
                  trusts_moved_down=sum(t.moved < 0 for t in trusts), trusts=trusts)


@router.post("/methodology/what-if", response_model=WhatIf,
             summary="Where is the bar? Every trust's level in a month under thresholds of your choosing")
async def what_if(ask: WhatIfRequest, serve: Serve):
    """Judges the snapshot's own criteria inputs by a methodology version with any thresholds changed (the rest as
    published), with the failure scale's own SQL: every trust's level in the month, the distribution beside the
    published one, and who moved. With the published thresholds it returns exactly the published levels. Public:
    levels only, never a restricted value."""
    return await serve.compute(lambda ctx: _what_if(ctx, ask))


def _calibration(ctx: Context, when, methodology: str | None) -> Listing:
    period = ctx.snapshot.period_for(when)
    version = ctx.snapshot.methodology(methodology)
    columns = ", ".join(f"CAST({c} AS BIGINT) AS {c}" if c.startswith("trusts") else c
                        for c in CalibrationRow.model_fields)
    table = ctx.rows(f"""
        SELECT {columns} FROM rpt_calibration WHERE period = ? AND methodology_version = ?
        ORDER BY scenario <> 'baseline', moved_threshold, direction""", [period, version])
    return Listing(table, CalibrationRow, ctx.served(period=period, as_of=when.as_of, methodology_version=version))


@router.get("/calibration", response_model=Page[CalibrationRow], responses=EXPORT_RESPONSES,
            summary="How many trusts sit at each level, and how many move if a threshold moves (one step, or 10%)")
async def calibration(serve: Serve, when: WhenQuery, paging: PagingQuery, methodology: Methodology = None,
                      format: FormatParam = None):
    """Per scenario — the baseline, and each calibrated threshold moved down and up (a whole number by one step,
    anything else by 10%: `move` says which) — the trusts at each level and how many move up or down against the
    baseline. Public."""
    return await serve.respond(lambda ctx: _calibration(ctx, when, methodology),
                               paging_=paging)
