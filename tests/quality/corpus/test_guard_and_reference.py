"""The guard every parser is called through (no traceback, every row accounted for), and the ODS trusts reference:
`check-feed --ods-trusts` and ingestion checking organisation codes against the trusts already ingested."""
import json
import subprocess
import sys
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import dataclasses

from orchestration import cli
from orchestration.feeds import catalog, finance, ods, pipeline
from orchestration.feeds.guard import guarded
from orchestration.feeds.reference import OdsTrusts
from orchestration.feeds.report import ParseResult
from orchestration.settings import Settings
from tests.quality.corpus import good
from tests.quality.corpus.good import with_cell


def _explode(content: bytes, file: str) -> ParseResult:
    raise KeyError("a column the parser did not expect to miss")


def test_an_unexpected_parser_error_becomes_one_whole_file_error_naming_the_file():
    result = guarded("tac", _explode, "a TAC workbook", None)(b"some bytes", "/feeds/TAC_NHS_trusts_2023-24.xlsx")
    [error] = result.file_errors
    assert error.rule == "parser_error" and "KeyError" in error.message
    assert "TAC_NHS_trusts_2023-24.xlsx" in error.message
    assert not result.accepted and result.rows == 0 == result.rows_valid + result.rows_quarantined


def test_a_parser_that_loses_rows_has_its_file_refused():
    def lossy(content: bytes, file: str) -> ParseResult:
        return ParseResult(file=file, kind="tac", layout="tac-all-data-2019", valid=pa.table({"a": [1]}), rows=3)

    result = guarded("tac", lossy, "a TAC workbook", None)(b"some bytes", "t.xlsx")
    assert not result.accepted and result.file_errors[0].rule == "parser_error"
    assert result.rows == 1 == result.rows_valid + result.rows_quarantined  # the report can still be made


def test_a_parser_whose_columns_are_not_its_declared_ones_has_its_file_refused():
    """The declaration is the contract dbt and an empty series rely on: a parser drifting from it is a bug."""
    def drifted(content: bytes, file: str) -> ParseResult:
        return ParseResult(file=file, kind="tac", layout="tac-all-data-2019", valid=pa.table({"a": ["x"]}), rows=1)

    declared = pa.schema([("a", pa.int64())])
    result = guarded("tac", drifted, "a TAC workbook", declared)(b"some bytes", "t.xlsx")
    [error] = result.file_errors
    assert error.rule == "parser_error" and "a: string" in error.message and "a: int64" in error.message


DATED_KINDS = ["cqc-ratings-sheet", "cqc-api-location", "finance-monthly", "tac", "sickness-absence",
               "workforce-staff-group"]


@pytest.mark.parametrize("kind", DATED_KINDS)
def test_a_parser_with_rules_about_future_dates_must_be_given_the_day_of_the_check(kind):
    """No parser reads the clock: without `as_at` the call itself is refused (a caller's mistake, raised), not the
    file, and with it the same bytes give the same verdict whatever the day the machine thinks it is."""
    parse = catalog.FEEDS[kind].parse
    with pytest.raises(TypeError, match="as_at"):
        parse(b"Date,Org\n2026-01-31,RA1\n", "x.csv")
    import inspect
    assert inspect.signature(parse.__wrapped__).parameters["as_at"].default is inspect.Parameter.empty
    assert parse(b"Date,Org\n2026-01-31,RA1\n", "x.csv", as_at=date(2026, 12, 1)).file_errors  # judged, not raised


def test_check_feed_reports_a_parser_crash_as_json_and_exit_1(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(catalog.FEEDS, "tac", dataclasses.replace(finance.TAC, parse=_explode))
    path = tmp_path / "TAC_NHS_trusts_2023-24.xlsx"
    path.write_bytes(good.tac_xlsx())
    code = cli.main(["check-feed", "tac", str(path)])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["accepted"] is False
    assert [e["rule"] for e in report["errors"]] == ["parser_error"] and report["errors"][0]["scope"] == "file"


def _check_feed(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orchestration.cli", "check-feed", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_ods_trusts_is_a_usage_error_where_it_does_not_apply_or_is_not_an_etr(tmp_path):
    etr, icbs, finance = tmp_path / "etr.csv", tmp_path / "icbs.csv", tmp_path / "finance.csv"
    etr.write_bytes(good.etr())
    icbs.write_bytes(good.icb_names())
    finance.write_bytes(good.finance_csv())
    proc = _check_feed("icb-names", icbs, "--ods-trusts", etr)
    assert proc.returncode == 2 and "--ods-trusts applies to" in proc.stderr and "finance-monthly" in proc.stderr
    proc = _check_feed("finance-monthly", finance, "--ods-trusts", icbs)
    assert proc.returncode == 2 and "not a usable ODS trusts file" in proc.stderr and "Traceback" not in proc.stderr
    proc = _check_feed("finance-monthly", finance, "--ods-trusts", etr)
    report = json.loads(proc.stdout)
    assert proc.returncode == 0 and report["notes"]["organisations_checked_against"] == "etr.csv"


@pytest.mark.parametrize("month", ["04", "05", "06"])
def test_real_sickness_files_pass_against_the_real_ods_trusts(realdata, month):
    """Five trusts in these files closed later in 2024: their rows are for months they were open, so none is held."""
    proc = _check_feed("sickness-absence", realdata / f"workforce/nhs_sickness_absence_2024-{month}.csv",
                       "--ods-trusts", realdata / "ods/etr.csv")
    report = json.loads(proc.stdout)
    assert proc.returncode == 0 and report["rows"] == report["rows_valid"] == 285
    assert report["notes"]["organisations_checked_against"] == "etr.csv"


def test_ingestion_checks_organisations_against_the_ods_trusts_already_ingested(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror" / "finance" / "monthly"
    mirror.mkdir(parents=True)
    (mirror / "finance_return_2024-08.csv").write_bytes(
        good.finance_csv(with_cell(good.FINANCE_ROWS, 1, "Org Code", "RX1")))  # a trust closed in 2020
    (mirror / "releases.json").write_text(json.dumps({"kind": "finance-monthly", "releases": [
        {"release": "2024-08", "file": "finance_return_2024-08.csv", "published": "2024-09-20"}]}))
    monkeypatch.delenv("OVERSIGHT_FINANCE_MONTHLY_INDEX_URL", raising=False)
    spec, as_at = finance.MONTHLY_RETURNS, date(2024, 12, 1)

    # before the ODS trusts are ingested there is nothing to check codes against: the return is stored
    before = Settings(home=tmp_path / "before", feeds_url=(tmp_path / "mirror").as_uri())
    assert pipeline.stored_references(before).ods_trusts is None
    stored = pipeline.ingest_release(spec, "2024-08", pipeline.Run(before, as_at), pipeline.stored_references(before))
    assert stored.status == "stored" and stored.rows_valid == 2

    after = Settings(home=tmp_path / "after", feeds_url=(tmp_path / "mirror").as_uri())
    trusts = ods.TRUSTS.parse(good.etr(), "etr.csv")
    pipeline.write_parquet_atomic(trusts.valid, pipeline.current_path(after, ods.TRUSTS))
    reference = pipeline.stored_references(after)
    closed = {code: shut for code, (_, shut) in OdsTrusts.from_table(reference.ods_trusts, "etr").dates.items() if shut}
    assert closed == {"RX1": date(2020, 3, 31)}
    refused = pipeline.ingest_release(spec, "2024-08", pipeline.Run(after, as_at), reference)
    assert refused.status == "rejected" and not pipeline.release_store(after, spec).state()
    assert "row 3 column Org Code: trust RX1 closed on 2020-03-31" in refused.reason
    [quarantine] = (after.quarantine_dir / "finance" / "monthly_returns").rglob("*.parquet")
    [row] = pq.read_table(quarantine).to_pylist()
    assert (row["source_row"], row["column"], row["rule"], row["value"]) == \
        (3, "Org Code", "closed_organisation", "RX1")
