"""Issue 5, "nothing lost": every bad input of the corpus (cases.py) gets one clear whole-file error or a quarantine
with its rule — never a traceback — and rows = rows_valid + rows_quarantined, through the parsers as ingestion calls
them and through `oversight check-feed` as a data engineer runs it."""
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from orchestration.feeds.reference import OdsTrusts
from orchestration.feeds.catalog import FEEDS
from tests.quality.corpus import good
from tests.quality.corpus.cases import CASES, GOOD_FILES

AS_AT = date(2026, 12, 1)  # the day the files are checked as at (no parser reads the clock)
QUARANTINE_COLUMNS = ["file", "source_row", "column", "rule", "value", "reason", "record"]
REPORT_KEYS = {"file", "kind", "layout", "accepted", "rows", "rows_valid", "rows_quarantined", "errors", "warnings",
               "notes"}
# what issue 5 lists, as the rules that must come out of the corpus
RULES_THE_ISSUE_NAMES = {
    "unknown_layout", "not_a_number", "not_utf8", "duplicate_key", "unknown_organisation", "closed_organisation",
    "future_date", "negative_value", "out_of_range", "rate_mismatch", "lost_exceeds_available",
    "missing_marker_in_key", "empty_file", "header_only", "truncated_file", "truncated_record", "wrong_zip_member",
    "html_page", "missing_sheet"}


@pytest.fixture(scope="module")
def reference() -> OdsTrusts:
    trusts = FEEDS["ods-trusts"].parse(good.etr(), "etr.csv")
    assert trusts.accepted
    return OdsTrusts.from_table(trusts.valid, "etr.csv")


def _parse(case, reference):
    return FEEDS[case.kind].parse(case.build(), case.file_name, reference=reference if case.reference else None,
                                  as_at=AS_AT)


def test_the_corpus_covers_every_kind_and_what_the_issue_lists():
    assert len(CASES) >= 30
    assert {c.kind for c in CASES} == set(FEEDS)
    covered = {c.refused[0] for c in CASES if c.refused} | {q[2] for c in CASES for q in c.quarantined}
    assert RULES_THE_ISSUE_NAMES <= covered, RULES_THE_ISSUE_NAMES - covered


@pytest.mark.parametrize("kind, file_name, build", GOOD_FILES, ids=[f"{k}:{n}" for k, n, _ in GOOD_FILES])
def test_the_good_files_the_cases_start_from_pass(kind, file_name, build, reference):
    result = FEEDS[kind].parse(build(), file_name, reference=reference, as_at=AS_AT)
    assert result.accepted and result.errors == [], [e.describe(result.file) for e in result.errors]
    assert result.rows == result.rows_valid > 0 and result.rows_quarantined == 0


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_each_case_is_refused_or_quarantined_with_its_rule(case, reference):
    result = _parse(case, reference)
    assert result.rows == result.rows_valid + result.rows_quarantined
    assert result.accepted is case.accepted
    if case.refused:  # one clear message
        rule, phrase = case.refused
        [error] = result.file_errors
        assert error.rule == rule and phrase in error.message, error.message
        assert error.describe(result.file).startswith(result.file)
    else:
        assert result.file_errors == []
    assert [(q["row"], q["column"], q["rule"]) for q in result.quarantined] == list(case.quarantined)
    # every error has a rule; every row error belongs to a quarantined row, and its reason lists it
    assert all(e.rule for e in result.issues if e.severity == "error")
    reasons = {q["row"]: q["reason"] for q in result.quarantined}
    for error in result.errors:
        if not error.whole_file:
            assert error.message in reasons[error.row]
    table = result.quarantine_table()
    assert table.column_names == QUARANTINE_COLUMNS
    for record in table.to_pylist():
        assert record["file"] and record["rule"] and record["reason"] and record["record"] is not None


def test_markers_in_number_columns_become_null_with_a_reason_never_zero(reference):
    case = next(c for c in CASES if c.name == "sickness_markers_in_number_columns_are_null")
    rows = {r["org_code"]: r for r in _parse(case, reference).valid.to_pylist()}
    assert rows["0AR"]["fte_days_lost"] is None and rows["0AR"]["fte_days_lost_missing_reason"] == \
        "suppressed (small numbers)"
    assert rows["QJK"]["fte_days_available"] is None and rows["QJK"]["fte_days_available_missing_reason"] == \
        "not available"


def test_a_quarantined_row_keeps_its_raw_record_and_the_value_that_broke_the_rule(reference):
    case = next(c for c in CASES if c.name == "sickness_rate_not_lost_over_available")
    [record] = _parse(case, reference).quarantine_table().to_pylist()
    assert record["file"] == "sickness.csv" and record["source_row"] == 4 and record["value"] == "5.5"
    assert record["record"].startswith("30/04/2024,Y58,South West,QJK,NHS Devon,RBA,")
    assert "is not 100 × 1000.0 / 20000.0" in record["reason"]


@pytest.fixture(scope="module")
def check_feed_runs(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("corpus")
    etr = folder / "etr.csv"
    etr.write_bytes(good.etr())

    def run(case):
        path = folder / case.name / case.file_name
        path.parent.mkdir()
        path.write_bytes(case.build())
        command = [sys.executable, "-m", "orchestration.cli", "check-feed", case.kind, str(path)]
        command += ["--ods-trusts", str(etr)] if case.reference else []
        return case.name, subprocess.run(command, capture_output=True, text=True, timeout=120)

    with ThreadPoolExecutor(max_workers=2) as pool:  # a process each: two at a time keeps the suite quick
        return dict(pool.map(run, CASES))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_check_feed_reports_each_case_as_json_never_a_traceback(case, check_feed_runs):
    proc = check_feed_runs[case.name]
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == (0 if case.accepted else 1), proc.stderr
    report = json.loads(proc.stdout)
    assert REPORT_KEYS <= set(report)
    assert report["rows"] == report["rows_valid"] + report["rows_quarantined"]
    assert report["accepted"] is case.accepted and report["rows_quarantined"] == len(case.quarantined)
    file_errors = [e for e in report["errors"] if e["scope"] == "file"]
    if case.refused:
        [error] = file_errors
        assert error["rule"] == case.refused[0] and case.refused[1] in error["message"]
    else:
        assert file_errors == []
    # rows quarantined for a row's own fault are reported by row, column and rule (not those of a refused layout)
    row_errors = {(e["row"], e["column"], e["rule"]) for e in report["errors"] if e["scope"] == "row"}
    expected = {q for q in case.quarantined if not case.refused or q[2] != case.refused[0]}
    assert expected <= row_errors
