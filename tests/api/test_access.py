"""The access matrix over the real marts and real HTTP: every role × every endpoint × own and other organisation.

For each caller and endpoint: the status (public data for every admitted caller; the in-year finance return only
for national keys, the trust itself and its ICB; the audit log for national keys); that no restricted figure of a
trust the caller is not entitled to appears anywhere in the body (JSON, CSV, Parquet or Arrow); that restricted
values inside public answers (a finance criterion's value and threshold, the in-year finance section, aggregates of
fewer than three trusts' returns) are shown exactly to those entitled and masked for the rest; and that the audit
log gained one record per organisation whose restricted data the answer carried — and none otherwise."""
from __future__ import annotations

import functools
import io
import json
import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from tests.api.support import ServerThread

RESTRICTED_TEXT = "value restricted"
FINANCE_SOURCE = "in-year finance return"
KEYED = ["national", "commissioner_own", "commissioner_other", "provider_own", "provider_other"]
BAD_KEYS = {"revoked": None, "malformed": "Bearer not-a-key", "unknown": "Bearer ovk_0123456789ab_" + "A" * 43,
            "wrong scheme": "Basic bmF0aW9uYWw6c2VjcmV0"}


@dataclass(frozen=True)
class Endpoint:
    path: str
    kind: str                 # open | public | mixed | restricted | national
    trust: str | None = None  # whose restricted data it may carry (mixed, restricted)
    icb: str | None = None    # the economy a view is of
    fmt: str = "json"


def endpoints(m) -> list[Endpoint]:
    since = m.first.strftime("%Y-%m")
    listed = [Endpoint("/health", "open")]
    for path in ("/trusts", "/failure-scale", f"/failure-scale/changes?since={since}", "/methodology",
                 "/methodology/v1", "/calibration", "/health-economies", "/analysis/economy-link",
                 "/analysis/finance-quality", "/analysis/pockets", "/analysis/ratings-trend", "/organisations",
                 "/data-quality", "/freshness"):
        listed.append(Endpoint(path, "public"))
    listed += [Endpoint("/trusts", "public", fmt="csv"), Endpoint("/failure-scale", "public", fmt="arrow")]
    for trust in (m.trust, m.other_trust):
        listed += [Endpoint(f"/trusts/{trust}/history", "public"), Endpoint(f"/trusts/{trust}/ratings", "public"),
                   Endpoint(f"/trusts/{trust}/workforce", "public"), Endpoint(f"/organisations/{trust}", "public"),
                   Endpoint(f"/trusts/{trust}", "mixed", trust),
                   Endpoint(f"/trusts/{trust}/finance", "restricted", trust)]
        listed += [Endpoint(f"/failure-scale/criteria?trust={trust}", "mixed", trust, fmt=fmt)
                   for fmt in ("json", "csv", "parquet", "arrow")]
        listed += [Endpoint(f"/trusts/{trust}/finance", "restricted", trust, fmt=fmt)
                   for fmt in ("csv", "parquet", "arrow")]
    for icb in (m.icb, m.other_icb):
        listed += [Endpoint(f"/health-economies/{icb}", "public"), Endpoint(f"/health-economies/{icb}/view", "mixed",
                                                                            icb=icb)]
    listed.append(Endpoint("/audit", "national"))
    return listed


def _with_format(endpoint: Endpoint) -> str:
    if endpoint.fmt == "json":
        return endpoint.path
    return endpoint.path + ("&" if "?" in endpoint.path else "?") + f"format={endpoint.fmt}"


def entitled(m, caller: str, trust: str) -> bool:
    """The rule, written out: national; the trust's own provider key; the commissioner of its economy that month."""
    icb = _economy_table(m)[trust]
    return {"national": True, "commissioner_own": icb == m.icb, "commissioner_other": icb == m.other_icb,
            "provider_own": trust == m.trust, "provider_other": trust == m.other_trust}.get(caller, False)


@functools.cache
def _economy_table(m) -> dict[str, str]:
    return dict(m.query("SELECT trust_code, icb_code FROM fct_trust_failure_scale WHERE methodology_version = 'v2' AND period = ?", [m.latest]))


def finance_fingerprints(m, trust: str) -> set[str]:
    """The trust's in-year figures as they would print: distinctive decimals that occur nowhere public."""
    numbers = m.query("""
        SELECT unnest([capital_service_capacity, liquidity_days, income_expenditure_margin_pct, distance_from_plan_pct,
                       agency_spend_above_ceiling_pct, ytd_actual_surplus, ytd_operating_income])
        FROM fct_trust_finance WHERE trust_code = ?""", [trust])
    return {repr(n) for (n,) in numbers if n is not None and abs(n - round(n, 1)) > 1e-6}


def rows_of(response, fmt: str) -> list[dict]:
    if fmt == "json":
        return response.json()["items"]
    data = response.content
    if fmt == "csv":
        table = pacsv.read_csv(io.BytesIO(data))
    elif fmt == "parquet":
        table = pq.read_table(io.BytesIO(data))
    else:
        table = pa.ipc.open_stream(data).read_all()
    return table.to_pylist()


def text_of(response, fmt: str) -> str:
    """The body as text to search: JSON as sent; exports read back and printed as Python prints their numbers."""
    return response.text if fmt == "json" else json.dumps(rows_of(response, fmt), default=str)


@functools.cache
def _with_returns(m, icb: str) -> tuple[str, ...]:
    return tuple(t for (t,) in m.query("""
        SELECT scale.trust_code FROM fct_trust_failure_scale AS scale
        JOIN fct_trust_finance AS f ON f.trust_code = scale.trust_code AND f.period = scale.period
        WHERE scale.methodology_version = 'v2' AND scale.period = ? AND scale.icb_code = ? ORDER BY 1""",
        [m.latest, icb]))


def others_with_returns(m, icb: str, leave_out: str | None) -> list[str]:
    return [t for t in _with_returns(m, icb) if t != leave_out]


def aggregate_shown(m, caller: str, cover: list[str]) -> bool:
    return not cover or len(cover) >= 3 or all(entitled(m, caller, t) for t in cover)


def visible_restricted(m, caller: str, endpoint: Endpoint, response) -> set[str]:
    """Whose restricted data this answer shows, checked against the rule on the way: masked where not entitled,
    equal to the marts where entitled."""
    if endpoint.kind == "restricted":
        rows = rows_of(response, endpoint.fmt)
        assert rows and all(r["return_received_on"] is not None for r in rows)
        return {endpoint.trust}
    if endpoint.path.startswith("/failure-scale/criteria"):
        met = {c["criterion"]: c for c in json.loads(m.query(
            "SELECT criteria FROM fct_trust_failure_scale WHERE methodology_version = 'v2' AND trust_code = ? AND period = ?",
            [endpoint.trust, m.latest])[0][0])}
        rows = [r for r in rows_of(response, endpoint.fmt) if r["data_access"] == "restricted"]
        assert rows, "the finance criteria are listed whether met or not"
        shown = entitled(m, caller, endpoint.trust)
        for row in rows:
            assert row["value_restricted"] is (not shown), row
            if not shown:
                assert (row["value"], row["threshold"]) == (RESTRICTED_TEXT, RESTRICTED_TEXT)
            elif row["status"] == "met":
                assert (row["value"], row["threshold"]) == (met[row["criterion"]]["value"],
                                                            met[row["criterion"]]["threshold"])
        return {endpoint.trust} if shown and any(r["value"] is not None for r in rows) else set()
    body = response.json()
    if endpoint.icb is None:                                   # a scorecard
        trust = endpoint.trust
        shown = entitled(m, caller, trust)
        restricted = [c for c in body["scale"]["criteria"] if c["data_access"] == "restricted"]
        assert restricted and (trust != m.trust or any(c["status"] == "met" for c in restricted))
        for criterion in restricted:
            assert criterion["value_restricted"] is (not shown)
            if not shown:
                assert (criterion["value"], criterion["threshold"]) == (RESTRICTED_TEXT, RESTRICTED_TEXT)
        finance = body["in_year_finance"]
        [(score,)] = m.query("SELECT overall_finance_score FROM fct_trust_finance WHERE trust_code = ? AND period = ?",
                             [trust, m.latest])
        assert finance["value_restricted"] is (not shown)
        assert finance["overall_finance_score"] == (score if shown else None)
        visible = {trust} if shown else set()
        icb = body["trust"]["icb_code"]
        cover = others_with_returns(m, icb, trust)
        economy_shown = aggregate_shown(m, caller, cover)
        assert body["health_economy"]["others_margin_restricted"] is (not economy_shown)
        assert (body["health_economy"]["others_margin_pct"] is None) is (not economy_shown)
        if economy_shown and len(cover) < 3:
            visible |= set(cover)
        return visible
    visible = set()                                            # an economy's view
    members = {member["code"]: member for member in body["members"]}
    for code, member in members.items():
        cover = others_with_returns(m, endpoint.icb, code)
        shown = aggregate_shown(m, caller, cover)
        assert member["others_margin_restricted"] is (not shown), (caller, code, cover)
        if not shown:
            assert member["others_margin_pct"] is None
        elif cover and len(cover) < 3:
            visible |= set(cover)
    cover = others_with_returns(m, endpoint.icb, None)
    shown = aggregate_shown(m, caller, cover)
    assert body["system"]["in_year_margin_restricted"] is (not shown)
    if shown and cover and len(cover) < 3:
        visible |= set(cover)
    return visible


def test_the_scenario_has_restricted_values_to_hide(marts):
    """The matrix below can fail only if the data has something to leak: T's economy has members whose
    leave-one-out figures combine fewer than three returns, and both trusts have finance criteria met."""
    assert marts.icb != marts.other_icb and marts.trust != marts.other_trust
    assert any(len(others_with_returns(marts, marts.icb, t)) < 3 for t in others_with_returns(marts, marts.icb, None))
    for trust in (marts.trust, marts.other_trust):
        assert finance_fingerprints(marts, trust)


@pytest.mark.parametrize("caller", ["anonymous", *KEYED])
def test_access_matrix(marts, caller):
    every_trust = [t for (t,) in marts.query("SELECT DISTINCT trust_code FROM fct_trust_finance")]
    hidden = set().union(*(finance_fingerprints(marts, t) for t in every_trust if not entitled(marts, caller, t)))
    assert hidden or caller == "national"
    key = None if caller == "anonymous" else caller
    for endpoint in endpoints(marts):
        before = marts.last_seq()
        response = marts.get(_with_format(endpoint), key)
        records = marts.audit(after=before)
        label = f"{caller} {endpoint.path} ({endpoint.fmt})"
        may = {"open": True, "public": True, "mixed": True, "national": caller == "national",
               "restricted": endpoint.trust is not None and entitled(marts, caller, endpoint.trust)}[endpoint.kind]
        if not may:
            assert response.status_code == (401 if caller == "anonymous" else 403), label
            assert response.headers["content-type"].startswith("application/problem+json"), label
            assert records == [], label
            continue
        assert response.status_code == 200, (label, response.text[:300])
        body = text_of(response, endpoint.fmt)
        leaked = {f for f in hidden if re.search(rf"(?<![\d.:]){re.escape(f)}(?!\d)", body)}
        assert not leaked, (f"{label}: restricted figures of trusts {caller} is not entitled to: {sorted(leaked)[:5]}"
                            + "".join(f" …{body[max(0, body.find(f) - 300):body.find(f) + 60]}…" for f in leaked))
        visible = (visible_restricted(marts, caller, endpoint, response)
                   if endpoint.kind in ("mixed", "restricted") else set())
        assert sorted(r["organisation"] for r in records) == sorted(visible), label
        assert all(r["key_id"] == marts.key_ids[caller] and r["path"] == "/api/v1" + endpoint.path.split("?")[0]
                   for r in records), label
        if visible:
            assert response.headers["cache-control"] == "private, no-store", label


@pytest.mark.parametrize("caller", ["revoked", "malformed", "unknown", "wrong scheme"])
def test_refused_keys_get_nothing_but_health(marts, caller):
    header = BAD_KEYS[caller] or f"Bearer {marts.keys['revoked']}"
    for endpoint in endpoints(marts):
        response = marts.api.get(_with_format(endpoint), headers={"Authorization": header})
        if endpoint.kind == "open":
            assert response.status_code == 200
            continue
        assert response.status_code == 401, (caller, endpoint.path)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["www-authenticate"].startswith("Bearer")
    detail = marts.api.get("/trusts", headers={"Authorization": header}).json()["detail"]
    assert {"revoked": "revoked", "malformed": "malformed", "unknown": "unknown",
            "wrong scheme": "Bearer"}[caller] in detail


def test_without_anonymous_access_every_endpoint_but_health_needs_a_key(marts):
    with ServerThread(marts.home, api_anonymous=False, api_rate_limit=0) as closed:
        for endpoint in endpoints(marts):
            response = closed.get(_with_format(endpoint))
            assert response.status_code == (200 if endpoint.kind == "open" else 401), endpoint.path
        national = {"Authorization": f"Bearer {marts.keys['national']}"}
        assert closed.get(f"/trusts/{marts.trust}", headers=national).status_code == 200


def test_a_key_revoked_while_the_api_runs_is_refused_at_once(marts):
    from api.keys import KeyStore, Role
    from api.settings import Settings
    from api.store import AccessDatabase
    from datetime import datetime, timezone

    store = KeyStore(AccessDatabase(Settings(home=marts.home).access_db), lambda: datetime.now(timezone.utc))
    record, key = store.create(Role.provider, marts.trust, "short-lived")
    headers = {"Authorization": f"Bearer {key}"}
    assert marts.api.get(f"/trusts/{marts.trust}/finance", headers=headers).status_code == 200
    store.revoke(record.key_id)                   # another process's write: the API holds its own connection
    refused = marts.api.get(f"/trusts/{marts.trust}/finance", headers=headers)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]


def test_rate_limit_per_key(marts):
    with ServerThread(marts.home, api_rate_limit=60, api_rate_burst=3) as limited:
        national = {"Authorization": f"Bearer {marts.keys['national']}"}
        provider = {"Authorization": f"Bearer {marts.keys['provider_own']}"}
        statuses = [limited.get("/methodology", headers=national).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = limited.get("/methodology", headers=national)
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert int(refused.headers["retry-after"]) >= 1
        assert limited.get("/methodology", headers=provider).status_code == 200   # another key: its own bucket
