"""check-feed cqc-ratings-sheet: .ods, .xlsx and .csv of the same release give the same rows; bad files explained."""
import io
from datetime import date

import pytest

from orchestration.feeds.cqc.api_document import parse_api_location
from orchestration.feeds.cqc.sheet import parse_ratings_sheet
from orchestration.feeds.catalog import FEEDS
from simulator import cqc
from simulator.england import build_england

AS_AT = date(2026, 12, 1)  # the day the files are checked as at (no parser reads the clock)

RELEASE = date(2026, 9, 1)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    world = build_england("small", 6)
    locations = cqc.build_locations(world)
    folder = tmp_path_factory.mktemp("cqc")
    for fmt in ("ods", "xlsx", "csv"):
        cqc.write_ratings_release(world, RELEASE, folder / f"release.{fmt}", fmt, locations)
    cqc.write_api_documents(world, folder / "api", locations)
    return folder


def _rows(result):
    return sorted((r["level"], r["provider_id"], r["location_id"] or "", r["service_population_group"], r["domain"],
                   r["rating"], r["publication_date"], r["inherited"]) for r in result.valid.to_pylist())


def test_the_three_formats_give_the_same_rows(written):
    ods = parse_ratings_sheet((written / "release.ods").read_bytes(), "release.ods", as_at=AS_AT)
    xlsx = parse_ratings_sheet((written / "release.xlsx").read_bytes(), "release.xlsx", as_at=AS_AT)
    csv_rows = []
    for sheet in ("Locations", "Providers"):
        part = parse_ratings_sheet((written / f"release_{sheet}.csv").read_bytes(), f"release_{sheet}.csv", as_at=AS_AT)
        assert part.accepted
        csv_rows += _rows(part)
    for result in (ods, xlsx):
        report = result.report()
        assert report["accepted"] and report["layout"] == "cqc-latest-ratings-2026"
        assert report["rows"] == report["rows_valid"] > 100 and report["rows_quarantined"] == 0
        assert result.notes["preamble_rows"] == {"Locations": 4, "Providers": 4}
    assert _rows(ods) == _rows(xlsx) == sorted(csv_rows)
    # the ODS padding (a million repeated empty rows) is not data, and the spreadsheet row numbers are kept
    assert ods.valid.column("_source_row").to_pylist()[0] == 6


def _csv(*rows: list[str]) -> bytes:
    from simulator.cqc import LOCATION_COLUMNS_2021
    lines = [["Care Quality Commission"], [], LOCATION_COLUMNS_2021, *rows]
    buffer = io.StringIO()
    import csv
    csv.writer(buffer, lineterminator="\r\n").writerows(lines)
    return buffer.getvalue().encode()


def _row(**changes) -> list[str]:
    from simulator.cqc import LOCATION_COLUMNS_2021
    values = dict.fromkeys(LOCATION_COLUMNS_2021, "x")
    values.update({"Location ID": "RA901", "Service / Population Group": "Maternity", "Domain": "Safe",
                   "Latest Rating": "Good", "Publication Date": "12/03/2024", "Inherited Rating (Y/N)": "N",
                   "Provider ID": "RA9"})
    values.update(changes)
    return list(values.values())


def test_bad_rows_are_quarantined_with_row_and_column():
    content = _csv(_row(), _row(Domain="Safety"), _row(**{"Latest Rating": "Very good"}),
                   _row(**{"Publication Date": "sometime"}), _row(**{"Inherited Rating (Y/N)": "maybe"}),
                   _row(**{"Latest Rating": "Inspected but not rated", "Domain": "Caring"}))
    result = parse_ratings_sheet(content, "bad.csv", as_at=AS_AT)
    assert (result.rows, result.rows_valid, result.rows_quarantined) == (6, 2, 4)
    assert {(i.row, i.column) for i in result.errors} == {
        (5, "Domain"), (6, "Latest Rating"), (7, "Publication Date"), (8, "Inherited Rating (Y/N)")}
    non_rating = [r for r in result.valid.to_pylist() if r["domain"] == "Caring"][0]
    assert non_rating["is_rating"] is False  # kept, never scored


@pytest.mark.parametrize("content, message", [
    (b"<!DOCTYPE html><html><body>Not found</body></html>", "HTML page"),
    (b"Care Quality Commission\r\nno header here\r\n", "no header row"),
    (_csv(_row()).replace(b"Location Region", b"Region of location"), "unknown layout"),
])
def test_files_that_are_not_a_release_are_refused(content, message):
    result = FEEDS["cqc-ratings-sheet"].parse(content, "x.csv", as_at=AS_AT)  # as check-feed and ingestion call it
    assert not result.accepted and message in result.file_errors[0].message


def test_a_workbook_with_a_renamed_sheet_is_refused_naming_its_sheets(tmp_path):
    from openpyxl import Workbook
    book = Workbook()
    book.active.title = "Location ratings"
    book.create_sheet("Providers")
    book.save(tmp_path / "renamed.xlsx")
    result = parse_ratings_sheet((tmp_path / "renamed.xlsx").read_bytes(), "renamed.xlsx", as_at=AS_AT)
    assert not result.accepted
    assert "no sheet named ['Locations']" in result.file_errors[0].message and "Location ratings" in result.file_errors[0].message


def test_api_documents_parse_with_current_and_historic_ratings(written):
    docs = sorted((written / "api" / "locations").glob("*.json"))
    assert docs
    totals = {"current": 0, "historic": 0}
    for path in docs:
        result = parse_api_location(path.read_bytes(), path.name, as_at=AS_AT)
        assert result.accepted and result.layout == "cqc-api-location-v1" and result.rows == result.rows_valid
        for source in result.valid.column("source").to_pylist():
            totals[source] += 1
    assert totals["current"] > 0 and totals["historic"] > 0


def test_a_malformed_api_rating_is_quarantined_by_its_json_path():
    import json
    document = {"locationId": "RA901", "providerId": "RA9", "currentRatings": {"overall": {
        "rating": "Good", "reportDate": "2024-01-02",
        "keyQuestionRatings": [{"name": "Safe", "rating": "Brilliant"}, {"name": "Caring", "rating": "Good"}]}}}
    result = parse_api_location(json.dumps(document).encode(), "RA901.json", as_at=AS_AT)
    assert (result.rows, result.rows_valid, result.rows_quarantined) == (3, 2, 1)
    assert result.errors[0].column == "currentRatings.overall.keyQuestionRatings[0]"
    assert not FEEDS["cqc-api-location"].parse(b"<html>error</html>", "x.json", as_at=AS_AT).accepted
