"""What the scorecard, the health-economy view and the lists say, against the real marts read directly."""
import json
from statistics import median

import pytest


def test_scorecard_criteria_are_the_marts_and_the_catalogue(marts):
    trust, period = marts.trust, marts.latest
    card = marts.get(f"/trusts/{trust}", "national").json()
    [(level, level_name, consequence, criteria, complete)] = marts.query(
        "SELECT level, level_name, consequence, criteria, assessment_complete FROM fct_trust_failure_scale "
        "WHERE trust_code = ? AND period = ? AND methodology_version = 'v2'", [trust, period])
    scale = card["scale"]
    assert (scale["level"], scale["level_name"], scale["consequence"], scale["methodology_version"]) == \
           (level, level_name, consequence, "v2")                 # the latest version unless asked
    assert scale["assessment_complete"] is complete
    catalogue = {c: (lvl, access) for c, lvl, access in marts.query(
        "SELECT criterion, level, data_access FROM failure_scale_criteria WHERE methodology_version = 'v2'")}
    statuses = {c: (s, v) for c, s, v in marts.query(
        "SELECT criterion, status, criterion_value FROM fct_trust_failure_scale_criteria WHERE trust_code = ? "
        "AND period = ? AND methodology_version = 'v2'", [trust, period])}
    listed = {c["criterion"]: c for c in scale["criteria"]}
    assert set(listed) == set(catalogue) and len(scale["criteria"]) == len(catalogue)
    met = {c["criterion"]: c for c in json.loads(criteria)}
    for name, criterion in listed.items():
        assert (criterion["level"], criterion["data_access"]) == catalogue[name]
        if name in met:
            assert criterion["status"] == "met"
            assert (criterion["value"], criterion["threshold"], criterion["source"], criterion["source_date"]) == \
                   (met[name]["value"], met[name]["threshold"], met[name]["source"], met[name]["source_date"] or None)
        else:
            assert criterion["status"] in ("not_met", "not_assessable")
        assert (criterion["status"], criterion["value"]) == statuses[name]     # the mart's, as it is
        assert (criterion["status"] == "not_assessable") == (criterion["missing_input"] is not None)
    assert max((c["level"] for c in scale["criteria"] if c["status"] == "met"), default=0) == level
    v1 = marts.get(f"/trusts/{trust}", "national", params={"methodology": "v1"}).json()["scale"]
    assert v1["methodology_version"] == "v1" and {c["criterion"] for c in v1["criteria"]} >= {
        "finance_domain_score_of_concern", "finance_domains_of_concern"}


def test_a_criterion_without_its_data_is_not_assessable(marts):
    """In the trust's first month (the grid reaches back to 2014, years before the first sickness release) no
    sickness figure had been published: the sickness criterion cannot be assessed then, and says so, rather than
    passing as not met."""
    [(first,)] = marts.query("SELECT min(period) FROM fct_trust_failure_scale WHERE trust_code = ?", [marts.trust])
    [(missing,)] = marts.query("SELECT count(*) FROM fct_trust_workforce WHERE period = ? "
                               "AND sickness_absence_rate_percent IS NOT NULL", [first])
    assert missing == 0, "the simulation publishes the first sickness month after the first reporting month"
    card = marts.get(f"/trusts/{marts.trust}", params={"period": first.strftime("%Y-%m")}).json()
    [sickness] = [c for c in card["scale"]["criteria"] if c["criterion"] == "sickness_worst_decile_sustained"]
    assert sickness["status"] == "not_assessable" and card["workforce"]["sickness_absence_rate_percent"] is None
    assert card["scale"]["assessment_complete"] is (card["scale"]["level"] >= sickness["level"])
    latest = marts.get(f"/trusts/{marts.trust}").json()
    [sickness] = [c for c in latest["scale"]["criteria"] if c["criterion"] == "sickness_worst_decile_sustained"]
    assert sickness["status"] in ("met", "not_met")


def test_scorecard_evidence_and_comparators(marts):
    trust, period = marts.trust, marts.latest
    card = marts.get(f"/trusts/{trust}").json()
    [(peer_group,)] = marts.query("SELECT peer_group FROM dim_trust_peer_group WHERE trust_code = ?", [trust])
    assert card["trust"]["peer_group"] == peer_group and card["trust"]["icb_code"] == marts.icb
    ratings = marts.query("SELECT key_question, rating FROM fct_trust_quality WHERE trust_code = ? AND period = ? "
                          "AND rating_level = 'trust'", [trust, period])
    assert sorted((r["key_question"], r["rating"]) for r in card["quality"]["trust"]) == sorted(ratings)
    assert all(r["key_question"] == "Overall" for r in card["quality"]["sites"])
    [(rate,)] = marts.query("SELECT sickness_absence_rate_percent FROM fct_trust_workforce WHERE trust_code = ? "
                            "AND period = ?", [trust, period])
    assert card["workforce"]["sickness_absence_rate_percent"] == rate
    [(year, margin)] = marts.query("SELECT financial_year, income_expenditure_margin_pct FROM fct_trust_annual_accounts "
                                   "WHERE trust_code = ? AND published_on <= ? ORDER BY financial_year DESC LIMIT 1",
                                   [trust, period])
    assert (card["annual_accounts"]["financial_year"], card["annual_accounts"]["income_expenditure_margin_pct"]) == \
           (year, pytest.approx(margin))
    peers = marts.query("""SELECT w.sickness_absence_rate_percent, s.level FROM fct_trust_failure_scale s
        JOIN dim_trust_peer_group p USING (trust_code)
        LEFT JOIN fct_trust_workforce w ON w.trust_code = s.trust_code AND w.period = s.period
        WHERE s.methodology_version = 'v2' AND s.period = ? AND p.peer_group = ?""", [period, peer_group])
    assert card["peer_group"]["group"] == peer_group and card["peer_group"]["trusts"] == len(peers)
    assert card["peer_group"]["median_sickness_absence_rate_percent"] == pytest.approx(
        median(r for r, _ in peers if r is not None))
    assert card["peer_group"]["share_failing"] == pytest.approx(sum(level >= 3 for _, level in peers) / len(peers))
    [(england,)] = marts.query("SELECT count(*) FROM fct_trust_failure_scale WHERE methodology_version = 'v2' AND period = ?", [period])
    assert card["england"]["trusts"] == england and card["england"]["group"] == "England"
    stress = marts.query("SELECT economy_failing, others_failing_share FROM fct_economy_condition WHERE methodology_version = 'v2' AND "
                         "trust_code = ? AND period = ?", [trust, period])
    assert (card["health_economy"]["economy_failing"], card["health_economy"]["others_failing_share"]) == stress[0]


def test_economy_view_lists_its_trusts_and_pockets(marts):
    view = marts.get(f"/health-economies/{marts.icb}/view", "commissioner_own").json()
    members = marts.query("SELECT trust_code, level FROM fct_trust_failure_scale WHERE methodology_version = 'v2' AND icb_code = ? AND period = ? "
                          "ORDER BY level DESC, trust_code", [marts.icb, marts.latest])
    assert [(m["code"], m["level"]) for m in view["members"]] == members
    assert view["system"]["trusts"] == len(members)
    returns = marts.query("""SELECT sum(f.ytd_actual_surplus), sum(f.ytd_operating_income) FROM fct_trust_finance f
        JOIN fct_trust_failure_scale s ON s.trust_code = f.trust_code AND s.period = f.period
        WHERE s.methodology_version = 'v2' AND s.icb_code = ? AND f.period = ?""", [marts.icb, marts.latest])[0]
    assert view["system"]["in_year_margin_pct"] == pytest.approx(100 * returns[0] / returns[1])
    for member in view["members"]:
        [(share, margin)] = marts.query("SELECT others_failing_share, others_margin_pct FROM fct_economy_condition WHERE methodology_version = 'v2' "
                                        "AND trust_code = ? AND period = ?", [member["code"], marts.latest])
        assert member["others_failing_share"] == share and member["others_margin_pct"] == pytest.approx(margin)
    pockets = marts.query("SELECT trust_code, location_id, service_name FROM rpt_pockets_of_poor_care "
                          "WHERE icb_code = ? AND period = ? ORDER BY 1, 2, 3", [marts.icb, marts.latest])
    assert [(p["trust_code"], p["location_id"], p["service_name"]) for p in view["pockets"]] == pockets


def test_lists_filter_and_sort(marts):
    every = marts.get("/trusts", params={"limit": 1000}).json()["items"]
    assert [t["code"] for t in every] == sorted(t["code"] for t in every)
    in_icb = marts.get("/trusts", params={"icb": marts.icb.lower()}).json()["items"]
    assert {t["code"] for t in in_icb} == {t for (t,) in marts.query(
        "SELECT trust_code FROM fct_trust_failure_scale WHERE methodology_version = 'v2' AND icb_code = ? AND period = ?", [marts.icb, marts.latest])}
    serious = marts.get("/failure-scale", params={"level_min": 2}).json()["items"]
    assert serious and all(t["level"] >= 2 for t in serious)
    assert [t["level"] for t in serious] == sorted((t["level"] for t in serious), reverse=True)
    group = every[0]["peer_group"]
    assert {t["code"] for t in marts.get("/trusts", params={"peer_group": group}).json()["items"]} == \
           {t["code"] for t in every if t["peer_group"] == group}
    assert marts.get("/trusts", params={"icb": "QZZ"}).status_code == 422
    assert marts.get("/trusts", params={"sort": "colour"}).status_code == 422


def test_methodology_and_calibration(marts):
    versions = marts.get("/methodology").json()
    assert versions["versions"] == ["v1", "v2"] and versions["latest"] == "v2"
    for version in ("v1", "v2"):
        served = marts.get(f"/methodology/{version}").json()
        assert [(level["level"], level["consequence"]) for level in served["levels"]] == marts.query(
            "SELECT level, consequence FROM failure_scale_levels WHERE methodology_version = ? ORDER BY level",
            [version])
        assert {t["threshold"]: t["value"] for t in served["thresholds"]} == dict(marts.query(
            "SELECT threshold, value FROM failure_scale_thresholds WHERE methodology_version = ?", [version]))
        assert len(served["finance_bands"]) == 20 and len(served["criteria"]) == 13
    assert marts.get("/methodology/v9").status_code == 404
    calibration = marts.get("/calibration").json()["items"]
    assert calibration[0]["scenario"] == "baseline"
    assert {(c["scenario"], c["trusts_moved"]) for c in calibration} == set(marts.query(
        "SELECT scenario, trusts_moved FROM rpt_calibration WHERE period = ? AND methodology_version = 'v2'",
        [marts.latest]))
    # a whole-number threshold moves by one step, and says so
    steps = {c["scenario"]: c for c in calibration if c["moved_threshold"] == "sustained_serious_months"}
    assert {(s, c["move"], c["scenario_value"]) for s, c in steps.items()} == {
        ("sustained_serious_months -1", "one step", 11.0), ("sustained_serious_months +1", "one step", 13.0)}


def test_openapi_is_complete(marts):
    spec = marts.api.get("/openapi.json").json()
    operations = [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]
    assert len(operations) >= 24
    for path, method, op in operations:
        assert op.get("summary") and op.get("description"), path
        for parameter in op.get("parameters", []):
            assert parameter.get("description"), (path, parameter["name"])
        assert "200" in op["responses"], path
    assert "APIKey" in spec["components"]["securitySchemes"]
    schemas = spec["components"]["schemas"]
    for name in ("Scorecard", "ScaleRow", "Criterion", "ChangeRow", "FinanceRow", "EconomyView", "AuditRecord"):
        assert schemas[name].get("examples"), name
