"""The corpus of bad inputs (issue 5): each case mutates a small good file (good.py) and says what must come of it.

A case is either refused whole — `refused=(rule, phrase)`: exactly one whole-file error with that rule, its message
holding the phrase — or read with some rows quarantined — `quarantined=((row, column, rule), …)`: exactly those
rows, each under its first problem's column and rule — or both (a truncated file, an unknown layout: its rows are
quarantined and the file refused). `accepted` is what `check-feed` must decide (exit 0 or 1). `reference=True`
checks organisation codes against the ODS trusts of `good.etr()` (RA9, RBA open; RX1 closed in March 2020).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from tests.quality.corpus import good
from tests.quality.corpus.good import with_cell


@dataclass(frozen=True)
class Case:
    name: str
    kind: str
    file_name: str
    build: Callable[[], bytes]
    refused: tuple[str, str] | None = None
    quarantined: tuple[tuple[int, str | None, str], ...] = ()
    accepted: bool = False
    reference: bool = False


def _cut(content: bytes, drop: int) -> bytes:
    """The file as a transfer cut short would leave it: its last `drop` bytes missing."""
    return content[:-drop]


def _sickness(**cells) -> bytes:
    """The good sickness file with cells changed: `RBA__DATE="…"` changes RBA's DATE."""
    rows = good.SICKNESS_ROWS
    codes = [r[5] for r in rows[1:]]
    for key, value in cells.items():
        code, column = key.split("__")
        rows = with_cell(rows, codes.index(code), column, value)
    return good.sickness(rows)


def _many_sickness_rows_one_bad() -> bytes:
    """150 organisations, one with a rate that does not match its days: within the feed's 1% tolerance."""
    rows = [good.SICKNESS_HEADER]
    for i in range(150):
        rate = "9.99" if i == 50 else f"{(100 + i) / 100:.2f}"
        rows.append(["30/04/2024", *good.SOUTH_WEST, f"N{i:03d}", f"Provider {i}", "Others", str(100 + i), "10000",
                     rate])
    return good.sickness(rows)


def _staff(**cells) -> bytes:
    """The good staff group zip with cells changed: `row4__Org_Code="…"` changes Org Code in the file's row 4."""
    rows = good.STAFF_GROUP_ROWS
    for key, value in cells.items():
        row, column = key.split("__")
        rows = with_cell(rows, int(row.removeprefix("row")) - 2, column.replace("_", " "), value)
    return good.staff_group_zip(rows)


def _etr_with(*extra: list[str]) -> bytes:
    return good.etr([*good.ETR_ROWS, *extra])


HTML_404 = (b"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Page not found | NHS England "
            b"Digital</title></head>\n<body><h1>Sorry, we cannot find that page</h1></body></html>\n")
HTML_503 = b"<html><head><title>503 Service Unavailable</title></head><body>Try again later.</body></html>"
ST_HELENS = "St Helen\u2019s and Knowsley Teaching Hospitals NHS Trust"  # a right single quote: 0x92 in Windows-1252

CASES = [
    # --- ods-trusts: headerless etr.csv ----------------------------------------------------------------------------
    Case("etr_latin1_name", "ods-trusts", "etr.csv",
         lambda: _etr_with(good.etr_row("RWY", ST_HELENS.upper(), "Y62", "QYG", "20020401")).decode()
         .encode("cp1252"),
         refused=("not_utf8", "byte 0x92 at offset"), quarantined=()),
    Case("etr_utf8_bom", "ods-trusts", "etr.csv", lambda: b"\xef\xbb\xbf" + good.etr(), accepted=True),
    Case("etr_duplicate_code", "ods-trusts", "etr.csv",
         lambda: _etr_with(good.etr_row("RA9", "ANOTHER NHS TRUST", "Y58", "QJK", "20100401")),
         quarantined=((1, "1 (organisation_code)", "duplicate_key"), (4, "1 (organisation_code)", "duplicate_key"))),
    Case("etr_zip_holding_the_wrong_file", "ods-trusts", "etr.zip", lambda: good.zip_bytes({"succ.csv": good.succ()}),
         refused=("wrong_zip_member", "the zip holds ['succ.csv'], not etr.csv")),
    Case("etr_truncated_last_line", "ods-trusts", "etr.csv", lambda: _cut(good.etr(), 60),
         refused=("truncated_file", "looks truncated"), quarantined=((3, None, "truncated_record"),)),
    Case("etr_extra_column", "ods-trusts", "etr.csv", lambda: good.etr([[*r, ""] for r in good.ETR_ROWS]),
         refused=("unknown_layout", "expected 27 columns per row (ods-etr-27), most rows have 28"),
         quarantined=((1, None, "unknown_layout"), (2, None, "unknown_layout"), (3, None, "unknown_layout"))),
    Case("etr_empty_file", "ods-trusts", "etr.csv", lambda: b"", refused=("empty_file", "empty")),

    # --- ods-successors ---------------------------------------------------------------------------------------------
    Case("succ_marker_in_key", "ods-successors", "succ.csv",
         lambda: good.succ([["*", "RA9", "R", "20200401", "X"], *good.SUCC_ROWS[1:]]),
         quarantined=((1, "1 (old_code)", "missing_marker_in_key"),)),
    Case("succ_utf16", "ods-successors", "succ.csv", lambda: good.succ().decode().encode("utf-16"),
         refused=("not_utf8", "UTF-16")),
    Case("succ_current_layout_with_a_reason", "ods-successors", "succ.csv",
         lambda: good.succ_current([["RX1", "RA9", "R", "20200401", "0"], *good.SUCC_ROWS_CURRENT[1:]]),
         quarantined=((1, "3 (reason)", "unknown_category"),)),
    Case("succ_older_layout_with_an_indicator_of_the_current", "ods-successors", "succ.csv",
         lambda: good.succ([*good.SUCC_ROWS, ["RX3", "RA9", "R", "20200401", "1"]]),
         quarantined=((3, "5 (indicator)", "unknown_category"),)),
    Case("succ_indicator_of_neither_layout", "ods-successors", "succ.csv",
         lambda: good.succ_current([[*r[:4], "Y"] for r in good.SUCC_ROWS_CURRENT]),
         refused=("unknown_layout", "fit neither ods-succ-5-2019"),
         quarantined=tuple((row, None, "unknown_layout") for row in range(1, 6))),
    Case("succ_a_pair_repeated", "ods-successors", "succ.csv",
         lambda: good.succ_current([*good.SUCC_ROWS_CURRENT, good.SUCC_ROWS_CURRENT[2]]),
         quarantined=((3, "2 (new_code)", "duplicate_key"), (6, "2 (new_code)", "duplicate_key"))),

    # --- icb-names --------------------------------------------------------------------------------------------------
    Case("icb_header_only", "icb-names", "icb_names.csv", lambda: good.icb_names(good.ICB_ROWS[:1]),
         refused=("header_only", "a header and no data rows")),
    Case("icb_renamed_column", "icb-names", "icb_names.csv",
         lambda: good.icb_names([["ICB24CD", "ICB24CDH", "ICB24NAME", "ObjectId"], *good.ICB_ROWS[1:]]),
         refused=("unknown_layout", "missing ['ICB24NM'], unexpected ['ICB24NAME']"),
         quarantined=((2, None, "unknown_layout"), (3, None, "unknown_layout"))),
    Case("icb_duplicate_code", "icb-names", "icb_names.csv",
         lambda: good.icb_names([*good.ICB_ROWS, ["E54000039", "QJK", "NHS Other Integrated Care Board", "3"]]),
         quarantined=((2, "ICB24CDH", "duplicate_key"), (4, "ICB24CDH", "duplicate_key"))),
    Case("icb_duplicate_ons_code_and_name", "icb-names", "icb_names.csv",
         lambda: good.icb_names([*good.ICB_ROWS, ["E54000037", "QAB", "NHS Other Integrated Care Board", "3"],
                                 ["E54000040", "QCD", "NHS Other Integrated Care Board", "4"]]),
         quarantined=((2, "ICB24CD", "duplicate_key"), (4, "ICB24CD", "duplicate_key"),
                      (5, "ICB24NM", "duplicate_key"))),

    # --- sickness-absence: rows 2 0AR (a CSU), 3 RA9, 4 RBA, 5 QJK (an ICB) -----------------------------------------
    Case("sickness_renamed_column", "sickness-absence", "sickness.csv",
         lambda: good.sickness([[("ICB_CODE" if c == "ICS_CODE" else c) for c in good.SICKNESS_HEADER],
                                *good.SICKNESS_ROWS[1:]]),
         refused=("unknown_layout", "missing ['ICS_CODE'], unexpected ['ICB_CODE']"),
         quarantined=tuple((row, None, "unknown_layout") for row in range(2, 6))),
    Case("sickness_missing_column", "sickness-absence", "sickness.csv",
         lambda: good.sickness([r[:7] + r[8:] for r in good.SICKNESS_ROWS]),
         refused=("unknown_layout", "missing ['ORG_TYPE'], unexpected none"),
         quarantined=tuple((row, None, "unknown_layout") for row in range(2, 6))),
    Case("sickness_extra_column", "sickness-absence", "sickness.csv",
         lambda: good.sickness([[*good.SICKNESS_HEADER, "NOTES"]] + [[*r, ""] for r in good.SICKNESS_ROWS[1:]]),
         refused=("unknown_layout", "missing none, unexpected ['NOTES']"),
         quarantined=tuple((row, None, "unknown_layout") for row in range(2, 6))),
    Case("sickness_text_in_a_number", "sickness-absence", "sickness.csv", lambda: _sickness(RA9__FTE_DAYS_LOST="n/a"),
         quarantined=((3, "FTE_DAYS_LOST", "not_a_number"),)),
    Case("sickness_rate_not_lost_over_available", "sickness-absence", "sickness.csv",
         lambda: _sickness(RBA__SICKNESS_ABSENCE_RATE_PERCENT="5.50"),
         quarantined=((4, "SICKNESS_ABSENCE_RATE_PERCENT", "rate_mismatch"),)),
    Case("sickness_rate_out_of_range", "sickness-absence", "sickness.csv",
         lambda: _sickness(RBA__SICKNESS_ABSENCE_RATE_PERCENT="250"),
         quarantined=((4, "SICKNESS_ABSENCE_RATE_PERCENT", "out_of_range"),)),
    Case("sickness_lost_more_than_available", "sickness-absence", "sickness.csv",
         lambda: _sickness(RBA__FTE_DAYS_LOST="30000", RBA__SICKNESS_ABSENCE_RATE_PERCENT="-"),
         quarantined=((4, "FTE_DAYS_LOST", "lost_exceeds_available"),)),
    Case("sickness_future_month", "sickness-absence", "sickness.csv", lambda: _sickness(RBA__DATE="31/01/2099"),
         quarantined=((4, "DATE", "future_date"),)),
    Case("sickness_marker_in_date", "sickness-absence", "sickness.csv", lambda: _sickness(RA9__DATE="*"),
         quarantined=((3, "DATE", "missing_marker_in_key"),)),
    Case("sickness_marker_in_org_code", "sickness-absence", "sickness.csv", lambda: _sickness(QJK__ORG_CODE=".."),
         quarantined=((5, "ORG_CODE", "missing_marker_in_key"),)),
    Case("sickness_markers_in_number_columns_are_null", "sickness-absence", "sickness.csv",
         lambda: _sickness(**{"0AR__FTE_DAYS_LOST": "*", "0AR__SICKNESS_ABSENCE_RATE_PERCENT": "*",
                              "QJK__FTE_DAYS_AVAILABLE": ":", "QJK__SICKNESS_ABSENCE_RATE_PERCENT": ":"}),
         accepted=True),
    Case("sickness_duplicate_organisation", "sickness-absence", "sickness.csv",
         lambda: good.sickness([*good.SICKNESS_ROWS, good.SICKNESS_ROWS[2]]),
         quarantined=((3, "ORG_CODE", "duplicate_key"), (6, "ORG_CODE", "duplicate_key"))),
    Case("sickness_closed_trust", "sickness-absence", "sickness.csv", reference=True,
         build=lambda: good.sickness([
             *good.SICKNESS_ROWS,
             ["30/04/2024", *good.SOUTH_WEST, "RX1", "Closed Community NHS Trust", "Community", "100", "2000", "5.00"],
             # a company ODS does not list as a trust: fine in a feed that mixes organisation types
             ["30/04/2024", *good.SOUTH_WEST, "NQT", "Example Community Interest Company", "Community Provider Trust",
              "50", "1000", "5.00"]]),
         quarantined=((6, "ORG_CODE", "closed_organisation"),)),
    Case("sickness_truncated_last_line", "sickness-absence", "sickness.csv", lambda: _cut(good.sickness(), 11),
         refused=("truncated_file", "row 5"), quarantined=((5, None, "truncated_record"),)),
    Case("sickness_html_error_page_saved_as_csv", "sickness-absence", "nhs_sickness_absence_2024-04.csv",
         lambda: HTML_404, refused=("html_page", "'Page not found | NHS England Digital'")),
    Case("sickness_one_bad_row_in_150_is_quarantined_and_the_file_accepted", "sickness-absence", "sickness.csv",
         _many_sickness_rows_one_bad, quarantined=((52, "SICKNESS_ABSENCE_RATE_PERCENT", "rate_mismatch"),),
         accepted=True),

    # --- workforce-staff-group, in its zip: rows 2 RA9 FTE, 3 RA9 HC, 4 RBA FTE, 5 T1460 FTE -----------------------
    Case("staff_group_negative_fte_and_headcount", "workforce-staff-group", good.STAFF_GROUP_ZIP,
         lambda: _staff(row4__Total="-4321.25", row3__Total="-10"),
         quarantined=((3, "Total", "negative_value"), (4, "Total", "negative_value"))),
    Case("staff_group_zip_holding_the_wrong_file", "workforce-staff-group", good.STAFF_GROUP_ZIP,
         lambda: good.zip_bytes({"NHS Workforce Statistics, March 2024 Organisation.csv": good.staff_group_csv()}),
         refused=("wrong_zip_member", "March 2024 Organisation.csv")),
    Case("staff_group_truncated_zip", "workforce-staff-group", good.STAFF_GROUP_ZIP,
         lambda: good.staff_group_zip()[:200], refused=("truncated_file", "truncated or damaged")),
    Case("staff_group_markers_in_keys", "workforce-staff-group", good.STAFF_GROUP_ZIP,
         lambda: _staff(row2__Org_Code="*", row4__Date=":"),
         quarantined=((2, "Org Code", "missing_marker_in_key"), (4, "Date", "missing_marker_in_key"))),
    Case("staff_group_duplicate_key", "workforce-staff-group", good.STAFF_GROUP_ZIP,
         lambda: good.staff_group_zip([*good.STAFF_GROUP_ROWS, with_cell(good.STAFF_GROUP_ROWS, 2, "Total", "1")[3]]),
         quarantined=((4, "Org Code", "duplicate_key"), (6, "Org Code", "duplicate_key"))),
    Case("staff_group_closed_trust", "workforce-staff-group", good.STAFF_GROUP_ZIP, reference=True,
         build=lambda: good.staff_group_zip([
             *good.STAFF_GROUP_ROWS,
             ["2024-03-31", *good._ORG, "RX1", "Closed Community NHS Trust", "Community", "Community", "01", "Total",
              "FTE", "55"],
             # the same trust before it closed: history, and fine
             ["2019-12-31", *good._ORG, "RX1", "Closed Community NHS Trust", "Community", "Community", "01", "Total",
              "FTE", "650"]]),
         quarantined=((6, "Org Code", "closed_organisation"),)),
    Case("staff_group_trust_not_yet_open_and_the_edges_of_open", "workforce-staff-group", good.STAFF_GROUP_ZIP,
         reference=True, build=lambda: good.staff_group_zip([
             *good.STAFF_GROUP_ROWS,
             # RA9 opened on 1 April 2000: March 2000 is before it (ODS's rule, as in every other feed), April is not
             ["2000-03-31", *good._ORG, "RA9", "Example Hospitals NHS Foundation Trust", "Acute", "Acute", "01",
              "Total", "FTE", "10"],
             ["2000-04-30", *good._ORG, "RA9", "Example Hospitals NHS Foundation Trust", "Acute", "Acute", "01",
              "Total", "FTE", "11"],
             # RX1 closed on 31 March 2020: open on a day of March, not of April
             ["2020-03-31", *good._ORG, "RX1", "Closed Community NHS Trust", "Community", "Community", "01", "Total",
              "FTE", "640"],
             ["2020-04-30", *good._ORG, "RX1", "Closed Community NHS Trust", "Community", "Community", "01", "Total",
              "FTE", "630"]]),
         quarantined=((6, "Org Code", "not_yet_open"), (9, "Org Code", "closed_organisation"))),
    Case("staff_group_unknown_staff_group_and_sort_order", "workforce-staff-group", good.STAFF_GROUP_ZIP,
         lambda: _staff(row3__Staff_Group="Chief Vibes Officers", row5__Staff_Group_Sort_Order="99"),
         quarantined=((3, "Staff Group", "unknown_category"), (5, "Staff Group Sort Order", "unknown_category"))),
    Case("staff_group_not_the_group_its_sort_order_names", "workforce-staff-group", good.STAFF_GROUP_ZIP,
         lambda: _staff(row4__Staff_Group="Managers"),
         quarantined=((4, "Staff Group", "unknown_category"),)),
    Case("staff_group_header_only", "workforce-staff-group", good.STAFF_GROUP_ZIP,
         lambda: good.staff_group_zip(good.STAFF_GROUP_ROWS[:1]), refused=("header_only", "no data rows")),

    # --- cqc-ratings-sheet: the Locations sheet saved as CSV (rows 4–6), and the workbook -------------------------
    Case("cqc_marker_in_domain", "cqc-ratings-sheet", "Latest_ratings_Locations.csv",
         lambda: good.ratings_csv(with_cell(good.LOCATION_ROWS, 1, "Domain", "*", header_row=2)),
         quarantined=((5, "Domain", "missing_marker_in_key"),)),
    Case("cqc_location_without_its_provider", "cqc-ratings-sheet", "Latest_ratings_Locations.csv",
         lambda: good.ratings_csv(with_cell(good.LOCATION_ROWS, 0, "Provider ID", "", header_row=2)),
         quarantined=((4, "Provider ID", "empty_key"),)),
    Case("cqc_future_publication_date", "cqc-ratings-sheet", "Latest_ratings_Locations.csv",
         lambda: good.ratings_csv(with_cell(good.LOCATION_ROWS, 2, "Publication Date", "01/01/2099", header_row=2)),
         quarantined=((6, "Publication Date", "future_date"),)),
    Case("cqc_xlsx_with_the_sheet_renamed", "cqc-ratings-sheet", "01_June_2024_Latest_ratings.xlsx",
         lambda: good.ratings_xlsx(locations="Location ratings"),
         refused=("missing_sheet", "the workbook has sheets ['Location ratings', 'Providers']")),
    # the first sheet is fine and the second is not: refused before any row is counted (this once ended in a
    # traceback, the first sheet's rows counted and not accounted for)
    Case("cqc_xlsx_providers_column_renamed", "cqc-ratings-sheet", "01_June_2024_Latest_ratings.xlsx",
         lambda: good.ratings_xlsx(provider_columns=[c.replace("Provider Region", "Region")
                                                     for c in good.PROVIDER_COLUMNS]),
         refused=("unknown_layout", "sheet Providers: unknown layout: closest known layout "
                                    "cqc-latest-ratings-providers: missing ['Provider Region'], unexpected ['Region']")),
    # a snapshot with no rows would, stored, say every rating had gone: refused
    Case("cqc_header_only", "cqc-ratings-sheet", "Latest_ratings_Locations.csv",
         lambda: good.ratings_csv(good.LOCATION_ROWS[:3]),
         refused=("header_only", "sheet Locations: a header and no data rows")),
    Case("cqc_truncated_xlsx", "cqc-ratings-sheet", "01_June_2024_Latest_ratings.xlsx",
         lambda: good.ratings_xlsx()[:3000], refused=("truncated_file", "looks truncated")),
    Case("cqc_zip_holding_a_csv_not_a_workbook", "cqc-ratings-sheet", "01_June_2024_Latest_ratings.ods",
         lambda: good.zip_bytes({"Latest_ratings.csv": good.ratings_csv()}),
         refused=("wrong_zip_member", "['Latest_ratings.csv']")),

    # --- cqc-api-location: rows 1 overall, 2 Safe, 3 Caring, 4 the historic overall -------------------------------
    Case("api_html_error_page_saved_as_json", "cqc-api-location", "RA901.json", lambda: HTML_503,
         refused=("html_page", "'503 Service Unavailable'")),
    Case("api_truncated_json", "cqc-api-location", "RA901.json", lambda: _cut(good.api_json(), 40),
         refused=("truncated_file", "looks truncated")),
    Case("api_duplicate_key_question", "cqc-api-location", "RA901.json",
         lambda: good.api_json(good.api_location(currentRatings={"overall": {
             "rating": "Good", "reportDate": "2024-03-12", "keyQuestionRatings": [
                 {"name": "Safe", "rating": "Good"}, {"name": "Caring", "rating": "Good"},
                 {"name": "Safe", "rating": "Inadequate"}]}})),
         quarantined=((2, "currentRatings.overall.keyQuestionRatings[0]", "duplicate_key"),
                      (4, "currentRatings.overall.keyQuestionRatings[2]", "duplicate_key"))),
    Case("api_rating_without_a_report_date", "cqc-api-location", "RA901.json",
         lambda: good.api_json(good.api_location(currentRatings={"overall": {
             "rating": "No published rating", "keyQuestionRatings": [
                 {"name": "Safe", "rating": "No published rating"}, {"name": "Caring", "rating": "Good"}]}})),
         quarantined=((3, "currentRatings.overall.keyQuestionRatings[1]", "empty_key"),)),
    Case("api_current_overall_without_a_rating", "cqc-api-location", "RA901.json",
         lambda: good.api_json(good.api_location(currentRatings={"overall": {
             "reportDate": "2024-03-12", "keyQuestionRatings": [{"name": "Safe", "rating": "Good"}]}})),
         quarantined=((1, "currentRatings.overall", "empty_value"),)),
    Case("api_nhs_location_under_another_trust", "cqc-api-location", "RB901.json",
         lambda: good.api_json(good.api_location(locationId="RB901")),
         refused=("code_format", "does not start with its trust's code RA9")),
    Case("api_future_report_date", "cqc-api-location", "RA901.json",
         lambda: good.api_json(good.api_location(historicRatings=[
             {"reportDate": "2099-05-04", "overall": {"rating": "Good", "keyQuestionRatings": []}}])),
         quarantined=((4, "historicRatings[0].overall", "future_date"),)),

    # --- tac: "All data" rows 2 RA9, 3 RA9, 4 RBA, 5 RBA (a "-" value: NULL with a reason) -----------------------
    Case("tac_xlsx_with_the_sheet_renamed", "tac", "TAC_NHS_trusts_2023-24.xlsx", lambda: good.tac_xlsx(sheet="Data"),
         refused=("missing_sheet", "the workbook has sheets ['Notes', 'Data']")),
    Case("tac_not_a_trust_code", "tac", "TAC_NHS_trusts_2023-24.xlsx",
         build=lambda: good.tac_xlsx(with_cell(good.TAC_ROWS, 0, "Organisation code", "RA9X1")),
         quarantined=((2, "Organisation code", "code_format"),)),
    Case("tac_unknown_organisation", "tac", "TAC_NHS_trusts_2023-24.xlsx", reference=True,
         build=lambda: good.tac_xlsx(with_cell(good.TAC_ROWS, 2, "Organisation code", "ZZ9")),
         quarantined=((4, "Organisation code", "unknown_organisation"),)),
    Case("tac_closed_organisation", "tac", "TAC_NHS_trusts_2023-24.xlsx", reference=True,
         build=lambda: good.tac_xlsx(with_cell(good.TAC_ROWS, 1, "Organisation code", "RX1")),
         quarantined=((3, "Organisation code", "closed_organisation"),)),
    Case("tac_text_in_the_value_column", "tac", "TAC_NHS_trusts_2023-24.xlsx",
         lambda: good.tac_xlsx(with_cell(good.TAC_ROWS, 1, "Value number", "lots")),
         quarantined=((3, "Value number", "not_a_number"),)),
    Case("tac_duplicate_subcode", "tac", "TAC_NHS_trusts_2023-24.xlsx",
         lambda: good.tac_xlsx([*good.TAC_ROWS, with_cell(good.TAC_ROWS, 0, "Value number", 1.0)[1]]),
         quarantined=((2, "SubCode", "duplicate_key"), (6, "SubCode", "duplicate_key"))),
    Case("tac_csv_saved_as_xlsx", "tac", "TAC_NHS_trusts_2023-24.xlsx", lambda: good.finance_csv(),
         refused=("wrong_file_type", "not an Excel workbook")),

    # --- finance-monthly: rows 2 RA9, 3 RBA -------------------------------------------------------------------------
    Case("finance_unknown_organisation", "finance-monthly", "finance_return_2024-08.csv", reference=True,
         build=lambda: good.finance_csv(with_cell(good.FINANCE_ROWS, 1, "Org Code", "R0Z")),
         quarantined=((3, "Org Code", "unknown_organisation"),)),
    Case("finance_closed_organisation", "finance-monthly", "finance_return_2024-08.csv", reference=True,
         build=lambda: good.finance_csv(with_cell(good.FINANCE_ROWS, 1, "Org Code", "RX1")),
         quarantined=((3, "Org Code", "closed_organisation"),)),
    Case("finance_negative_agency_ceiling", "finance-monthly", "finance_return_2024-08.csv",
         lambda: good.finance_csv(with_cell(good.FINANCE_ROWS, 0, "YTD Agency Ceiling (£000)", "-5900.0")),
         quarantined=((2, "YTD Agency Ceiling (£000)", "negative_value"),)),
    Case("finance_two_returns_for_one_trust", "finance-monthly", "finance_return_2024-08.csv",
         lambda: good.finance_csv([*good.FINANCE_ROWS, good.FINANCE_ROWS[1]]),
         quarantined=((2, "Org Code", "duplicate_key"), (4, "Org Code", "duplicate_key"))),
    Case("finance_month_number_not_the_periods", "finance-monthly", "finance_return_2024-08.csv",
         lambda: good.finance_csv(with_cell(good.FINANCE_ROWS, 1, "Month Number", "4")),
         quarantined=((3, "Month Number", "out_of_range"),)),
    Case("finance_month_number_out_of_range", "finance-monthly", "finance_return_2024-08.csv",
         lambda: good.finance_csv(with_cell(good.FINANCE_ROWS, 0, "Month Number", "13")),
         quarantined=((2, "Month Number", "out_of_range"),)),
    Case("finance_xlsx_where_a_csv_was_expected", "finance-monthly", "finance_return_2024-08.csv",
         lambda: good.xlsx_bytes({"Return": good.FINANCE_ROWS}),
         refused=("wrong_file_type", "where a CSV file was expected")),
    Case("finance_header_only", "finance-monthly", "finance_return_2024-08.csv",
         lambda: good.finance_csv(good.FINANCE_ROWS[:1]), refused=("header_only", "a header and no data rows")),
    Case("finance_only_blank_lines", "finance-monthly", "finance_return_2024-08.csv", lambda: b"\r\n\r\n",
         refused=("empty_file", "empty")),
]

# The good files the cases start from: each must pass untouched, so a case's outcome is its mutation's alone.
GOOD_FILES = [
    ("ods-trusts", "etr.csv", good.etr), ("ods-trusts", "etr.zip", lambda: good.zip_bytes({"etr.csv": good.etr()})),
    ("ods-successors", "succ.csv", good.succ), ("ods-successors", "succ_2026.csv", good.succ_current),
    ("icb-names", "icb_names.csv", good.icb_names),
    ("sickness-absence", "sickness.csv", good.sickness),
    ("workforce-staff-group", good.STAFF_GROUP_ZIP, good.staff_group_zip),
    ("workforce-staff-group", "staff_group.csv", good.staff_group_csv),
    ("cqc-ratings-sheet", "Latest_ratings_Locations.csv", good.ratings_csv),
    ("cqc-ratings-sheet", "01_June_2024_Latest_ratings.xlsx", good.ratings_xlsx),
    ("cqc-api-location", "RA901.json", good.api_json),
    ("tac", "TAC_NHS_trusts_2023-24.xlsx", good.tac_xlsx),
    ("finance-monthly", "finance_return_2024-08.csv", good.finance_csv),
]

assert len({c.name for c in CASES}) == len(CASES), "case names must be unique"
