"""check-feed tac and finance-monthly: simulated files pass; layouts named; bad input explained."""
import csv
import io
from datetime import date

import pytest
from openpyxl import Workbook

from orchestration.feeds.finance.monthly import parse_finance_monthly
from orchestration.feeds.finance.tac import parse_tac
from simulator import finance
from simulator.england import build_england

AS_AT = date(2026, 12, 1)  # the day the files are checked as at (no parser reads the clock)


@pytest.fixture(scope="module")
def world():
    return build_england("small", 3)


@pytest.mark.parametrize("year, layout", [("2018-19", "tac-all-data-2014"), ("2023-24", "tac-all-data-2019")])
def test_a_simulated_tac_year_passes_with_its_layout_named(world, tmp_path, year, layout):
    path = tmp_path / f"TAC_NHS_trusts_{year}.xlsx"
    finance.write_tac_year(world, year, path)
    result = parse_tac(path.read_bytes(), path.name, as_at=AS_AT)
    report = result.report()
    assert report["accepted"] and report["layout"] == layout and report["rows"] == report["rows_valid"] > 0
    assert result.notes["financial_year"] == year
    # lines outside the mapping are reported, and the markers counted (NULL with a reason, never 0)
    assert "SOFP0100" in result.notes["subcodes_not_in_mapping"]
    dashes = [r for r in result.valid.to_pylist() if r["value_missing_reason"]]
    assert all(r["value_gbp_thousands"] is None for r in dashes)


def _workbook(tmp_path, sheet="All data", header=None, rows=()):
    book = Workbook()
    book.active.title = "Notes"
    book.active.append(["Financial year: 2023-24"])
    data = book.create_sheet(sheet)
    data.append(header or ["WorkSheetName", "TableID", "MainCode", "RowNumber", "SubCode", "Organisation code",
                           "Organisation name", "Value number"])
    for row in rows:
        data.append(row)
    path = tmp_path / "tac.xlsx"
    book.save(path)
    return path.read_bytes()


def test_tac_bad_values_are_quarantined_and_bad_workbooks_refused(tmp_path):
    good = ["SoCI", "1", "SCI0100", 1, "SCI0100A", "RA9", "A TRUST", 1234.0]
    content = _workbook(tmp_path, rows=[good, [*good[:4], "SCI0110A", "RA9", "A TRUST", "lots"]])
    result = parse_tac(content, "tac.xlsx", as_at=AS_AT)
    assert (result.rows, result.rows_valid, result.rows_quarantined) == (2, 1, 1)
    assert (result.errors[0].row, result.errors[0].column) == (3, "Value number")
    renamed = parse_tac(_workbook(tmp_path, sheet="Data"), "tac.xlsx", as_at=AS_AT)
    assert not renamed.accepted and "no sheet named 'All data'" in renamed.file_errors[0].message
    unknown = parse_tac(_workbook(tmp_path, header=["Org", "Code", "Amount"]), "tac.xlsx", as_at=AS_AT)
    assert not unknown.accepted and "unknown layout" in unknown.file_errors[0].message
    assert not parse_tac(b"<html>Not found</html>", "tac.xlsx", as_at=AS_AT).accepted


def test_a_simulated_monthly_return_passes_and_carries_the_five_metrics_inputs(world, tmp_path):
    path = tmp_path / "finance_return_2026-08.csv"
    finance.write_finance_month(world, date(2026, 8, 31), path)
    result = parse_finance_monthly(path.read_bytes(), path.name, as_at=AS_AT)
    assert result.accepted and result.notes["access"] == "restricted"
    row = result.valid.to_pylist()[0]
    for needed in ("ytd_actual_surplus", "ytd_plan_surplus", "ytd_operating_income", "ytd_agency_spend",
                   "ytd_agency_ceiling", "liquidity_days", "revenue_available_for_capital_service", "capital_service"):
        assert needed in row


def test_a_monthly_return_with_bad_rows_is_refused_naming_them(world):
    rows = finance.finance_month_rows(world, date(2026, 8, 31))
    rows[1][9] = "-5"            # a negative agency ceiling
    rows[2][4] = "15/08/2026"    # not a month end
    rows.append(list(rows[0]))   # a second return for the same trust
    buffer = io.StringIO()
    csv.writer(buffer).writerows([finance.MONTHLY_COLUMNS, *rows])
    result = parse_finance_monthly(buffer.getvalue().encode(), "r.csv", as_at=AS_AT)
    assert not result.accepted and result.rows == result.rows_valid + result.rows_quarantined
    assert {(i.row, i.column) for i in result.errors} == {   # both returns of the trust held back
        (3, "YTD Agency Ceiling (£000)"), (4, "Period End"), (2, "Org Code"), (len(rows) + 1, "Org Code")}
