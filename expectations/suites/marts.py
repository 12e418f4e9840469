"""One suite per mart, run on the warehouse's table after dbt has built it and before it is published.

A mart's rules are dbt tests (dbt_project/models/marts/_marts__models.yml, dbt_project/tests/): keys, not-null
columns, allowed values, relationships, and the point-in-time and methodology rules written as singular tests. They
are not repeated here. These suites hold what the dbt tests do not say: the ranges the figures may take, volume
cautions, and the rules that read a JSON column (the failure scale's criteria) or hold across a row's estimates."""
from __future__ import annotations

import json
from dataclasses import dataclass

from orchestration.feeds.cqc.sheet import DOMAINS, NON_RATINGS, RATINGS
from expectations.registry import Suite
from expectations.suites.rules import WARNING, between, holds, not_null, one_of, rows_between, unique

SCORES = [1, 2, 3, 4]


def _suite(name, build, derive: "_Derived | None" = None, types=None) -> Suite:
    """A mart's suite reads only the columns it checks (typed, named by an expectation, or read by a derived rule):
    the failure scale's criteria are millions of rows at national scale, and a check must not load them whole."""
    return Suite(name=name, build=lambda context: build(), derive=derive, types=types or {},
                 reads=derive.reads if derive else ())


TRUST_MONTH = {"trust_code": "str", "period": "date"}


@dataclass(frozen=True)
class _Derived:
    """A derive function adding each named rule (frame -> Series) as a column, and the columns the rules read."""
    reads: tuple[str, ...]
    rules: dict

    def __call__(self, frame, context):
        return frame.assign(**{name: rule(frame) for name, rule in self.rules.items()})


def _derived(reads: tuple[str, ...], **rules) -> _Derived:
    return _Derived(tuple(reads), rules)


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
        not_null("open_date"),
        rows_between(100, 1000, WARNING)],
        types={"trust_code": "str", "trust_name": "str", "icb_code": "str", "open_date": "date", "is_open": "bool"}),
    _suite("dim_health_economy", lambda: [
        between("open_trust_count", 0, None),
        rows_between(30, 50, WARNING)],
        types={"icb_code": "str", "icb_ons_code": "str", "icb_name": "str", "open_trust_count": "int"}),
    _suite("fct_trust_quality", lambda: [
        not_null("period"), one_of("rating", [*RATINGS, *NON_RATINGS]), not_null("rating_scale")],
        types={**TRUST_MONTH, "rating_level": "str", "key_question": "str", "rating": "str", "rating_age_days": "int",
               "is_inherited": "bool"}),
    _suite("fct_trust_workforce", lambda: [
        not_null("trust_code"),
        between("total_fte", 0, None), between("total_headcount", 0, None),
        holds("fte_within_headcount", WARNING, mostly=0.99),
        between("sickness_absence_rate_percent", 0, 100), between("sickness_national_percentile_rank", 0, 1),
        between("sickness_worst_decile_months", 0, None)],
        _derived(("total_fte", "total_headcount"),
                 fte_within_headcount=lambda f: (f["total_fte"] <= f["total_headcount"] + 1e-6)
                 .astype("object").where(f["total_fte"].notna() & f["total_headcount"].notna(), None)),
        {**TRUST_MONTH, "total_fte": "float", "sickness_absence_rate_percent": "float"}),
    _suite("fct_trust_workforce_by_staff_group", lambda: [
        not_null("staff_group"),
        between("fte", 0, None), between("headcount", 0, None)],
        types={**TRUST_MONTH, "staff_group": "str", "fte": "float", "headcount": "float"}),
    _suite("fct_trust_finance", lambda: [
        *[one_of(c, SCORES) for c in ("capital_service_capacity_score", "liquidity_score",
                                      "income_expenditure_margin_score", "distance_from_plan_score",
                                      "agency_spend_score")],
        one_of("access", ["restricted"])],                          # in-year returns are never public
        types={**TRUST_MONTH, "overall_finance_score": "int", "return_received_on": "date", "access": "str"}),
    _suite("fct_trust_failure_scale", lambda: [
        # the criteria JSON parses, each criterion carries its reasons, and the level is the highest one met (dbt's
        # assert_failure_level_is_its_highest_criterion checks the level against the criteria tables; this, against
        # the JSON the API serves)
        holds("criteria_explain_the_level")],
        _derived(("level", "criteria"), criteria_explain_the_level=_criteria_consistent),
        {**TRUST_MONTH, "level": "int", "criteria": "str", "consequence": "str", "methodology_version": "str"}),
    _suite("fct_trust_failure_scale_criteria", lambda: [
        one_of("status", ["met", "not_met", "not_assessable"]), one_of("data_access", ["public", "restricted"]),
        between("level", 1, 5), holds("not_assessable_says_why")],
        _derived(("missing_input", "status"), not_assessable_says_why=lambda f: f["missing_input"].notna()
                 .astype("object").where(f["status"] == "not_assessable", None)),
        {**TRUST_MONTH, "criterion": "str", "status": "str", "level": "int", "methodology_version": "str"}),
    _suite("rpt_methodology_comparison", lambda: [
        between("from_level", 0, 5), between("to_level", 0, 5), holds("moved_when_levels_differ")],
        _derived(("moved", "from_level", "to_level"),
                 moved_when_levels_differ=lambda f: f["moved"] == (f["from_level"] != f["to_level"])),
        {**TRUST_MONTH, "from_version": "str", "to_version": "str", "from_level": "int", "to_level": "int"}),
    _suite("fct_failure_scale_inputs", lambda: [
        not_null("methodology_version"), between("finance_return_age_months", 0, None),
        between("sickness_age_months", 0, None)],
        types={**TRUST_MONTH, "methodology_version": "str"}),
    _suite("fct_economy_condition", lambda: [
        unique("methodology_version", "trust_code", "period"), between("others_failing_share", 0, 1),
        holds("one_trust_left_out"), between("stress_measures_passed", 0, 3), between("stress_measures_assessed", 0, 3)],
        _derived(("other_trusts", "economy_trusts"),
                 one_trust_left_out=lambda f: f["other_trusts"] == f["economy_trusts"] - 1),
        {**TRUST_MONTH, "icb_code": "str", "others_failing_share": "float"}),
    *[_suite(report, lambda: [
        *[between(c, 0, None) for c in ("n_failing_in_failing", "n_failing_in_other", "n_ok_in_failing",
                                        "n_ok_in_other")],
        between("fisher_p", 0, 1 + 1e-9), between("share_failing_in_failing_economies", 0, 1),
        holds("odds_ratio_within_its_ci"), holds("relative_risk_within_its_ci")],
        _derived(("odds_ratio", "or_ci_low", "or_ci_high", "relative_risk", "rr_ci_low", "rr_ci_high"),
                 odds_ratio_within_its_ci=_ci_holds("odds_ratio", "or_ci_low", "or_ci_high"),
                 relative_risk_within_its_ci=_ci_holds("relative_risk", "rr_ci_low", "rr_ci_high")),
        {"period": "date", "n_failing_in_failing": "int", "odds_ratio": "float", "fisher_p": "float"})
      for report in ("rpt_economy_trust_link", "rpt_finance_quality_link")],
    _suite("rpt_pockets_of_poor_care", lambda: [
        one_of("trust_rating", ["Good", "Outstanding"]), one_of("rating", ["Requires improvement", "Inadequate"]),
        between("rating_age_days", 0, None)],
        types={**TRUST_MONTH, "location_id": "str", "rating": "str", "trust_rating": "str"}),
    _suite("rpt_ratings_trend", lambda: [
        between("mean_score", 0, 3), between("share_good_or_outstanding", 0, 1),  # Inadequate 0 … Outstanding 3
        holds("five_years_in_the_window")],
        _derived(("in_five_year_window",),
                 five_years_in_the_window=lambda f: f["in_five_year_window"].sum() == min(5, len(f))),
        {"publication_year": "int", "mean_score": "float", "in_five_year_window": "bool"}),
    _suite("rpt_data_quality", lambda: [
        holds("rows_reconcile"), between("expectations_passed", 0, None)],
        _derived(("rows_in", "rows_valid", "rows_quarantined"),
                 rows_reconcile=lambda f: (f["rows_in"] == f["rows_valid"] + f["rows_quarantined"])
                 .astype("object").where(f["rows_in"].notna() & f["rows_valid"].notna(), None)),
        {"asset": "str", "asset_kind": "str", "partition_key": "str"}),
    _suite("rpt_feed_freshness", lambda: [
        # a file dated after the day it was received: a clock wrong somewhere, or a mirror read as at an earlier day
        between("releases_held", 0, None), holds("status_says_what_is_held"),
        holds("published_before_received", WARNING)],
        _derived(("status", "releases_held", "latest_published_on", "latest_received_on"),
                 status_says_what_is_held=lambda f: (f["status"] == "no releases") == (f["releases_held"] == 0),
                 published_before_received=lambda f: (f["latest_published_on"] <= f["latest_received_on"])
                 .astype("object").where(f["latest_received_on"].notna() & f["latest_published_on"].notna(), None)),
        {"feed": "str", "status": "str", "releases_held": "int"}),
    _suite("fct_quarantined_rows", lambda: [
        not_null("feed_folder"), holds("finance_returns_restricted")],
        _derived(("access", "table_name"), finance_returns_restricted=lambda f: (f["access"] == "restricted")
                 .where(f["table_name"] == "monthly_returns", None).astype("object")),
        {"feed_folder": "str", "table_name": "str", "source_row": "int", "rule": "str", "reason": "str"}),
    _suite("dim_trust_peer_group", lambda: [
        not_null("trust_code"), unique("trust_code"),
        one_of("peer_group", ["acute", "specialist", "mental health", "community", "ambulance", "other"]),
        holds("most_locations_in_the_category"), holds("peer_group_only_with_locations")],
        _derived(("locations_in_category", "locations", "peer_group"),
                 most_locations_in_the_category=lambda f: (f["locations_in_category"].astype("float")
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
        between("trusts_moved", 0, None), holds("levels_add_up")],
        _derived((*[f"trusts_at_level_{n}" for n in range(6)], "trusts"),
                 levels_add_up=lambda f: sum(f[f"trusts_at_level_{n}"] for n in range(6)) == f["trusts"]),
        {"period": "date", "scenario": "str", "trusts": "int", "trusts_moved": "int"}),
]
