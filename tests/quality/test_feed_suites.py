"""The feeds' Great Expectations suites: real and simulated files pass them, and each rule catches what it names.

Every broken table here is a good simulated release with one thing changed, so each failure is a known answer: the
named expectation fails, on the named column, with the named severity, and nothing else does.
"""
import json
from datetime import date, timedelta

import pyarrow as pa
import pytest

from expectations.registry import FEED_SUITES, SuiteContext, validate
from orchestration.feeds.catalog import CURRENT_FILES, FEEDS, SERIES
from simulator import simulate

AS_AT = date(2026, 12, 1)  # the day the files are checked as at (no parser reads the clock)

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
    return CURRENT_FILES["ods-trusts"].parse((feeds / "ods/etr.csv").read_bytes(), "etr.csv").valid


def releases(feeds, kind) -> list[tuple[dict, pa.Table]]:
    spec = SERIES[kind]
    index = json.loads((feeds / spec.mirror_dir / "releases.json").read_text())["releases"]
    return [(r, spec.parse((feeds / spec.mirror_dir / r["file"]).read_bytes(), r["file"],
                           as_at=AS_AT).valid) for r in index]


def latest(feeds, kind) -> tuple[SuiteContext, pa.Table]:
    """The newest release of a feed and the context it is validated in (publication, previous release, ODS)."""
    (previous, previous_table), (release, table) = releases(feeds, kind)[-2:]
    return SuiteContext(published_on=date.fromisoformat(release["published"]), previous_rows=previous_table.num_rows,
                        ods_trusts=CURRENT_FILES["ods-trusts"].parse((feeds / "ods/etr.csv").read_bytes(), "etr.csv").valid), table


def failures(validation) -> set[tuple[str, str, str]]:
    return {(f["expectation"], f["column"], f["severity"]) for f in validation.failed}


def changed(table: pa.Table, row: int, **values) -> pa.Table:
    rows = table.to_pylist()
    rows[row] = {**rows[row], **values}
    return pa.Table.from_pylist(rows, schema=table.schema)


# --- good data passes ------------------------------------------------------------------------------------------------

def test_real_trusts_file_passes_its_suite(realdata):
    parsed = CURRENT_FILES["ods-trusts"].parse((realdata / "ods/etr.csv").read_bytes(), "etr.csv")
    outcome = validate(parsed.valid, FEED_SUITES["ods-trusts"])
    assert outcome.failed == [] and outcome.evaluated == len(FEED_SUITES["ods-trusts"].expectations(SuiteContext()))


def test_real_sickness_files_pass_their_suite(realdata):
    ods = CURRENT_FILES["ods-trusts"].parse((realdata / "ods/etr.csv").read_bytes(), "etr.csv").valid
    previous = None
    for month in ("04", "05", "06"):
        name = f"nhs_sickness_absence_2024-{month}.csv"
        parsed = SERIES["sickness-absence"].parse((realdata / "workforce" / name).read_bytes(), name, as_at=AS_AT)
        month_end = parsed.valid.column("month_end")[0].as_py()
        context = SuiteContext(published_on=month_end + timedelta(days=95), previous_rows=previous, ods_trusts=ods)
        outcome = validate(parsed.valid, FEED_SUITES["sickness-absence"], context)
        assert outcome.failed == [], (month, outcome.summary())
        previous = parsed.rows_valid


def test_every_simulated_feed_passes_its_suite(feeds, ods_trusts):
    for kind, path in {"ods-trusts": "ods/etr.csv", "ods-successors": "ods/succ.csv",
                       "icb-names": "ons/icb_names_codes.csv"}.items():
        parsed = CURRENT_FILES[kind].parse((feeds / path).read_bytes(), path, as_at=AS_AT)
        outcome = validate(parsed.valid, FEED_SUITES[kind], SuiteContext(ods_trusts=ods_trusts))
        assert failures(outcome) == SMALL_ENGLAND_CAUTIONS.get(kind, set()), outcome.summary()
    for kind in (k for k in SERIES if k != "cqc-api-location"):  # the API's documents are a pull, below
        previous = None
        for release, table in releases(feeds, kind):
            context = SuiteContext(published_on=date.fromisoformat(release["published"]), previous_rows=previous,
                                   ods_trusts=ods_trusts)
            outcome = validate(table, FEED_SUITES[kind], context)
            assert outcome.failed == [], (kind, release["release"], outcome.summary())
            previous = table.num_rows
    documents = sorted((feeds / "cqc/api/locations").glob("*.json"))
    table = pa.concat_tables([FEEDS["cqc-api-location"].parse(p.read_bytes(), p.name,
                                                              as_at=AS_AT).valid for p in documents])
    outcome = validate(table, FEED_SUITES["cqc-api-location"], SuiteContext(published_on=AS_AT))
    assert outcome.failed == [], outcome.summary()


# --- each rule catches what it names ---------------------------------------------------------------------------------
# A feed's suite holds only what needs context: the release's publication date (no period after it; freshness),
# the release before (volume), the whole file (shares, counts), other files (ODS). Row rules are the parsers' — each
# caught at its row and column by the corpus (tests/quality/corpus) — and are not repeated in the suites.

def test_sickness_rules(feeds):
    context, table = latest(feeds, "sickness-absence")
    suite = FEED_SUITES["sickness-absence"]
    month_end = table.column("month_end")[0].as_py()
    assert validate(table, suite, context).failed == []
    assert failures(validate(table, suite, SuiteContext(month_end - timedelta(days=1), context.previous_rows))) == {
        ("expect_column_values_to_be_between", "days_before_publication", "critical")}
    assert failures(validate(table, suite, SuiteContext(month_end + timedelta(days=200), context.previous_rows))) == {
        ("expect_column_values_to_be_between", "days_before_publication", "warning")}      # stale on arrival

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


def test_staff_group_rules(feeds):
    context, table = latest(feeds, "workforce-staff-group")
    suite = FEED_SUITES["workforce-staff-group"]
    assert validate(table, suite, context).failed == []
    newest = max(table.column("month_end").to_pylist())
    late = SuiteContext(newest + timedelta(days=200), table.num_rows)
    assert failures(validate(table, suite, late)) == {
        ("expect_column_values_to_be_between", "latest_month_lag_days", "warning")}
    early = SuiteContext(newest - timedelta(days=1), table.num_rows)
    assert failures(validate(table, suite, early)) == {
        ("expect_column_values_to_be_between", "days_before_publication", "critical")}
    # a cumulative series only grows: 1% fewer rows than the release before is a caution
    assert failures(validate(table, suite, SuiteContext(context.published_on, int(table.num_rows * 1.03)))) == {
        ("expect_table_row_count_to_be_between", "(table)", "warning")}


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


def test_finance_return_rules(feeds):
    context, table = latest(feeds, "finance-monthly")
    suite = FEED_SUITES["finance-monthly"]
    assert validate(table, suite, context).failed == []
    period_end = table.column("period_end")[0].as_py()
    assert failures(validate(table, suite, SuiteContext(period_end - timedelta(days=1), context.previous_rows))) == {
        ("expect_column_values_to_be_between", "days_before_publication", "critical")}
    assert failures(validate(table.slice(0, table.num_rows // 2), suite, context)) == {   # a trust in two missing
        ("expect_table_row_count_to_be_between", "(table)", "warning")}


def test_tac_rules(feeds):
    context, table = latest(feeds, "tac")
    suite = FEED_SUITES["tac"]
    assert validate(table, suite, context).failed == []
    values = table.schema.get_field_index("value_gbp_thousands")
    mostly_markers = table.set_column(values, "value_gbp_thousands", pa.nulls(table.num_rows, pa.float64()))
    assert failures(validate(mostly_markers, suite, context)) == {
        ("expect_column_values_to_not_be_null", "value_gbp_thousands", "warning")}


def test_reference_rules(feeds, ods_trusts):
    successors = CURRENT_FILES["ods-successors"].parse((feeds / "ods/succ.csv").read_bytes(), "succ.csv").valid
    trust_row = next(i for i, code in enumerate(successors.column("old_code").to_pylist())
                     if code in set(ods_trusts.column("organisation_code").to_pylist()))
    unknown_successor = changed(successors, trust_row, new_code="RZZ9")
    assert failures(validate(unknown_successor, FEED_SUITES["ods-successors"], SuiteContext(ods_trusts=ods_trusts))) \
        == {("expect_column_values_to_be_in_set", "trust_successor_known_to_ods", "warning")}
    other_types = changed(successors, trust_row, old_code="00Z", new_code="15Z")  # a CCG's: not the suite's business
    assert validate(other_types, FEED_SUITES["ods-successors"], SuiteContext(ods_trusts=ods_trusts)).failed == []
    icbs = CURRENT_FILES["icb-names"].parse((feeds / "ons/icb_names_codes.csv").read_bytes(), "icb_names_codes.csv").valid
    assert failures(validate(icbs.slice(0, 3), FEED_SUITES["icb-names"])) == {
        ("expect_table_row_count_to_be_between", "(table)", "warning")}
    trusts = FEED_SUITES["ods-trusts"]
    no_icbs = ods_trusts.set_column(ods_trusts.schema.get_field_index("high_level_health_geography"),
                                    "high_level_health_geography", pa.nulls(ods_trusts.num_rows, pa.string()))
    assert ("expect_column_values_to_not_be_null", "high_level_health_geography", "critical") in failures(
        validate(no_icbs, trusts))


# --- the boundaries a parser and a suite share: one test runs both -------------------------------------------------

def both(kind: str, content: bytes, file_name: str, context: SuiteContext, ods_trusts: pa.Table | None = None,
         as_at: date = AS_AT):
    """The pipeline's verdict on one file, parser and suite together: what the parser quarantined (row, column,
    rule) on the day of the check (`as_at`) and what the suite then failed on the rows it kept."""
    from orchestration.feeds.reference import OdsTrusts

    parse = SERIES[kind].parse
    reference = OdsTrusts.from_table(ods_trusts, "etr.csv") if ods_trusts is not None else None
    result = parse(content, file_name, reference=reference, as_at=as_at)
    validation = validate(result.valid, FEED_SUITES[kind], context)
    return [(q["row"], q["column"], q["rule"]) for q in result.quarantined], failures(validation)


def trusts(*rows: tuple[str, date, date | None]) -> pa.Table:
    return pa.table({"organisation_code": [r[0] for r in rows], "open_date": pa.array([r[1] for r in rows]),
                     "close_date": pa.array([r[2] for r in rows], pa.date32())})


@pytest.mark.parametrize("close_date, opened, quarantined", [
    (date(2024, 4, 1), date(2000, 4, 1), []),                                   # closed on the 1st: open that day
    (date(2024, 3, 31), date(2000, 4, 1), [(4, "ORG_CODE", "closed_organisation")]),
    (None, date(2024, 4, 30), []),                                              # opened on the month's last day
    (None, date(2024, 5, 1), [(4, "ORG_CODE", "not_yet_open")]),
])
def test_a_trust_reports_for_a_month_it_was_open_in_the_parser_alone_judges_it(close_date, opened, quarantined):
    """The parser quarantines a trust ODS had closed before the month or opened after it; the suite (which once
    refused a trust closed on the 1st, while the parser kept it) checks only the release's dates and volume, and
    accepts whatever the parser kept."""
    from tests.quality.corpus import good

    ods = trusts(("RA9", date(2000, 4, 1), None), ("RBA", opened, close_date))
    context = SuiteContext(published_on=date(2024, 8, 1))
    assert both("sickness-absence", good.sickness(), "sickness.csv", context, ods) == (quarantined, set())


def test_a_return_comes_from_a_trust_the_parser_alone_judges_it():
    from tests.quality.corpus import good
    from tests.quality.corpus.good import with_cell

    ods = trusts(("RA9", date(2000, 4, 1), None), ("RBA", date(1991, 4, 1), date(2024, 8, 1)))
    returns = good.finance_csv(with_cell(good.FINANCE_ROWS, 0, "Org Code", "ZZZ"))
    assert both("finance-monthly", returns, "finance_return_2024-08.csv", SuiteContext(date(2024, 9, 20)), ods) == \
        ([(2, "Org Code", "unknown_organisation")], set())   # RBA, closed on 1 August, made its August return


def test_a_month_after_the_publication_is_the_suites_and_after_the_day_of_the_check_the_parsers():
    from tests.quality.corpus import good

    april = good.sickness()  # April 2024
    assert both("sickness-absence", april, "s.csv", SuiteContext(date(2024, 4, 30)), as_at=date(2024, 4, 30)) == \
        ([], set())                                          # published on the month's last day, checked that day
    assert both("sickness-absence", april, "s.csv", SuiteContext(date(2024, 4, 29))) == \
        ([], {("expect_column_values_to_be_between", "days_before_publication", "critical")})
    assert both("sickness-absence", april, "s.csv", SuiteContext(date(2024, 4, 29)), as_at=date(2024, 4, 29)) == \
        ([(row, "DATE", "future_date") for row in range(2, 6)],            # checked before it ended: none can exist,
         {("expect_table_row_count_to_be_between", "(table)", "critical")})  # and a release with no rows is refused


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
