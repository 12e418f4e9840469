"""The feeds' Great Expectations suites: real and simulated files pass them, and each rule catches what it names.

Every broken table here is a good simulated release with one thing changed, so each failure is a known answer: the
named expectation fails, on the named column, with the named severity, and nothing else does.
"""
import json
from datetime import date, timedelta

import pyarrow as pa
import pytest

from expectations.registry import FEED_SUITES, SuiteContext, validate
from orchestration.feeds.registry import CQC_API_FEED, FEED_FILES, RELEASE_FEEDS
from simulator import simulate

SMALL_ENGLAND_CAUTIONS = {  # a small simulated England is not England-sized: these warnings are expected there
    "ods-trusts": {("expect_column_values_to_be_between", "open_trusts", "warning")},
    "icb-names": {("expect_table_row_count_to_be_between", "(table)", "warning")},
}


@pytest.fixture(scope="module")
def feeds(tmp_path_factory):
    root = tmp_path_factory.mktemp("feeds")
    simulate("small", 11, root)
    return root


@pytest.fixture(scope="module")
def ods_trusts(feeds):
    return FEED_FILES["ods-trusts"].parse((feeds / "ods/etr.csv").read_bytes(), "etr.csv").valid


def releases(feeds, kind) -> list[tuple[dict, pa.Table]]:
    spec = RELEASE_FEEDS[kind]
    index = json.loads((feeds / spec.mirror_dir / "releases.json").read_text())["releases"]
    return [(r, spec.parse((feeds / spec.mirror_dir / r["file"]).read_bytes(), r["file"]).valid) for r in index]


def latest(feeds, kind) -> tuple[SuiteContext, pa.Table]:
    """The newest release of a feed and the context it is validated in (publication, previous release, ODS)."""
    (previous, previous_table), (release, table) = releases(feeds, kind)[-2:]
    return SuiteContext(published_on=date.fromisoformat(release["published"]), previous_rows=previous_table.num_rows,
                        ods_trusts=FEED_FILES["ods-trusts"].parse((feeds / "ods/etr.csv").read_bytes(), "etr.csv").valid), table


def failures(validation) -> set[tuple[str, str, str]]:
    return {(f["expectation"], f["column"], f["severity"]) for f in validation.failed}


def changed(table: pa.Table, row: int, **values) -> pa.Table:
    rows = table.to_pylist()
    rows[row] = {**rows[row], **values}
    return pa.Table.from_pylist(rows, schema=table.schema)


# --- good data passes ------------------------------------------------------------------------------------------------

def test_real_trusts_file_passes_its_suite(realdata):
    parsed = FEED_FILES["ods-trusts"].parse((realdata / "ods/etr.csv").read_bytes(), "etr.csv")
    outcome = validate(parsed.valid, FEED_SUITES["ods-trusts"])
    assert outcome.failed == [] and outcome.evaluated >= 10


def test_real_sickness_files_pass_their_suite(realdata):
    ods = FEED_FILES["ods-trusts"].parse((realdata / "ods/etr.csv").read_bytes(), "etr.csv").valid
    previous = None
    for month in ("04", "05", "06"):
        name = f"nhs_sickness_absence_2024-{month}.csv"
        parsed = RELEASE_FEEDS["sickness-absence"].parse((realdata / "workforce" / name).read_bytes(), name)
        month_end = parsed.valid.column("month_end")[0].as_py()
        context = SuiteContext(published_on=month_end + timedelta(days=95), previous_rows=previous, ods_trusts=ods)
        outcome = validate(parsed.valid, FEED_SUITES["sickness-absence"], context)
        assert outcome.failed == [], (month, outcome.summary())
        previous = parsed.rows_valid


def test_every_simulated_feed_passes_its_suite(feeds, ods_trusts):
    for kind, path in {"ods-trusts": "ods/etr.csv", "ods-successors": "ods/succ.csv",
                       "icb-names": "ons/icb_names_codes.csv"}.items():
        parsed = FEED_FILES[kind].parse((feeds / path).read_bytes(), path)
        outcome = validate(parsed.valid, FEED_SUITES[kind], SuiteContext(ods_trusts=ods_trusts))
        assert failures(outcome) == SMALL_ENGLAND_CAUTIONS.get(kind, set()), outcome.summary()
    for kind in RELEASE_FEEDS:
        previous = None
        for release, table in releases(feeds, kind):
            context = SuiteContext(published_on=date.fromisoformat(release["published"]), previous_rows=previous,
                                   ods_trusts=ods_trusts)
            outcome = validate(table, FEED_SUITES[kind], context)
            assert outcome.failed == [], (kind, release["release"], outcome.summary())
            previous = table.num_rows
    documents = sorted((feeds / "cqc/api/locations").glob("*.json"))
    table = pa.concat_tables([CQC_API_FEED.parse(p.read_bytes(), p.name).valid for p in documents])
    outcome = validate(table, FEED_SUITES["cqc-api-location"], SuiteContext(published_on=date.today()))
    assert outcome.failed == [], outcome.summary()


# --- each rule catches what it names ---------------------------------------------------------------------------------

def test_sickness_rules(feeds):
    context, table = latest(feeds, "sickness-absence")
    suite = FEED_SUITES["sickness-absence"]
    row = table.to_pylist()[3]
    lost, available = row["fte_days_lost"], row["fte_days_available"]

    wrong_rate = changed(table, 3, sickness_absence_rate_percent=round(100 * lost / available, 2) + 0.5)
    assert failures(validate(wrong_rate, suite, context)) == {
        ("expect_column_values_to_be_between", "rate_discrepancy", "critical")}

    more_lost_than_available = changed(table, 3, fte_days_lost=available * 2, sickness_absence_rate_percent=200.0)
    assert failures(validate(more_lost_than_available, suite, context)) == {
        ("expect_column_values_to_be_in_set", "lost_within_available", "critical"),
        ("expect_column_values_to_be_between", "sickness_absence_rate_percent", "critical")}

    from_the_future = SuiteContext(published_on=row["month_end"] - timedelta(days=1),
                                   previous_rows=context.previous_rows, ods_trusts=context.ods_trusts)
    assert failures(validate(table, suite, from_the_future)) == {
        ("expect_column_values_to_be_between", "days_before_publication", "critical")}

    org_type = table.schema.get_field_index("org_type")
    numbered = table.set_column(org_type, "org_type", pa.array(range(table.num_rows)))
    assert failures(validate(numbered, suite, context)) == {
        ("expect_column_values_to_be_in_type_list", "org_type", "critical")}
    assert ("expect_table_columns_to_match_set", "(table)", "critical") in failures(
        validate(table.remove_column(org_type), suite, context))

    shrunk = SuiteContext(published_on=context.published_on, previous_rows=table.num_rows * 2,
                          ods_trusts=context.ods_trusts)
    assert failures(validate(table, suite, shrunk)) == {
        ("expect_table_row_count_to_be_between", "(table)", "warning")}


def test_a_trust_closed_before_the_month_cannot_report(feeds):
    context, table = latest(feeds, "sickness-absence")
    trusts = set(context.ods_trusts.column("organisation_code").to_pylist())
    row = next(i for i, code in enumerate(table.column("org_code").to_pylist()) if code in trusts)
    code = table.column("org_code")[row].as_py()
    closed = pa.Table.from_pylist([
        {**t, "close_date": date(2001, 1, 1)} if t["organisation_code"] == code else t
        for t in context.ods_trusts.to_pylist()], schema=context.ods_trusts.schema)
    outcome = validate(table, FEED_SUITES["sickness-absence"],
                       SuiteContext(context.published_on, context.previous_rows, closed))
    assert failures(outcome) == {("expect_column_values_to_be_in_set", "trust_open_in_month", "critical")}
    assert outcome.failed[0]["unexpected_count"] == 1


def test_staff_group_rules(feeds):
    context, table = latest(feeds, "workforce-staff-group")
    suite = FEED_SUITES["workforce-staff-group"]
    plain = pa.schema([f.with_type(pa.string()) if pa.types.is_dictionary(f.type) else f for f in table.schema])
    table = table.slice(table.num_rows - 2000).cast(plain)  # the newest months, as plain strings to edit
    context = SuiteContext(context.published_on, None, None)
    assert validate(table, suite, context).failed == []
    assert failures(validate(changed(table, 5, value=-3.0), suite, context)) == {
        ("expect_column_values_to_be_between", "value", "critical")}
    assert failures(validate(changed(table, 5, staff_group="Chief Vibes Officers"), suite, context)) == {
        ("expect_column_values_to_be_in_set", "staff_group", "critical"),
        ("expect_column_values_to_be_in_set", "sort_order_matches_group", "critical")}


def test_cqc_ratings_rules(feeds):
    context, table = latest(feeds, "cqc-ratings-sheet")
    suite = FEED_SUITES["cqc-ratings-sheet"]
    rows = table.to_pylist()
    # one location's Overall made Outstanding while its key questions stay as they were (all but Outstanding ones)
    location = next(r for r in rows if r["level"] == "location" and r["domain"] == "Overall"
                    and r["service_population_group"] == "Overall" and r["rating"] == "Requires improvement")
    group = [r for r in rows if r["level"] == "location" and r["location_id"] == location["location_id"]
             and r["service_population_group"] == "Overall"]
    inconsistent = pa.Table.from_pylist([dict(r, rating="Outstanding") if r["domain"] == "Overall" else r
                                         for r in group], schema=table.schema)
    assert failures(validate(inconsistent, suite, SuiteContext(context.published_on))) == {
        ("expect_column_values_to_be_in_set", "overall_follows_principles", "warning")}
    future = changed(table, 0, publication_date=context.published_on + timedelta(days=3))
    assert failures(validate(future, suite, context)) == {
        ("expect_column_values_to_be_between", "days_before_release", "critical")}
    assert failures(validate(changed(table, 0, rating="Excellent"), suite, context)) == {
        ("expect_column_values_to_be_in_set", "rating", "critical"),
        ("expect_column_values_to_be_in_set", "is_rating_means_a_rating", "critical")}


def test_finance_return_rules(feeds):
    context, table = latest(feeds, "finance-monthly")
    suite = FEED_SUITES["finance-monthly"]
    assert failures(validate(changed(table, 1, month_number=1), suite, context)) == {
        ("expect_column_values_to_be_in_set", "month_number_matches_period", "critical")}
    assert failures(validate(changed(table, 1, ytd_operating_income=-5.0), suite, context)) == {
        ("expect_column_values_to_be_between", "ytd_operating_income", "critical")}
    # a trust-only feed: an organisation ODS does not list as a trust is refused
    assert failures(validate(changed(table, 1, org_code="ZZZ"), suite, context)) == {
        ("expect_column_values_to_be_in_set", "trust_open_in_month", "critical")}


def test_tac_rules(feeds):
    context, table = latest(feeds, "tac")
    suite = FEED_SUITES["tac"]
    other_year = changed(table, 0, financial_year="2019-20")
    assert ("expect_column_values_to_be_in_set", "one_financial_year", "critical") in failures(
        validate(other_year, suite, context))
    duplicate = pa.concat_tables([table, table.slice(0, 1)])
    assert failures(validate(duplicate, suite, SuiteContext(context.published_on, None, context.ods_trusts))) == {
        ("expect_compound_columns_to_be_unique", "(table)", "critical")}


def test_reference_rules(feeds, ods_trusts):
    successors = FEED_FILES["ods-successors"].parse((feeds / "ods/succ.csv").read_bytes(), "succ.csv").valid
    trust_row = next(i for i, code in enumerate(successors.column("old_code").to_pylist())
                     if code in set(ods_trusts.column("organisation_code").to_pylist()))
    unknown_successor = changed(successors, trust_row, new_code="RZZ9")
    assert failures(validate(unknown_successor, FEED_SUITES["ods-successors"], SuiteContext(ods_trusts=ods_trusts))) \
        == {("expect_column_values_to_be_in_set", "trust_successor_known_to_ods", "warning")}
    other_types = changed(successors, trust_row, old_code="00Z", new_code="15Z")  # a CCG's: not the suite's business
    assert validate(other_types, FEED_SUITES["ods-successors"], SuiteContext(ods_trusts=ods_trusts)).failed == []
    icbs = FEED_FILES["icb-names"].parse((feeds / "ons/icb_names_codes.csv").read_bytes(), "icb_names_codes.csv").valid
    repeated = changed(icbs, 1, icb_ods_code=icbs.column("icb_ods_code")[0].as_py())
    assert ("expect_column_values_to_be_unique", "icb_ods_code", "critical") in failures(
        validate(repeated, FEED_SUITES["icb-names"]))


def test_stored_validations_build_data_docs_and_keep_the_latest_per_suite(tmp_path):
    from expectations.registry import RESULTS_KEPT_PER_SUITE, Suite, build_data_docs
    from expectations.suites.rules import not_null

    suite = Suite("docs_probe", lambda context: [not_null("a")])
    assert build_data_docs(tmp_path) is None  # nothing validated yet
    for run in range(RESULTS_KEPT_PER_SUITE + 3):
        table = pa.table({"a": [1, None] if run == RESULTS_KEPT_PER_SUITE + 2 else [1, 2]})
        outcome = validate(table, suite, gx_root=tmp_path, run_name=f"run{run:02d}")
        if run in (0, RESULTS_KEPT_PER_SUITE):  # rendered now and then, as runs end
            build_data_docs(tmp_path)
    assert failures(outcome) == {("expect_column_values_to_not_be_null", "a", "critical")}
    docs = build_data_docs(tmp_path).parent
    runs = sorted(p.name for p in (docs / "validations" / "docs_probe").iterdir() if any(p.rglob("*.html")))
    assert runs == [f"run{n:02d}" for n in range(3, RESULTS_KEPT_PER_SUITE + 3)]
    index = (docs / "index.html").read_text()
    assert "run22" in index and "run02" not in index
