"""One suite per mart, run on the warehouse's table after dbt has built it and before it is published. dbt's own
tests guard keys and relationships; these guard what the figures may be: ranges, scales, and rules across columns."""
from __future__ import annotations

import json

from orchestration.feeds.cqc.sheet import DOMAINS, NON_RATINGS, RATINGS
from expectations.registry import Suite
from expectations.suites.rules import WARNING, between, holds, not_null, one_of, rows_between, unique

SCORES = [1, 2, 3, 4]


def _suite(name, build, derive=None, types=None) -> Suite:
    return Suite(name=name, build=lambda context: build(), derive=derive, types=types or {})


TRUST_MONTH = {"trust_code": "str", "period": "date"}


def _derived(**rules):
    """A derive function adding each named rule (frame -> Series) as a column."""
    return lambda frame, context: frame.assign(**{name: rule(frame) for name, rule in rules.items()})


def _criteria_consistent(frame):
    """The criteria JSON parses, each criterion has its reasons, and the level is the highest criterion met."""
    def ok(level, criteria):
        try:
            met = json.loads(criteria)
        except (TypeError, ValueError):
            return False
        keys = {"criterion", "level", "value", "threshold", "source", "source_date"}
        return all(keys <= set(c) for c in met) and level == max((c["level"] for c in met), default=0)
    return [ok(level, criteria) for level, criteria in zip(frame["level"], frame["criteria"])]


def _ci_holds(estimate, low, high):
    return lambda frame: ((frame[low] <= frame[estimate] + 1e-9) & (frame[estimate] <= frame[high] + 1e-9)) \
        .astype("object").where(frame[estimate].notna(), None)


SUITES = [
    _suite("dim_trust", lambda: [
        not_null("trust_code"), unique("trust_code"), not_null("trust_name"), not_null("open_date"),
        holds("open_means_no_close_date"),
        rows_between(100, 1000, WARNING)],
        _derived(open_means_no_close_date=lambda f: f["is_open"] == f["close_date"].isna()),
        {"trust_code": "str", "trust_name": "str", "icb_code": "str", "open_date": "date", "is_open": "bool"}),
    _suite("dim_health_economy", lambda: [
        unique("icb_code"), unique("icb_ons_code"), not_null("icb_name"), between("open_trust_count", 0, None),
        rows_between(30, 50, WARNING)],
        types={"icb_code": "str", "icb_ons_code": "str", "icb_name": "str", "open_trust_count": "int"}),
    _suite("fct_trust_quality", lambda: [
        not_null("trust_code"), not_null("period"), one_of("rating_level", ["trust", "location", "core service"]),
        one_of("key_question", DOMAINS), one_of("rating", [*RATINGS, *NON_RATINGS]),
        between("rating_age_days", 0, None),                       # never a rating from the future
        holds("inherited_never_aggregated"),
        not_null("rating_scale")],
        _derived(inherited_never_aggregated=lambda f: ~(f["is_inherited"].fillna(False)
                                                        & f["is_aggregated"].fillna(False))),
        {**TRUST_MONTH, "rating_level": "str", "key_question": "str", "rating": "str", "rating_age_days": "int",
         "is_inherited": "bool"}),
    _suite("fct_trust_workforce", lambda: [
        not_null("trust_code"), unique("trust_code", "period"),
        between("total_fte", 0, None), between("total_headcount", 0, None),
        holds("fte_within_headcount", WARNING, mostly=0.99),
        between("sickness_absence_rate_percent", 0, 100), between("sickness_national_percentile_rank", 0, 1),
        between("sickness_worst_decile_months", 0, None)],
        _derived(fte_within_headcount=lambda f: (f["total_fte"] <= f["total_headcount"] + 1e-6)
                 .astype("object").where(f["total_fte"].notna() & f["total_headcount"].notna(), None)),
        {**TRUST_MONTH, "total_fte": "float", "sickness_absence_rate_percent": "float"}),
    _suite("fct_trust_workforce_by_staff_group", lambda: [
        not_null("staff_group"), unique("trust_code", "period", "staff_group"),
        between("fte", 0, None), between("headcount", 0, None)],
        types={**TRUST_MONTH, "staff_group": "str", "fte": "float", "headcount": "float"}),
    _suite("fct_trust_finance", lambda: [
        unique("trust_code", "period"),
        *[one_of(c, SCORES) for c in ("capital_service_capacity_score", "liquidity_score",
                                      "income_expenditure_margin_score", "distance_from_plan_score",
                                      "agency_spend_score", "overall_finance_score")],
        one_of("access", ["restricted"]),                           # in-year returns are never public
        holds("return_received_by_period")],
        _derived(return_received_by_period=lambda f: f["return_received_on"] <= f["period"]),
        {**TRUST_MONTH, "overall_finance_score": "int", "return_received_on": "date", "access": "str"}),
    _suite("fct_trust_failure_scale", lambda: [
        unique("trust_code", "period"), one_of("level", [0, 1, 2, 3, 4, 5]), not_null("consequence"),
        not_null("methodology_version"), holds("criteria_explain_the_level")],
        _derived(criteria_explain_the_level=_criteria_consistent),
        {**TRUST_MONTH, "level": "int", "criteria": "str", "consequence": "str", "methodology_version": "str"}),
    _suite("fct_economy_condition", lambda: [
        unique("trust_code", "period"), between("others_failing_share", 0, 1), holds("one_trust_left_out"),
        between("stress_measures_passed", 0, 3)],
        _derived(one_trust_left_out=lambda f: f["other_trusts"] == f["economy_trusts"] - 1),
        {**TRUST_MONTH, "icb_code": "str", "others_failing_share": "float"}),
    *[_suite(report, lambda: [
        unique("period"),
        *[between(c, 0, None) for c in ("n_failing_in_failing", "n_failing_in_other", "n_ok_in_failing",
                                        "n_ok_in_other")],
        between("fisher_p", 0, 1 + 1e-9), between("share_failing_in_failing_economies", 0, 1),
        holds("odds_ratio_within_its_ci"), holds("relative_risk_within_its_ci")],
        _derived(odds_ratio_within_its_ci=_ci_holds("odds_ratio", "or_ci_low", "or_ci_high"),
                 relative_risk_within_its_ci=_ci_holds("relative_risk", "rr_ci_low", "rr_ci_high")),
        {"period": "date", "n_failing_in_failing": "int", "odds_ratio": "float", "fisher_p": "float"})
      for report in ("rpt_economy_trust_link", "rpt_finance_quality_link")],
    _suite("rpt_pockets_of_poor_care", lambda: [
        one_of("trust_rating", ["Good", "Outstanding"]), one_of("rating", ["Requires improvement", "Inadequate"]),
        between("rating_age_days", 0, None)],
        types={**TRUST_MONTH, "location_id": "str", "rating": "str", "trust_rating": "str"}),
    _suite("rpt_ratings_trend", lambda: [
        unique("publication_year"), between("mean_score", 1, 4), between("share_good_or_outstanding", 0, 1),
        holds("five_years_in_the_window")],
        _derived(five_years_in_the_window=lambda f: f["in_five_year_window"].sum() == min(5, len(f))),
        {"publication_year": "int", "mean_score": "float", "in_five_year_window": "bool"}),
    _suite("rpt_data_quality", lambda: [
        not_null("asset"), unique("asset", "partition_key"),
        one_of("last_outcome", ["stored", "unchanged", "rejected"]), holds("rows_reconcile"),
        between("expectations_passed", 0, None)],
        _derived(rows_reconcile=lambda f: (f["rows_in"] == f["rows_valid"] + f["rows_quarantined"])
                 .astype("object").where(f["rows_in"].notna() & f["rows_valid"].notna(), None)),
        {"asset": "str", "asset_kind": "str", "partition_key": "str"}),
    _suite("fct_quarantined_rows", lambda: [
        not_null("source_row"), not_null("reason"), not_null("feed_folder"), one_of("access", ["public", "restricted"]),
        holds("finance_returns_restricted")],
        _derived(finance_returns_restricted=lambda f: (f["access"] == "restricted")
                 .where(f["table_name"] == "monthly_returns", None).astype("object")),
        {"feed_folder": "str", "table_name": "str", "source_row": "int", "rule": "str", "reason": "str"}),
    _suite("dim_trust_peer_group", lambda: [
        not_null("trust_code"), unique("trust_code"),
        one_of("peer_group", ["acute", "specialist", "mental health", "community", "ambulance", "other"]),
        holds("most_locations_in_the_category"), holds("peer_group_only_with_locations")],
        _derived(most_locations_in_the_category=lambda f: (f["locations_in_category"].astype("float")
                                                           <= f["locations"].astype("float"))
                 .astype("object").where(f["locations"].notna(), None),
                 peer_group_only_with_locations=lambda f: f["peer_group"].isna() == f["locations"].isna()),
        {"trust_code": "str", "peer_group": "str", "primary_inspection_category": "str"}),
    _suite("fct_trust_annual_accounts", lambda: [
        not_null("trust_code"), not_null("financial_year"), unique("trust_code", "financial_year"),
        between("operating_income", 0, None), between("total_staff_costs", 0, None),
        between("agency_share_of_staff_costs_pct", 0, 100), one_of("access", ["public"]), not_null("published_on")],
        types={"trust_code": "str", "financial_year": "str", "operating_income": "float", "published_on": "date"}),
    _suite("rpt_calibration", lambda: [
        unique("period", "scenario"), between("trusts_moved", 0, None), holds("levels_add_up")],
        _derived(levels_add_up=lambda f: sum(f[f"trusts_at_level_{n}"] for n in range(6)) == f["trusts"]),
        {"period": "date", "scenario": "str", "trusts": "int", "trusts_moved": "int"}),
]
