"""The simulated CQC ratings: planted structure the analysis must find, in the published shapes."""
import re
import zipfile
from datetime import date

import pytest

from simulator import cqc
from simulator.england import build_england

AS_AT = date(2026, 12, 1)  # the day the files are checked as at (no parser reads the clock)


@pytest.fixture(scope="module")
def national():
    world = build_england("national", 1)
    return world, cqc.build_locations(world)


def test_nhs_ids_are_ods_codes(national):
    world, locations = national
    trust_codes = {t.code for t in world.trusts}
    for loc in locations:
        assert loc.provider_id in trust_codes and re.fullmatch(rf"{loc.provider_id}\d\d", loc.location_id)


def test_ratings_improve_on_average_over_time(national):
    world, locations = national
    by_year = cqc.cqc_truth(world, locations)["mean_overall_score_by_year"]
    early = [by_year[y] for y in (2014, 2015, 2016)]
    recent = [by_year[y] for y in (2023, 2024, 2025)]
    assert sum(recent) / 3 > sum(early) / 3 + 0.5


def test_worse_condition_gives_worse_ratings(national):
    world, locations = national
    scores = {}
    for loc in locations:
        latest = loc.latest(world.as_of)
        if latest and not latest.inherited:
            scores.setdefault(loc.trust.condition > 0.5, []).append(
                cqc.RATINGS.index(latest.ratings[("Overall", "Overall")]))
    assert sum(scores[True]) / len(scores[True]) < sum(scores[False]) / len(scores[False]) - 0.3


def test_planted_pockets_sit_in_good_trusts_and_show_in_the_sheet(national):
    world, locations = national
    truth = cqc.cqc_truth(world, locations)
    assert len(truth["planted_pockets"]) >= 10
    sheet = cqc.sheet_rows(world, locations, world.as_of)["Locations"]
    header = sheet[0]
    col = {name: header.index(name) for name in ("Location ID", "Service / Population Group", "Domain", "Latest Rating")}
    rated = {(r[col["Location ID"]], r[col["Service / Population Group"]]): r[col["Latest Rating"]]
             for r in sheet[1:] if r[col["Domain"]] == "Overall"}
    found = [p for p in truth["pockets"] if rated.get((p["location_id"], p["service"])) == p["rating"]]
    assert found == truth["pockets"] and len(truth["pockets"]) >= len(
        [p for p in truth["planted_pockets"] if p in truth["pockets"]])


def test_merged_trusts_inherit_their_predecessors_ratings(national):
    world, locations = national
    successors = {s.new_code for s in world.successions}
    inherited = [loc for loc in locations if loc.provider_id in successors and loc.inspections
                 and loc.inspections[0].inherited]
    assert inherited, "a merged trust's sites start with inherited ratings"
    assert all(loc.inspections[0].published == loc.trust.open_date for loc in inherited)


def test_the_header_is_renamed_between_releases(national):
    world, locations = national
    old = cqc.sheet_rows(world, locations, date(2026, 7, 1))["Locations"][0]
    new = cqc.sheet_rows(world, locations, date(2026, 8, 1))["Locations"][0]
    assert "Location ONSPD CCG Code" in old and "Location ONSPD ICB Code" in new


@pytest.mark.parametrize("fmt", ["ods", "xlsx"])
def test_same_seed_same_release(tmp_path, fmt):
    for n in (1, 2):
        world = build_england("small", 9)
        cqc.write_ratings_release(world, date(2026, 9, 1), tmp_path / f"r{n}.{fmt}", fmt)
    assert (tmp_path / f"r1.{fmt}").read_bytes() == (tmp_path / f"r2.{fmt}").read_bytes()
    # Same bytes by design, not because both were written within the same second: nothing carries the clock.
    with zipfile.ZipFile(tmp_path / f"r1.{fmt}") as archive:
        assert {info.date_time for info in archive.infolist()} == {(2026, 9, 1, 0, 0, 0)}
        if fmt == "xlsx":
            assert re.findall(rb"<dcterms:modified[^>]*>([^<]*)<", archive.read("docProps/core.xml")) == \
                [b"2026-09-01T00:00:00Z"]


def test_social_care_is_optional_and_leaves_the_nhs_part_unchanged(tmp_path):
    from orchestration.feeds.cqc.sheet import parse_ratings_sheet
    world = build_england("small", 5)
    nhs_only = cqc.build_locations(world)
    with_care = cqc.build_locations(world, with_social_care=True)
    care = [loc for loc in with_care if loc.kind == "social_care"]
    assert care and all(re.fullmatch(r"1-\d{9}", loc.location_id) for loc in care)
    assert [loc.location_id for loc in with_care if loc.kind != "social_care"] == [loc.location_id for loc in nhs_only]
    cqc.write_ratings_release(world, date(2026, 9, 1), tmp_path / "r.ods", "ods", with_care)
    result = parse_ratings_sheet((tmp_path / "r.ods").read_bytes(), "r.ods", as_at=AS_AT)
    assert result.accepted
    care_rows = [r for r in result.valid.to_pylist() if r["provider_id"].startswith("1-")]
    assert care_rows and {r["service_population_group"] for r in care_rows} == {"Overall"}


def test_api_documents_carry_the_real_quirks_and_the_same_seed_the_same_bytes(tmp_path):
    """The documents as real ones are (FEEDS.md §2a), so the demo runs the production code path: unrated sites whose
    non-ratings have no report date, two historic reports on one date, a historic overall without a rating — each
    accepted by the parser — and the quirks leave the ratings themselves (the sheet, the truth) as they were."""
    import json

    from orchestration.feeds.cqc.api_document import parse_api_location

    for n in (1, 2):
        world = build_england("small", 4)
        cqc.write_api_documents(world, tmp_path / f"api{n}")
    first = sorted((tmp_path / "api1").rglob("*.json"))
    assert [p.read_bytes() for p in first] == [(tmp_path / "api2" / p.relative_to(tmp_path / "api1")).read_bytes()
                                               for p in first]
    locations = cqc.build_locations(world)
    trusts = {loc.provider_id for loc in locations if loc.trust.close_date is None}
    unrated = [loc for loc in locations if not loc.inspections and loc.trust.close_date is None]
    planted = [loc for loc in unrated if loc.name.endswith("New Unit")]  # registered, not yet inspected
    assert len(planted) == max(1, len(trusts) // 10) and len(unrated) >= len(planted)
    counts = {"undated_non_ratings": 0, "same_day_reports": 0, "unrated_overalls": 0}
    for path in sorted((tmp_path / "api1" / "locations").glob("*.json")):
        result = parse_api_location(path.read_bytes(), path.name, as_at=world.as_of)
        assert result.accepted and result.rows == result.rows_valid, [e.describe(path.name) for e in result.errors]
        counts["undated_non_ratings"] += result.notes["non_ratings_without_a_report_date"]
        counts["same_day_reports"] += result.notes["historic_reports_sharing_a_date"] // 2
        counts["unrated_overalls"] += result.notes["overall_without_a_rating"]
        document = json.loads(path.read_text())
        if path.stem in {loc.location_id for loc in unrated}:
            assert document["currentRatings"]["overall"]["rating"] == "No published rating"
            assert "reportDate" not in document["currentRatings"]["overall"] and not document["historicRatings"]
    with_history = sum(1 for loc in locations if len(loc.inspections) > 1)
    assert counts["undated_non_ratings"] >= 6 * len(unrated)          # 6 each: the overall and five key questions
    assert counts["same_day_reports"] >= 1 and counts["unrated_overalls"] >= 1
    assert counts["same_day_reports"] + counts["unrated_overalls"] <= with_history
    # the quirks are the API's alone: the ratings sheet of the same world lists no unrated site
    sheet = cqc.sheet_rows(world, locations, world.as_of)["Locations"]
    assert not {r[0] for r in sheet[1:]} & {loc.location_id for loc in unrated}
