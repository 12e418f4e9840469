"""The pages: England at a glance, the health economies, each trust's record, the methodology, data quality.

Each page gathers what the API serves (data.py: the routers' own builders, for the visitor's entitlement), draws its
charts (charts.py), writes the audit records of any restricted figure it shows, and renders a template. Any chart's
numbers download as CSV from the page's own address (`?download=<chart id>`), built the same way and audited the
same way.
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import When
from api.problems import Problem
from api.responses import Context, Listing
from api.routers.analysis import _link, _trend
from api.routers.data_quality import _report
from api.routers.failure_scale import _calibration, _methodology, _versions
from api.routers.freshness import _freshness
from api.routers.health_economies import ECONOMIES, _view
from api.routers.trusts import _finance, _history, _scorecard, _workforce, scale_listing
from api.schemas.organisations import HealthEconomyRow
from api.web import charts
from api.web.charts import Chart
from api.web.data import Gathered, Result, gather
from api.web.session import (KeyRefused, SESSION_COOKIE, Visitor, check_csrf, count, csrf_token, form, safe_next,
                             sessions, set_cookies, visitor)

HERE = Path(__file__).parent
router = APIRouter(include_in_schema=False)
LATEST = When()
HISTORY_MONTHS = 24

# Nothing but this site: no script, style, image, font or connection from anywhere else (the pages work offline).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

NAV = [("/", "England"), ("/economies", "Health economies"), ("/methodology", "Methodology"),
       ("/quality", "Data quality"), ("/docs", "API docs")]


# --- formatting ----------------------------------------------------------------------------------------------------

def month(value: date | str | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return value.strftime("%b %Y")


def day(value: date | datetime | str | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.strftime("%-d %b %Y %H:%M")
    return value.strftime("%-d %b %Y")


def number(value, places: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{places}f}"


def percent(value, places: int = 0) -> str:
    """A share (0–1) as a percentage."""
    return "–" if value is None else f"{100 * value:.{places}f}%"


def criterion_name(name: str) -> str:
    return name.replace("_", " ")


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(month=month, day=day, number=number, percent=percent, criterion=criterion_name)
    env.globals.update(level_colours=charts.level_colours)
    return env


TEMPLATES = _env()


# --- rendering -----------------------------------------------------------------------------------------------------

def _find_chart(found: list[Chart], chart_id: str) -> Chart:
    for chart in found:
        if chart.id == chart_id:
            return chart
    raise Problem(404, f"no chart {chart_id!r} on this page; it has {', '.join(c.id for c in found) or 'none'}")


async def render(request: Request, who: Visitor, template: str, *, gathered: Gathered | None = None,
                 chart_list: list[Chart] = (), status: int = 200, title: str, **context) -> Response:
    """The page (or, with ?download=<chart id>, that chart's numbers as CSV), its restricted reads audited first."""
    chart_list = list(chart_list)
    private = who.signed_in or who.caller.key is not None
    download = request.query_params.get("download")
    if download is not None:
        chart = _find_chart(chart_list, download)
        if gathered is not None:
            await gathered.audit(request, who, chart.disclosures)
        return Response(chart.csv(), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{chart.id}.csv"',
            "Cache-Control": "private, no-store" if private else "public, max-age=60", **SECURITY_HEADERS})
    if gathered is not None:
        await gathered.audit(request, who)
    cookies: dict = {}
    html = TEMPLATES.get_template(template).render(
        title=title, who=who, nav=NAV, path=request.url.path, csrf=csrf_token(request, who, cookies),
        snapshot=gathered.snapshot if gathered else None, charts={c.id: c for c in chart_list},
        sign_in_next=request.url.path + (f"?{request.url.query}" if request.url.query else ""), **context)
    response = HTMLResponse(html, status_code=status, headers={
        **SECURITY_HEADERS, "Cache-Control": "private, no-store" if private else "no-cache"})
    set_cookies(request, response, cookies)
    return response


async def _page(request: Request, build) -> Response:
    """Who is looking (refused as the API refuses), their rate limit counted, then the page — or a page saying why
    not, with the status the API would give."""
    try:
        who = visitor(request)
    except Problem as problem:          # a bad Authorization header, or anonymous where the deployment refuses it
        if problem.status == 401:
            return RedirectResponse(f"/sign-in?next={safe_next(request.url.path)}", status_code=303)
        raise
    try:
        count(request, who)
        return await build(who)
    except Problem as problem:
        response = await render(request, who, "error.html", status=problem.status, title=problem.title,
                                problem=problem)
        for name, value in problem.headers.items():
            response.headers[name] = value
        return response


def _levels(snapshot, results: dict[str, Result], name: str = "methodology") -> dict[int, str]:
    body = results[name].value
    return {lv.level: lv.level_name for lv in body.levels}


def _version(rows: list[dict], snapshot) -> str:
    """The methodology version(s) the API's rows were scaled by (the snapshot's latest where there are none)."""
    return ", ".join(sorted({r["methodology_version"] for r in rows})) or (snapshot.latest_methodology or "–")


def _recent(periods) -> list[date]:
    return list(periods)[-HISTORY_MONTHS:]


# --- England at a glance -------------------------------------------------------------------------------------------

def _counts_over_time(ctx: Context) -> Listing:
    """Trusts per level per reporting month: the calibration report's baseline rows of each month (the API's
    /calibration, every month of the last 24)."""
    import pyarrow as pa
    tables = []
    for period in _recent(ctx.snapshot.periods):
        listing = _calibration(ctx, When(period=period), None)
        table = listing.table
        mask = [s == "baseline" for s in table.column("scenario").to_pylist()]
        tables.append(table.filter(pa.array(mask)))
    table = pa.concat_tables(tables) if tables else listing.table.slice(0, 0)
    return Listing(table, listing.item, listing.served)


def _link_chart(chart_id: str, title: str, rows: list[dict], what: str) -> Chart:
    periods = [month(r["period"]) for r in rows]
    latest = rows[-1] if rows else None
    measured = sum(1 for r in rows if r["estimable"])
    if latest and not latest["estimable"]:
        summary = (f"{what}, month by month from {periods[0]} to {periods[-1]}. In {periods[-1]} no odds ratio can "
                   "be estimated: the table has an empty row or column (no trust classified, or none — or all — "
                   f"failing on one side). {measured} of {len(rows)} months can be estimated.")
    elif latest and latest["odds_ratio"] is not None:
        lo, hi = latest["or_ci_low"], latest["or_ci_high"]
        verdict = ("above 1: an association" if lo is not None and lo > 1 else
                   "below 1: an inverse association" if hi is not None and hi < 1 else "containing 1: no clear association")
        summary = (f"{what}, month by month from {periods[0]} to {periods[-1]}. In {periods[-1]} the odds ratio was "
                   f"{latest['odds_ratio']:.2f} (95% confidence interval {charts._fmt(lo)} to {charts._fmt(hi)}, "
                   f"{verdict}); Fisher's exact p = {charts._fmt(latest['fisher_p'])}. {measured} of {len(rows)} "
                   "months can be estimated (the others have an empty row or column).")
    else:
        summary = f"{what}: no months with a table yet."
    columns = ["period", "failing in failing", "failing in other", "ok in failing", "ok in other", "estimable",
               "relative risk", "RR CI low", "RR CI high", "odds ratio", "OR CI low", "OR CI high", "Fisher p", "share",
               "unclassified"]
    keys = ["period", "n_failing_in_failing", "n_failing_in_other", "n_ok_in_failing", "n_ok_in_other",
            "estimable", "relative_risk", "rr_ci_low", "rr_ci_high", "odds_ratio", "or_ci_low", "or_ci_high",
            "fisher_p", "share_failing_in_failing_economies", "n_unclassified"]
    table = [[_round(r[k]) for k in keys] for r in rows]
    svg = charts.intervals(chart_id, periods, [r["odds_ratio"] for r in rows], [r["or_ci_low"] for r in rows],
                           [r["or_ci_high"] for r in rows]) if rows else None
    return Chart(chart_id, title, summary, svg, columns, table)


def _round(value):
    return round(value, 4) if isinstance(value, float) else value


async def england(request: Request, who: Visitor) -> Response:
    gathered = await gather(request, who, {
        "scale": lambda ctx: scale_listing(ctx, LATEST, None, icb=None, region=None, peer_group=None,
                                           level_min=None, order="level DESC, code"),
        "over_time": _counts_over_time,
        "economy_link": lambda ctx: _link(ctx, "rpt_economy_trust_link", (None, None), LATEST, None),
        "finance_quality": lambda ctx: _link(ctx, "rpt_finance_quality_link", (None, None), LATEST, None),
        "trend": _trend,
        "freshness": _freshness,
        "methodology": lambda ctx: _methodology(ctx, ctx.snapshot.latest_methodology),
    })
    snapshot = gathered.snapshot
    names = _levels(snapshot, gathered.results)
    scale = gathered["scale"]
    period = snapshot.periods[-1]
    counts = Counter(r["level"] for r in scale)
    level_rows = [(lv, names.get(lv, ""), counts.get(lv, 0)) for lv in sorted(names)]
    failing = sum(c for lv, _, c in level_rows if lv >= 3)
    worst = max(counts) if counts else None
    this_month = Chart(
        "levels-now", f"Trusts at each level, {month(period)}",
        f"{len(scale)} trusts on the scale in {month(period)}: " +
        ", ".join(f"{c} at level {lv} ({n})" for lv, n, c in level_rows) +
        f". {failing} at level 3 or above; the highest level reached is {worst}.",
        charts.level_bars("levels-now", level_rows), ["level", "level name", "trusts"],
        [list(r) for r in level_rows])
    over = sorted(gathered["over_time"], key=lambda r: r["period"])
    over_periods = [month(r["period"]) for r in over]
    over_counts = [[r[f"trusts_at_level_{lv}"] for lv in range(6)] for r in over]
    over_time = Chart(
        "levels-over-time", "Trusts at each level, month by month",
        (f"Trusts per failure level in each reporting month from {over_periods[0]} to {over_periods[-1]}; trusts "
         f"at level 3 or above went from {sum(over_counts[0][3:])} to {sum(over_counts[-1][3:])}.") if over else
        "No months yet.",
        charts.stacked_levels("levels-over-time", over_periods, over_counts) if over else None,
        ["period", *[f"level {lv}" for lv in range(6)], "trusts"],
        [[r["period"], *c, r["trusts"]] for r, c in zip(over, over_counts)])
    economy = _link_chart("economy-link", "Failing trusts in failing health economies: odds ratio by month",
                          gathered["economy_link"],
                          "Odds that a failing trust (level 3 or above) sits in a failing health economy, measured "
                          "without it, against a trust that is not failing")
    finance = _link_chart("finance-quality", "Finance failure and quality failure: odds ratio by month",
                          gathered["finance_quality"],
                          "Odds of finance failure (overall finance score 3 or worse) among trusts failing on "
                          "quality (rated Requires improvement or Inadequate), against the others")
    trend_rows = gathered["trend"]
    trend = Chart(
        "ratings-trend", "Location ratings by year published: share Good or Outstanding",
        (f"Share of location overall ratings that were Good or Outstanding, by the year CQC published them, "
         f"{trend_rows[0]['publication_year']}–{trend_rows[-1]['publication_year']} (inherited ratings excluded); "
         f"the five-year slope of the mean score is {charts._fmt(trend_rows[-1]['five_year_slope_per_year'])} a year "
         f"on the 0 (Inadequate) to 3 (Outstanding) scale.") if trend_rows else "No ratings yet.",
        charts.lines("ratings-trend", [str(r["publication_year"]) for r in trend_rows],
                     [("Good or Outstanding", [None if r["share_good_or_outstanding"] is None else
                                                100 * r["share_good_or_outstanding"] for r in trend_rows])],
                     y_label="% of ratings", y_min=0, y_max=100) if trend_rows else None,
        ["year", "ratings", "inherited excluded", "outstanding", "good", "requires improvement", "inadequate",
         "mean score (0–3)", "share good or outstanding", "in five-year window"],
        [[r["publication_year"], r["ratings"], r["inherited_ratings_excluded"], r["outstanding"], r["good"],
          r["requires_improvement"], r["inadequate"], _round(r["mean_score"]), _round(r["share_good_or_outstanding"]),
          r["in_five_year_window"]] for r in trend_rows])
    return await render(request, who, "england.html", gathered=gathered, title="England at a glance",
                        chart_list=[this_month, over_time, economy, finance, trend], period=period,
                        failing=[r for r in scale if r["level"] >= 3], scale=scale,
                        freshness=gathered["freshness"], methodology_version=_version(scale, snapshot))


# --- health economies ----------------------------------------------------------------------------------------------

async def economies(request: Request, who: Visitor) -> Response:
    gathered = await gather(request, who, {
        "economies": lambda ctx: Listing(ctx.rows(f"{ECONOMIES} ORDER BY code"), HealthEconomyRow, ctx.served()),
        "scale": lambda ctx: scale_listing(ctx, LATEST, None, icb=None, region=None, peer_group=None,
                                           level_min=None, order="level DESC, code"),
    })
    period = gathered.snapshot.periods[-1]
    by_icb: dict[str, list[dict]] = {}
    for row in gathered["scale"]:
        by_icb.setdefault(row["icb_code"], []).append(row)
    listed = []
    for economy in gathered["economies"]:
        members = by_icb.get(economy["code"], [])
        listed.append({**economy, "on_scale": len(members),
                       "failing": sum(1 for m in members if m["level"] >= 3),
                       "highest": max((m["level"] for m in members), default=None)})
    chart = Chart(
        "failing-by-economy", f"Trusts at level 3 or above in each health economy, {month(period)}",
        f"{len(listed)} health economies; " + "; ".join(
            f"{e['name']}: {e['failing']} of {e['on_scale']} trusts at level 3 or above" for e in listed) + ".",
        charts.bars("failing-by-economy", [(e["name"].removeprefix("NHS ").removesuffix(" Integrated Care Board"),
                                            e["failing"]) for e in listed], colour="#D55E00"),
        ["ICB", "name", "trusts on the scale", "at level 3 or above", "highest level"],
        [[e["code"], e["name"], e["on_scale"], e["failing"], e["highest"]] for e in listed])
    return await render(request, who, "economies.html", gathered=gathered, title="Health economies",
                        chart_list=[chart], economies=listed, period=period,
                        methodology_version=_version(gathered["scale"], gathered.snapshot))


async def economy(request: Request, who: Visitor, code: str) -> Response:
    def histories(ctx: Context, results: dict[str, Result]):
        start = _recent(ctx.snapshot.periods)[0] if ctx.snapshot.periods else None
        return {f"history:{m.code}": (lambda ctx, c=m.code: _history(ctx, c, (start, None), LATEST, None))
                for m in results["view"].value.members}

    gathered = await gather(request, who, {
        "view": lambda ctx: _view(ctx, code, LATEST, None),
        "methodology": lambda ctx: _methodology(ctx, ctx.snapshot.latest_methodology),
    }, then=histories)
    view = gathered["view"]
    periods = _recent(gathered.snapshot.periods)
    grid_rows = []
    for m in view.members:
        by_period = {r["period"]: r["level"] for r in gathered[f"history:{m.code}"]}
        grid_rows.append({"code": m.code, "name": m.name, "levels": [by_period.get(p) for p in periods]})
    grid = Chart(
        "member-levels", f"Each member trust's level, {month(periods[0])} to {month(periods[-1])}",
        f"Failure level of each of the {len(view.members)} trusts of {view.name} in each reporting month "
        f"(a cell per trust and month, the level written in it). " + "; ".join(
            f"{r['name']} went from level {_first(r['levels'])} to {_last(r['levels'])}" for r in grid_rows) + ".",
        None, ["trust", "name", *[p.isoformat() for p in periods]],
        [[r["code"], r["name"], *r["levels"]] for r in grid_rows])
    s = view.system
    measures = [
        ("Share of trusts at level 3 or above", _pct(s.share_failing), _pct(s.england_share_failing), "%"),
        ("Median sickness absence rate", s.median_sickness_absence_rate_percent,
         s.england_median_sickness_absence_rate_percent, "%"),
        ("Combined in-year I&E margin", s.in_year_margin_pct, s.england_in_year_margin_pct, "%"),
        ("Combined I&E margin, latest annual accounts", s.annual_accounts_margin_pct,
         s.england_annual_accounts_margin_pct, "%"),
    ]
    system = Chart(
        "system-vs-england", f"{view.name} against England, {month(view.period)}",
        "; ".join(f"{name}: {charts._fmt(v) if v is not None else 'not shown'}{unit if v is not None else ''} here, "
                  f"{charts._fmt(e) if e is not None else 'not shown'}{unit if e is not None else ''} in England"
                  for name, v, e, unit in measures) +
        (". The combined in-year margin is restricted: it combines too few trusts' returns to be public."
         if s.in_year_margin_restricted else "."),
        charts.paired("system-vs-england", measures, "this economy", "England"),
        ["measure", "this economy", "England", "unit"],
        [[name, _round(v), _round(e), unit] for name, v, e, unit in measures],
        disclosures=gathered.get("view").disclosures if not s.in_year_margin_restricted else frozenset())
    stress = Chart(
        "stress-left-out", "The economy's stress measured without each trust",
        "For each member trust, the share of the economy's other trusts at level 3 or above: " + "; ".join(
            f"{m.name}: {percent(m.others_failing_share)} (economy "
            f"{'failing' if m.economy_failing else 'not failing' if m.economy_failing is not None else 'unknown'} "
            f"for it)" for m in view.members) + ".",
        charts.bars("stress-left-out", [(m.name, _pct(m.others_failing_share)) for m in view.members], unit="%"),
        ["trust", "name", "economy failing for it", "stress measures passed", "others at level 3+ (share)",
         "others' sickness rate %", "others' sickness above England (points)", "others' in-year margin %"],
        [[m.code, m.name, m.economy_failing, m.stress_measures_passed, _round(m.others_failing_share),
          _round(m.others_sickness_rate), _round(m.others_sickness_excess),
          "value restricted" if m.others_margin_restricted else _round(m.others_margin_pct)] for m in view.members],
        disclosures=gathered.get("view").disclosures)
    return await render(request, who, "economy.html", gathered=gathered, title=view.name, view=view,
                        chart_list=[grid, system, stress], grid_rows=grid_rows, periods=periods)


def _pct(share):
    return None if share is None else 100 * share


def _first(levels):
    return next((lv for lv in levels if lv is not None), "–")


def _last(levels):
    return next((lv for lv in reversed(levels) if lv is not None), "–")


# --- a trust -------------------------------------------------------------------------------------------------------

async def trust(request: Request, who: Visitor, code: str) -> Response:
    gathered = await gather(request, who, {
        "card": lambda ctx: _scorecard(ctx, code, LATEST, None),
        "history": lambda ctx: _history(ctx, code, (None, None), LATEST, None),
        "workforce": lambda ctx: _workforce(ctx, code, (None, None), LATEST),
        "methodology": lambda ctx: _methodology(ctx, ctx.snapshot.latest_methodology),
    }, optional={"finance": lambda ctx: _finance(ctx, code, (None, None), LATEST)})
    card = gathered["card"]
    history = gathered["history"]
    names = _levels(gathered.snapshot, gathered.results)
    changes = [r for r in history if r["change"] != "same"]
    level_chart = Chart(
        "level-history", f"{card.trust.name}: level month by month",
        (f"Failure level from {month(history[0]['period'])} to {month(history[-1]['period'])}: " + "; ".join(
            f"{month(r['period'])} level {r['level']} ({r['level_name']})" for r in changes) + ".") if history else
        "No months on the scale.",
        charts.lines("level-history", [month(r["period"]) for r in history],
                     [("level", [r["level"] for r in history])], y_min=0, y_max=5, step=True,
                     y_ticks=[(lv, f"{lv} {names.get(lv, '')}") for lv in range(6)], left=170)
        if history else None,
        ["period", "level", "level name", "change", "criteria met", "criteria added", "criteria dropped"],
        [[r["period"], r["level"], r["level_name"], r["change"], r["criteria"], r["criteria_added"],
          r["criteria_removed"]] for r in history])
    workforce = gathered["workforce"]
    sickness = Chart(
        "sickness", f"{card.trust.name}: sickness absence rate by month",
        _sickness_summary(workforce, card.england.median_sickness_absence_rate_percent),
        charts.lines("sickness", [month(r["period"]) for r in workforce],
                     [("this trust", [r["sickness_absence_rate_percent"] for r in workforce])],
                     y_label="% of FTE days lost", y_min=0) if workforce else None,
        ["period", "workforce month", "FTE", "headcount", "sickness month", "sickness rate %",
         "national percentile rank", "months in worst decile"],
        [[r["period"], r["workforce_month"], _round(r["total_fte"]), _round(r["total_headcount"]), r["sickness_month"],
          _round(r["sickness_absence_rate_percent"]), _round(r["sickness_national_percentile_rank"]),
          r["sickness_worst_decile_months"]] for r in workforce])
    chart_list = [level_chart, sickness]
    finance_result = gathered.get("finance")
    finance_rows = finance_result.value if finance_result.ok else None
    if finance_rows:
        chart_list.append(Chart(
            "in-year-finance", f"{card.trust.name}: in-year finance scores by month (restricted)",
            "Overall finance score (1 best … 4 worst) from the latest in-year return received by each month's end: "
            + "; ".join(f"{month(r['period'])} {r['overall_finance_score']}" for r in finance_rows) + ".",
            charts.lines("in-year-finance", [month(r["period"]) for r in finance_rows],
                         [("overall finance score", [r["overall_finance_score"] for r in finance_rows])],
                         y_min=1, y_max=4, step=True,
                         y_ticks=[(1, "1 best"), (2, "2"), (3, "3"), (4, "4 worst")]),
            ["period", "return period end", "received", "capital service capacity", "liquidity days",
             "I&E margin %", "distance from plan %", "agency above ceiling %", "overall score"],
            [[r["period"], r["return_period_end"], r["return_received_on"], _round(r["capital_service_capacity"]),
              _round(r["liquidity_days"]), _round(r["income_expenditure_margin_pct"]),
              _round(r["distance_from_plan_pct"]), _round(r["agency_spend_above_ceiling_pct"]),
              r["overall_finance_score"]] for r in finance_rows],
            disclosures=finance_result.disclosures))
    met = [c for c in card.scale.criteria if c.status.value == "met"]
    return await render(request, who, "trust.html", gathered=gathered, title=card.trust.name, card=card,
                        chart_list=chart_list, history=history, changes=changes, met=met,
                        finance_rows=finance_rows, finance_problem=finance_result.problem)


def _sickness_summary(rows: list[dict], england: float | None) -> str:
    known = [r for r in rows if r["sickness_absence_rate_percent"] is not None]
    if not known:
        return "No sickness absence figures for this trust in these months."
    first, last = known[0], known[-1]
    return (f"Sickness absence rate as known at each month's end ({len(known)} of {len(rows)} months with a figure): "
            f"{charts._fmt(first['sickness_absence_rate_percent'])}% in {month(first['period'])}, "
            f"{charts._fmt(last['sickness_absence_rate_percent'])}% in {month(last['period'])}; England's median "
            f"this month is {charts._fmt(england)}%.")


# --- methodology ---------------------------------------------------------------------------------------------------

def _moved(row: dict) -> str:
    """A calibration scenario's name: the threshold and how it moved (the API's `move`: '10%' or 'one step';
    methodology v1's snapshots say only the direction, ±10%)."""
    sign = "+" if (row["direction"] or 0) > 0 else "−"
    move = row.get("move") or "10%"
    return f"{row['moved_threshold']} {sign}{'1 step' if move == 'one step' else move}"


WHAT_IF = "/api/v1/methodology/what-if"


def what_if_endpoint(app) -> dict | None:
    """The API's what-if operation (issue 13: POST /api/v1/methodology/what-if) in the app's OpenAPI document, if
    it has one. (Read from the document, not app.routes: FastAPI ≥ 0.16x keeps an included router's routes inside
    it, not in app.routes.)"""
    return app.openapi().get("paths", {}).get(WHAT_IF, {}).get("post")


async def methodology(request: Request, who: Visitor, what_if: dict | None = None) -> Response:
    def per_version(ctx: Context, results: dict[str, Result]):
        out = {}
        for version in results["versions"].value.versions:
            out[f"methodology:{version}"] = lambda ctx, v=version: _methodology(ctx, v)
            out[f"calibration:{version}"] = lambda ctx, v=version: _calibration(ctx, LATEST, v)
        return out

    gathered = await gather(request, who, {"versions": _versions}, then=per_version)
    versions = gathered["versions"].versions
    bodies = {v: gathered[f"methodology:{v}"] for v in versions}
    levels = sorted({lv.level for b in bodies.values() for lv in b.levels})
    level_table = [{"level": lv, "by_version": {v: next((x for x in b.levels if x.level == lv), None)
                                                 for v, b in bodies.items()}} for lv in levels]
    criteria = sorted({(c.level, c.criterion) for b in bodies.values() for c in b.criteria})
    criteria_table = [{"level": lv, "criterion": name,
                       "by_version": {v: next((c for c in b.criteria if c.criterion == name), None)
                                      for v, b in bodies.items()}} for lv, name in criteria]
    threshold_names = sorted({t.threshold for b in bodies.values() for t in b.thresholds})
    threshold_table = [{"threshold": name, "by_version": {v: next((t for t in b.thresholds if t.threshold == name),
                                                                   None) for v, b in bodies.items()}}
                       for name in threshold_names]
    chart_list = []
    for version in versions:
        rows = [r for r in gathered[f"calibration:{version}"] if r["scenario"] != "baseline"]
        rows.sort(key=lambda r: (-r["trusts_moved"], r["moved_threshold"], r["direction"] or 0))
        period = rows[0]["period"] if rows else None
        top = rows[:12]
        chart_list.append(Chart(
            f"calibration-{version}", f"Methodology {version}: trusts that move if one threshold moves"
                                      + (f", {month(period)}" if period else ""),
            ("Trusts whose level would change if one calibrated threshold were lower or higher (by 10%, or by one "
             "step where it counts whole things), most first: "
             + "; ".join(f"{_moved(r)}: {r['trusts_moved']} ({r['trusts_moved_up']} up, {r['trusts_moved_down']} down)"
                         for r in top) + ".") if rows else "No calibration scenarios in this snapshot.",
            charts.bars(f"calibration-{version}", [(_moved(r), r["trusts_moved"]) for r in top]) if top else None,
            ["period", "scenario", "threshold", "direction", "moved by", "baseline value", "scenario value",
             "trusts moved", "moved up", "moved down", *[f"level {lv}" for lv in range(6)]],
            [[r["period"], r["scenario"], r["moved_threshold"], r["direction"], r.get("move"), r["baseline_value"],
              r["scenario_value"], r["trusts_moved"], r["trusts_moved_up"], r["trusts_moved_down"],
              *[r[f"trusts_at_level_{lv}"] for lv in range(6)]]
             for r in gathered[f"calibration:{version}"]]))
    endpoint = what_if_endpoint(request.app)
    latest = bodies[versions[-1]] if versions else None
    return await render(request, who, "methodology.html", gathered=gathered, title="Methodology: the failure scale",
                        chart_list=chart_list, versions=versions, bodies=bodies, level_table=level_table,
                        criteria_table=criteria_table, threshold_table=threshold_table,
                        what_if_available=endpoint is not None,
                        what_if_thresholds=[t for t in latest.thresholds if t.calibrated] if latest else [],
                        what_if=what_if)


async def what_if(request: Request, who: Visitor) -> Response:
    """Try other thresholds: the form's values sent to the API's what-if endpoint, in-process (issue 13), its
    answer shown beside the published scale. Refused (404) where the API has no such endpoint."""
    if what_if_endpoint(request.app) is None:
        raise Problem(404, "this deployment's API has no what-if endpoint (POST /api/v1/methodology/what-if)")
    fields = await form(request)
    check_csrf(request, who, fields)
    thresholds = {}
    for name, value in fields.items():
        if name.startswith("threshold:") and value.strip():
            try:
                thresholds[name.removeprefix("threshold:")] = float(value)
            except ValueError:
                raise Problem(422, f"{name.removeprefix('threshold:')}: {value!r} is not a number") from None
    import httpx
    # the thresholds and the scale are public: the page asks as a public caller would (the visitor's key is never
    # held by the pages, only its session)
    headers = {"content-type": "application/json"}
    transport = httpx.ASGITransport(app=request.app, client=(request.client.host if request.client else "127.0.0.1", 0))
    async with httpx.AsyncClient(transport=transport, base_url="http://pages.internal") as client:
        answer = await client.post(WHAT_IF, json=what_if_request(
                                       request.app, fields.get("version"), fields.get("period"), thresholds),
                                   headers=headers)
    try:
        body = answer.json()
    except ValueError:
        body = {"detail": answer.text[:2000]}
    return await methodology(request, who, what_if={"status": answer.status_code, "asked": thresholds,
                                                    "answer": body, "tables": _tables(body),
                                                    "facts": _facts(body)})


def what_if_request(app, version: str | None, period: str | None, thresholds: dict[str, float]) -> dict:
    """The what-if request body, shaped by the endpoint's own request schema in the app's OpenAPI document (the
    endpoint is another issue's, so the pages read its schema rather than assume it): its version field (a name
    with "version" or "methodology") gets the version, a "period" field the month, and its object field (e.g.
    "thresholds") the thresholds asked. Without a schema to read: {"methodology_version", "period", "thresholds"}."""
    schema = _request_schema(app)
    properties = schema.get("properties") or {}
    if not properties:
        body = {"methodology_version": version, "period": period, "thresholds": thresholds}
        return {k: v for k, v in body.items() if v not in (None, "")}
    body: dict = {}
    components = app.openapi().get("components", {}).get("schemas", {})
    for name, prop in properties.items():
        prop = _deref(prop, components)
        kinds = {prop.get("type")} | {_deref(x, components).get("type") for x in prop.get("anyOf", [])}
        if ("version" in name or "methodology" in name) and version:
            body[name] = version
        elif name == "period" and period:
            body[name] = period
        elif "object" in kinds or "threshold" in name:
            body[name] = thresholds
    return body


def _request_schema(app) -> dict:
    operation = what_if_endpoint(app) or {}
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    return _deref(content.get("schema", {}), app.openapi().get("components", {}).get("schemas", {}))


def _deref(schema: dict, components: dict) -> dict:
    ref = schema.get("$ref", "")
    return components.get(ref.rsplit("/", 1)[-1], {}) if ref.startswith("#/components/schemas/") else schema


def _facts(body) -> list[tuple[str, Any]]:
    """The answer's single values (e.g. trusts moved, the version and month), in its own order."""
    if not isinstance(body, dict):
        return []
    return [(k, v) for k, v in body.items() if not isinstance(v, (list, dict))]


def _tables(body) -> list[dict]:
    """Whatever lists of rows the what-if answer holds, as tables (its shape is the API's, shown as it is)."""
    found = []

    def walk(value, name):
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            columns = list(dict.fromkeys(k for v in value for k in v))
            found.append({"name": name, "columns": columns,
                          "rows": [[_cell(v.get(c)) for c in columns] for v in value[:500]]})
        elif isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, f"{name}.{key}" if name else key)

    walk(body, "")
    return found


def _cell(value):
    return json.dumps(value) if isinstance(value, (dict, list)) else value


# --- data quality --------------------------------------------------------------------------------------------------

async def quality(request: Request, who: Visitor) -> Response:
    gathered = await gather(request, who, {"freshness": _freshness})
    report = await run_in_threadpool(_report, request, None)
    assets = report["assets"]
    feeds = [a for a in assets if a["asset_kind"] == "feed"]
    marts = [a for a in assets if a["asset_kind"] != "feed"]
    quarantined: dict[str, list[int]] = {}
    for a in feeds:
        entry = quarantined.setdefault(a["asset"], [0, 0, 0, 0])
        entry[0] += a["rows_in"] or 0
        entry[1] += a["rows_quarantined"] or 0
        entry[2] += 1
        entry[3] += 1 if a["last_outcome"] == "rejected" else 0
    quarantine = Chart(
        "quarantine", "Rows quarantined per feed, every release held",
        ("Rows set aside (quarantined, with their reasons) out of the rows received, per feed over every release: "
         + "; ".join(f"{name}: {q} of {n:,} rows in {r} release{'s' if r != 1 else ''}"
                     f"{f', {x} refused' if x else ''}" for name, (n, q, r, x) in quarantined.items()) + ".")
        if quarantined else "No feed has been received yet.",
        charts.bars("quarantine", [(name, q) for name, (n, q, r, x) in quarantined.items()], colour="#CC79A7")
        if quarantined else None,
        ["asset", "rows in", "rows quarantined", "releases", "releases refused"],
        [[name, *values] for name, values in quarantined.items()])
    suites: dict[str, dict] = {}
    for a in assets:
        checks = a.get("checks")
        if not checks:
            continue
        suite = suites.setdefault(checks["suite"], {"suite": checks["suite"], "validations": 0, "passed": 0,
                                                    "warning": 0, "blocking": 0, "failed": Counter(),
                                                    "last": None})
        suite["validations"] += 1
        outcome = checks["outcome"] or "passed"
        suite[outcome if outcome in ("passed", "warning", "blocking") else "passed"] += 1
        for f in checks["failed"]:
            suite["failed"][(f["expectation"], f["column"], f["severity"])] += 1
        if checks["checked_at"] and (suite["last"] is None or checks["checked_at"] > suite["last"]):
            suite["last"] = checks["checked_at"]
    return await render(request, who, "quality.html", gathered=gathered, title="Data quality",
                        chart_list=[quarantine], freshness=gathered["freshness"], feeds=feeds, marts=marts,
                        report=report, suites=sorted(suites.values(), key=lambda s: s["suite"]))


# --- signing in ----------------------------------------------------------------------------------------------------

async def sign_in_form(request: Request, who: Visitor, error: str | None = None, status: int = 200) -> Response:
    return await render(request, who, "sign_in.html", title="Sign in", status=status, error=error,
                        next=safe_next(request.query_params.get("next")))


async def sign_in(request: Request) -> Response:
    try:
        who = visitor(request)
    except Problem:
        who = Visitor(_anonymous(request), None)
    fields = await form(request)
    check_csrf(request, who, fields)
    target = safe_next(fields.get("next"))
    try:
        token, _ = sessions(request).start(fields.get("key", ""))
    except KeyRefused as refused:
        request.scope["query_string"] = f"next={target}".encode()
        return await sign_in_form(request, who, error=f"That key was refused: {refused}.", status=401)
    response = RedirectResponse(target, status_code=303)
    set_cookies(request, response, {SESSION_COOKIE: token})
    return response


def _anonymous(request: Request):
    from api.access import Caller
    return Caller(None, request.client.host if request.client else "unknown")


async def sign_out(request: Request) -> Response:
    who = visitor(request)
    fields = await form(request)
    check_csrf(request, who, fields)
    sessions(request).end(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/", status_code=303)
    set_cookies(request, response, {SESSION_COOKIE: None})
    return response


# --- routes --------------------------------------------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
async def england_page(request: Request):
    return await _page(request, lambda who: england(request, who))


@router.get("/economies", response_class=HTMLResponse)
async def economies_page(request: Request):
    return await _page(request, lambda who: economies(request, who))


@router.get("/economies/{code}", response_class=HTMLResponse)
async def economy_page(request: Request, code: str):
    return await _page(request, lambda who: economy(request, who, code))


@router.get("/trusts/{code}", response_class=HTMLResponse)
async def trust_page(request: Request, code: str):
    return await _page(request, lambda who: trust(request, who, code))


@router.get("/methodology", response_class=HTMLResponse)
async def methodology_page(request: Request):
    return await _page(request, lambda who: methodology(request, who))


@router.post("/methodology/what-if", response_class=HTMLResponse)
async def what_if_page(request: Request):
    return await _page(request, lambda who: what_if(request, who))


@router.get("/quality", response_class=HTMLResponse)
async def quality_page(request: Request):
    return await _page(request, lambda who: quality(request, who))


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request):
    try:
        who = visitor(request)
    except Problem:
        who = Visitor(_anonymous(request), None)
    return await sign_in_form(request, who)


@router.post("/sign-in")
async def sign_in_post(request: Request):
    try:
        return await sign_in(request)
    except Problem as problem:
        return await render(request, Visitor(_anonymous(request), None), "error.html", status=problem.status,
                            title=problem.title, problem=problem)


@router.post("/sign-out")
async def sign_out_post(request: Request):
    try:
        return await sign_out(request)
    except Problem as problem:
        return await render(request, Visitor(_anonymous(request), None), "error.html", status=problem.status,
                            title=problem.title, problem=problem)
