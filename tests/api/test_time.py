"""Time over the real marts: `as_of` gives what was known then (a finance return later resubmitted), `period`
names a reporting month, and `failure-scale/changes` and a trust's history list exactly the level changes the
marts hold."""
import json
from calendar import monthrange
from datetime import date, timedelta

import pytest

PROBLEM = "application/problem+json"


def month_end(day: date) -> date:
    return day.replace(day=monthrange(day.year, day.month)[1])


def liquidity_by_period(marts, trust: str, **params) -> tuple[dict, dict]:
    page = marts.get(f"/trusts/{trust}/finance", "national", params=params).json()
    return {date.fromisoformat(r["period"]): r["liquidity_days"] for r in page["items"]}, page


def test_as_of_gives_what_was_known_then(marts, pipeline):
    """The return first received (month A) was resubmitted with a revised liquidity figure (month B): asked as of
    any date in A or before B ends, the API gives the figure as first received; as of B, the revision — and month A
    itself still shows what was known in A."""
    revision = pipeline["revision"]
    trust = revision["trust"]
    first_month, revised_month = month_end(revision["first_published"]), month_end(revision["published"])
    assert first_month < revised_month <= marts.latest

    known_then, page = liquidity_by_period(marts, trust, as_of=first_month.isoformat())
    assert (page["period"], page["as_of"]) == (first_month.isoformat(), first_month.isoformat())
    assert max(known_then) == first_month and known_then[first_month] == pytest.approx(revision["original"])

    # published on the 20th of the month: asked the day before it arrived, the API cannot know it yet
    before_it_arrived, page = liquidity_by_period(marts, trust, as_of=(revision["published"] - timedelta(days=1))
                                                  .isoformat())
    assert date.fromisoformat(page["period"]) < revised_month
    assert before_it_arrived[max(before_it_arrived)] == pytest.approx(revision["original"])

    after, page = liquidity_by_period(marts, trust, as_of=revised_month.isoformat())
    assert after[revised_month] == pytest.approx(revision["revised"])
    assert after[first_month] == pytest.approx(revision["original"])      # the revision never rewrites history

    # the scorecard as of each date shows the scores of the figure then known
    scores = {p: s for p, s in marts.query(
        "SELECT period, liquidity_score FROM fct_trust_finance WHERE trust_code = ?", [trust])}
    assert scores[first_month] != scores[revised_month], "the revision must change the liquidity score"
    for when in (first_month, revised_month):
        card = marts.get(f"/trusts/{trust}", "national", params={"as_of": when.isoformat()}).json()
        assert card["period"] == when.isoformat()
        assert card["in_year_finance"]["liquidity_score"] == scores[when]


def test_period_names_a_reporting_month(marts):
    month = marts.first.strftime("%Y-%m")
    by_period = marts.get("/failure-scale", params={"period": month}).json()
    by_end = marts.get("/failure-scale", params={"period": marts.first.isoformat()}).json()
    by_as_of = marts.get("/failure-scale", params={"as_of": (marts.first + timedelta(days=10)).isoformat()}).json()
    assert by_period["items"] == by_end["items"] == by_as_of["items"]
    assert by_period["period"] == marts.first.isoformat() and by_period["methodology_version"] == "v2"
    expected = {t: level for t, level in marts.query(
        "SELECT trust_code, level FROM fct_trust_failure_scale WHERE methodology_version = 'v2' AND period = ?", [marts.first])}
    assert {i["code"]: i["level"] for i in by_period["items"]} == expected
    for params, status in [({"period": month, "as_of": marts.first.isoformat()}, 422),
                           ({"period": f"{month}-15"}, 422), ({"period": "2026-13"}, 422),
                           ({"as_of": "2000-01-01"}, 404), ({"period": "2001-01"}, 404),
                           ({"methodology": "v0"}, 404)]:
        response = marts.get("/failure-scale", params=params)
        assert response.status_code == status, params
        assert response.headers["content-type"].startswith(PROBLEM)


def criteria_met(criteria_json: str) -> set[str]:
    return {c["criterion"] for c in json.loads(criteria_json)}


def expected_changes(marts, since: date, period: date) -> dict:
    """The level changes between two months, straight from the marts."""
    def month(p):
        return {t: (level, criteria_met(c)) for t, level, c in marts.query(
            "SELECT trust_code, level, criteria FROM fct_trust_failure_scale WHERE methodology_version = 'v2' AND period = ?", [p])}
    before, after = month(since), month(period)
    changes = {}
    for trust in before.keys() | after.keys():
        was, now = before.get(trust, (None, set())), after.get(trust, (None, set()))
        if was[0] != now[0]:
            changes[trust] = (was[0], now[0], now[1] - was[1], was[1] - now[1])
    return changes


def test_changes_list_exactly_the_level_changes_between_two_months(marts):
    periods = [p for (p,) in marts.query("SELECT DISTINCT period FROM fct_trust_failure_scale ORDER BY 1")]
    pairs = [(periods[0], periods[-1]), *zip(periods, periods[1:])]
    assert any(expected_changes(marts, a, b) for a, b in pairs), "the simulation must move some trust"
    for since, period in pairs:
        page = marts.get("/failure-scale/changes", params={"since": since.strftime("%Y-%m"),
                                                           "period": period.strftime("%Y-%m"), "limit": 1000}).json()
        served = {i["code"]: (i["level_before"], i["level"], set(filter(None, i["criteria_added"].split("; "))),
                              set(filter(None, i["criteria_removed"].split("; ")))) for i in page["items"]}
        assert served == expected_changes(marts, since, period), (since, period)
        for item in page["items"]:   # a trust opened or closed between the two months is new, or gone
            assert item["direction"] == ("new" if item["level_before"] is None else "gone" if item["level"] is None
                                         else "up" if item["level"] > item["level_before"] else "down")
        assert (page["period"], page["items"][0]["since_period"] if page["items"] else since.isoformat()) == \
               (period.isoformat(), since.isoformat())
    # `since` as a date: the latest month ending by it
    by_date = marts.get("/failure-scale/changes", params={"since": (periods[0] + timedelta(days=3)).isoformat()})
    assert by_date.json()["items"] == marts.get("/failure-scale/changes",
                                                params={"since": periods[0].strftime("%Y-%m")}).json()["items"]
    assert marts.get("/failure-scale/changes", params={"since": periods[-1].strftime("%Y-%m")}).status_code == 422


def test_history_is_the_level_month_by_month(marts):
    trust = marts.trust
    rows = marts.query("SELECT period, level, criteria FROM fct_trust_failure_scale WHERE methodology_version = 'v2' AND trust_code = ? "
                       "ORDER BY period", [trust])
    items = marts.get(f"/trusts/{trust}/history", params={"limit": 1000}).json()["items"]   # every month since 2014
    assert [(i["period"], i["level"]) for i in items] == [(p.isoformat(), level) for p, level, _ in rows]
    for previous, (item, (_, level, criteria)) in zip([None, *rows], zip(items, rows)):
        assert set(filter(None, item["criteria"].split("; "))) == criteria_met(criteria)
        if previous is None:
            assert item["change"] == "first"
            continue
        assert item["change"] == ("up" if level > previous[1] else "down" if level < previous[1] else "same")
        assert set(filter(None, item["criteria_added"].split("; "))) == criteria_met(criteria) - criteria_met(previous[2])
    limited = marts.get(f"/trusts/{trust}/history", params={"as_of": rows[2][0].isoformat(), "from":
                                                            rows[1][0].strftime("%Y-%m")}).json()["items"]
    assert [i["period"] for i in limited] == [rows[1][0].isoformat(), rows[2][0].isoformat()]
