"""POST /methodology/what-if over the session's real snapshot: the failure scale's own SQL judging the published
inputs under thresholds of the caller's choosing."""
import time

import pytest


def _what_if(marts, **body):
    return marts.api.post("/methodology/what-if", json=body)


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_the_published_thresholds_give_exactly_the_published_levels(marts, version):
    published = dict(marts.query("SELECT threshold, value FROM failure_scale_thresholds WHERE methodology_version = ?",
                                 [version]))
    for period in (marts.first, marts.latest):
        expected = dict(marts.query("SELECT trust_code, level FROM fct_trust_failure_scale "
                                    "WHERE methodology_version = ? AND period = ?", [version, period]))
        for thresholds in ({}, published):          # nothing changed, or every threshold restated as published
            response = _what_if(marts, methodology_version=version, period=period.isoformat(), thresholds=thresholds)
            assert response.status_code == 200, response.text
            body = response.json()
            assert {t["code"]: t["level"] for t in body["trusts"]} == expected
            assert all(t["published_level"] == t["level"] and t["moved"] == 0 for t in body["trusts"])
            assert (body["trusts_moved"], body["changed"], body["methodology_version"]) == (0, [], version)
            assert [d["trusts"] for d in body["distribution"]] == [d["published_trusts"] for d in body["distribution"]]


def test_a_moved_threshold_moves_the_trusts_the_calibration_report_says(marts):
    """The calibration report moves one threshold at a time by its step; the what-if with that value moves as many."""
    rows = marts.query("SELECT moved_threshold, scenario_value, trusts_moved, trusts_moved_up, trusts_moved_down "
                       "FROM rpt_calibration WHERE methodology_version = 'v2' AND period = ? AND scenario <> 'baseline' "
                       "ORDER BY trusts_moved DESC, scenario", [marts.latest])
    moving = [r for r in rows if r[2] > 0][:3] or rows[:1]
    for threshold, value, moved, up, down in moving:
        body = _what_if(marts, thresholds={threshold: value}).json()
        assert (body["trusts_moved"], body["trusts_moved_up"], body["trusts_moved_down"]) == (moved, up, down)
        assert body["changed"] == [threshold] and body["methodology_version"] == "v2"
        assert {t["threshold"]: t["value"] for t in body["thresholds"]}[threshold] == value
        assert sum(d["trusts"] for d in body["distribution"]) == len(body["trusts"])


def test_what_if_refuses_what_it_cannot_judge(marts):
    assert _what_if(marts, thresholds={"bar_height": 3}).status_code == 422
    assert _what_if(marts, methodology_version="v9").status_code == 404
    assert _what_if(marts, period="2001-01-31").status_code == 404
    assert _what_if(marts, colour="red").status_code == 422


def test_what_if_answers_within_a_second(marts):
    started = time.perf_counter()
    assert _what_if(marts, thresholds={"sustained_serious_months": 6}).status_code == 200
    assert time.perf_counter() - started < 1.0
