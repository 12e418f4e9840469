"""CQC API location documents as real ones are (FEEDS.md §2a): non-ratings without a report date, two historic
reports on one date, a historic overall without a rating — each accepted with known counts by the parser and by the
cqc_api_locations suite, through `oversight check-feed --expectations` and through the pipeline (the API pull's
ingestion asset, then dbt's staging). Where the parser and the suite share a boundary, one test runs both."""
import copy
import json
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pytest

from expectations.registry import FEED_SUITES, SuiteContext, validate
from orchestration.feeds import pipeline
from orchestration.feeds.assets import AS_AT_TAG, series_asset
from orchestration.feeds.cqc import API_LOCATIONS as CQC_API_FEED
from orchestration.settings import Settings
from tests.feeds.support import check_feed_in_process as check_feed

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
SUITE = FEED_SUITES["cqc-api-location"]
PULL = date(2021, 6, 1)  # the real documents were pulled in 2021
NOT_PUBLISHED = "No published rating"
AS_AT = date(2026, 12, 1)  # the day the documents are checked as at, unless a test says (no parser reads the clock)


def parse(document: dict, name: str = "doc.json", as_at: date = AS_AT):
    return CQC_API_FEED.parse(json.dumps(document).encode(), name, as_at=as_at)


def both(document: dict, pull: date = PULL, as_at: date = AS_AT) -> tuple[list[tuple], set[tuple]]:
    """What the parser quarantines (row, JSON path, rule) on the day of the check (`as_at`) and what the suite then
    fails on the rows it kept: the pipeline's verdict on one document, parser and suite together."""
    parsed = parse(document, as_at=as_at)
    validation = validate(parsed.valid, SUITE, SuiteContext(published_on=pull))
    return ([(q["row"], q["column"], q["rule"]) for q in parsed.quarantined],
            {(f["column"], f["severity"]) for f in validation.failed})


@pytest.fixture(scope="module")
def real_documents(realdata) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted((realdata / "cqc/locations").glob("*.json"))}


def without_historic_overall_rating(document: dict) -> dict:
    """RH868 as a report that rated its key questions only would leave it: the historic overall holds
    keyQuestionRatings but no rating."""
    document = copy.deepcopy(document)
    [report] = document["historicRatings"]
    report["overall"].pop("rating")
    report["overall"]["keyQuestionRatings"] = [{"name": "Safe", "rating": "Requires improvement"},
                                               {"name": "Well-led", "rating": "Good"}]
    return document


# --- every real document, parser and suite ---------------------------------------------------------------------------

def test_every_real_document_is_accepted_by_the_parser_and_its_suite(real_documents):
    assert len(real_documents) == 17
    tables = []
    for name, document in real_documents.items():
        parsed = parse(document, f"{name}.json")
        assert parsed.accepted and parsed.rows == parsed.rows_valid > 0 and parsed.rows_quarantined == 0, name
        validation = validate(parsed.valid, SUITE, SuiteContext(published_on=PULL))
        assert validation.failed == [], (name, validation.summary())
        tables.append(parsed.valid)
    pull = pa.concat_tables(tables)  # one pull, as the pipeline validates it
    assert validate(pull, SUITE, SuiteContext(published_on=PULL)).failed == []
    rows = pull.to_pylist()
    undated = [r for r in rows if r["report_date"] is None]
    assert len(undated) == 54 and {r["rating"] for r in undated} == {NOT_PUBLISHED}  # 9 unrated sites × 6
    assert not any(r["is_rating"] for r in undated)
    assert sum(r["is_rating"] for r in rows) == sum(r["rating"] in ("Outstanding", "Good", "Requires improvement",
                                                                    "Inadequate") for r in rows) > 100


# --- the three quirks, each through check-feed with the suite --------------------------------------------------------

@pytest.fixture(scope="module")
def checked(tmp_path_factory, realdata, real_documents) -> dict:
    """`check-feed cqc-api-location --expectations` on a document with each quirk, as the command runs it (in this process: the same code, without a start-up per file)."""
    edited = tmp_path_factory.mktemp("cqc") / "RH868.json"
    edited.write_text(json.dumps(without_historic_overall_rating(real_documents["RH868"])))
    paths = {"undated non-ratings": realdata / "cqc/locations/5QQ03.json",
             "two reports one date": realdata / "cqc/locations/RBA11.json", "overall without rating": edited}

    def run(quirk):
        return quirk, check_feed("cqc-api-location", paths[quirk], "--expectations", "--published-on",
                                 PULL.isoformat())

    return dict(map(run, paths))


@pytest.mark.parametrize("quirk, rows, notes", [
    ("undated non-ratings", 6, {"non_ratings_without_a_report_date": 6}),
    ("two reports one date", 79, {"historic_reports": 4, "historic_reports_sharing_a_date": 2}),
    ("overall without rating", 21, {"overall_without_a_rating": 1}),      # 24 ratings, 3 fewer key questions
])
def test_check_feed_accepts_each_quirk_with_its_suite(checked, quirk, rows, notes):
    code, report, _ = checked[quirk]
    assert code == 0 and report["accepted"] and report["layout"] == "cqc-api-location-v1"
    assert (report["rows"], report["rows_valid"], report["rows_quarantined"]) == (rows, rows, 0)
    assert {key: report["notes"][key] for key in notes} == notes
    assert report["expectations"]["suite"] == "cqc_api_locations" and report["expectations"]["failed"] == []


# --- the boundaries parser and suite share: one test each, running both ---------------------------------------------

def test_a_report_date_is_required_of_a_rating_and_not_of_a_non_rating(real_documents):
    unrated = real_documents["RBZ93"]
    assert both(unrated) == ([], set())                       # No published rating, no date: kept, not refused
    rated_undated = copy.deepcopy(unrated)
    rated_undated["currentRatings"]["overall"]["keyQuestionRatings"][0]["rating"] = "Good"  # Safe: rated, no date
    assert both(rated_undated) == ([(2, "currentRatings.overall.keyQuestionRatings[0]", "empty_key")], set())


def test_reports_are_told_apart_by_their_link_not_their_date(real_documents):
    document = real_documents["RBA11"]
    parsed = parse(document)
    same_day = [r for r in parsed.valid.to_pylist() if r["source"] == "historic" and r["domain"] == "Overall"
                and r["service"] == "Overall" and r["report_date"] == date(2013, 11, 21)]
    assert sorted(r["report_link_id"] for r in same_day) == ["66ff1e61-d545-4d8d-9a11-2bac9db4c9fc",
                                                             "c726752e-9b20-4e3c-a551-b57b0f848bce"]
    assert both(document) == ([], set())                      # the suite judges each report's own key questions
    one_report = copy.deepcopy(document)                      # the same two overalls as one report: a duplicate
    one_report["historicRatings"][3]["reportLinkId"] = one_report["historicRatings"][2]["reportLinkId"]
    assert both(one_report)[0] == sorted((r["_source_row"], r["_json_path"], "duplicate_key") for r in same_day)


def test_only_a_historic_overall_with_key_questions_may_lack_its_rating(real_documents):
    document = without_historic_overall_rating(real_documents["RH868"])
    assert both(document) == ([], set())
    parsed = parse(document).valid.to_pylist()
    [overall] = [r for r in parsed if r["source"] == "historic" and r["domain"] == "Overall"]
    assert (overall["rating"], overall["is_rating"], overall["report_date"]) == (None, False, date(2016, 2, 9))
    assert [r["rating"] for r in parsed if r["source"] == "historic" and r["domain"] != "Overall"] == \
        ["Requires improvement", "Good"]
    no_key_questions = copy.deepcopy(document)
    no_key_questions["historicRatings"][0]["overall"].pop("keyQuestionRatings")
    current_unrated = copy.deepcopy(real_documents["RH868"])
    current_unrated["currentRatings"]["overall"].pop("rating")
    assert both(no_key_questions) == ([(19, "historicRatings[0].overall", "empty_value")], set())
    assert both(current_unrated) == ([(1, "currentRatings.overall", "empty_value")], set())


def test_a_report_after_the_pull_is_the_suites_and_after_the_day_of_the_check_the_parsers(real_documents):
    document = copy.deepcopy(real_documents["RH854"])
    reported = date.fromisoformat(document["currentRatings"]["overall"]["reportDate"])  # 30 April 2019
    assert both(document, pull=reported, as_at=reported) == ([], set())   # published on the day of the pull: fine
    assert both(document, pull=reported - timedelta(days=1)) == ([], {("days_before_pull", "critical")})
    checked_before, _ = both(document, pull=reported, as_at=reported - timedelta(days=1))  # every rating: that day's
    assert [(row, rule) for row, _, rule in checked_before] == [(n, "future_date") for n in range(1, 13)]


# --- the pipeline: the API pull's ingestion asset, then dbt's staging --------------------------------------------

def test_the_pull_of_the_real_documents_is_stored_keyed_by_report_and_staged(tmp_path, monkeypatch, real_documents,
                                                                             realdata):
    mirror = tmp_path / "mirror" / "locations"
    mirror.mkdir(parents=True)
    for name in real_documents:
        shutil.copy(realdata / f"cqc/locations/{name}.json", mirror / f"{name}.json")
    (mirror / "RH868.json").write_text(json.dumps(without_historic_overall_rating(real_documents["RH868"])))
    monkeypatch.setenv("OVERSIGHT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OVERSIGHT_CQC_API_URL", mirror.parent.as_uri())
    key = PULL.isoformat()
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(CQC_API_FEED.partitions_name, [key])
        result = dg.materialize([series_asset(CQC_API_FEED)], instance=instance, partition_key=key,
                                tags={AS_AT_TAG: key})
    assert result.success
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == "gx_cqc_api_locations" and check.passed
    [stored] = result.asset_materializations_for_node("cqc__api_locations")
    expected_rows = sum(parse(json.loads((mirror / f"{name}.json").read_text())).rows for name in real_documents)
    assert (stored.metadata["rows"].value, stored.metadata["rows_quarantined"].value) == (expected_rows, 0)
    settings = Settings.from_env()
    table = pipeline.release_store(settings, CQC_API_FEED).known_as_of(date(2100, 1, 1))
    assert table.num_rows == expected_rows == 257  # nothing lost to a key: both 2013-11-21 reports of RBA11 kept

    env = dict(os.environ, OVERSIGHT_HOME=str(settings.home), DBT_SEND_ANONYMOUS_USAGE_STATS="False")
    build = subprocess.run([str(Path(sys.executable).parent / "dbt"), "build", "--project-dir", str(DBT_PROJECT),
                            "--profiles-dir", str(DBT_PROJECT), "--select", "stg_cqc__api_ratings",
                            "--vars", f'{{"as_at": "{key}"}}'],
                           capture_output=True, text=True, env=env, cwd=DBT_PROJECT, timeout=600)
    assert build.returncode == 0, build.stdout[-3000:]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as warehouse:
        counts = warehouse.execute(
            "select count(*), count(*) - count(report_date), count(*) - count(rating), "
            "count(distinct report_link_id) filter (where location_id = 'RBA11' and report_date = date '2013-11-21' "
            "and rating_source = 'historic') from staging.stg_cqc__api_ratings").fetchone()
    assert counts == (257, 54, 1, 2)
