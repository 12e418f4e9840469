"""The simulated finance feeds: a planted finance↔quality link at a set strength, and year-specific subcodes."""
import statistics
from datetime import date

import pytest

from simulator import finance
from simulator.england import build_england


@pytest.fixture(scope="module")
def world():
    return build_england("national", 1)


def _correlation(world, link):
    stress = finance.finance_stress(world, link)
    trusts = [t for t in world.trusts if t.icb]
    return statistics.correlation([t.condition for t in trusts], [stress[t.code] for t in trusts])


def test_finance_stress_follows_the_trust_condition_at_the_set_strength(world):
    assert _correlation(world, 0.6) > 0.65       # sqrt(0.6) ≈ 0.77 expected
    assert abs(_correlation(world, 0.0)) < 0.2   # no link planted
    with pytest.raises(ValueError, match="between 0 and 1"):
        finance.finance_stress(world, 1.5)


def test_stressed_trusts_run_deficits_and_overspend_on_agency(world):
    stress = finance.finance_stress(world, 0.6)
    rows = finance.finance_month_rows(world, date(2026, 8, 31))
    worst = sorted(rows, key=lambda r: stress[r[0]])[-20:]
    best = sorted(rows, key=lambda r: stress[r[0]])[:20]
    margin = lambda r: float(r[6]) / float(r[7])  # noqa: E731  ytd actual surplus / ytd income
    over = lambda r: float(r[8]) / float(r[9]) - 1  # noqa: E731  agency spend above ceiling
    assert statistics.mean(map(margin, worst)) < 0 < statistics.mean(map(margin, best))
    assert statistics.mean(map(over, worst)) > statistics.mean(map(over, best))


def test_subcodes_differ_between_years_and_every_measure_is_mapped_each_year(world):
    mapping = finance.subcode_mapping()
    assert mapping["2023-24"]["operating_income_patient_care"] == "SCI0100A"
    assert mapping["2018-19"]["operating_income_patient_care"] != "SCI0100A"
    for year in finance.tac_years(date(2026, 10, 1), None):
        assert set(mapping[year]) == {"operating_income_patient_care", "other_operating_income", "operating_expenses",
                                      "operating_surplus", "surplus_for_year", "agency_staff_costs",
                                      "total_staff_costs"}
        written = {row[4] for row in finance.tac_rows(world, year)}
        assert set(mapping[year].values()) <= written


def test_years_and_months_published_by_a_date():
    assert finance.tac_years(date(2026, 10, 1)) == ["2022-23", "2023-24", "2024-25"]
    assert finance.tac_years(date(2026, 12, 1))[-1] == "2025-26"
    assert finance.finance_months(date(2026, 10, 1), 2) == [date(2026, 7, 31), date(2026, 8, 31)]


def test_a_tac_workbook_is_the_same_bytes_for_the_same_seed_dated_by_its_publication(tmp_path):
    import zipfile

    for n in (1, 2):
        finance.write_tac_year(build_england("small", 3), "2023-24", tmp_path / f"tac{n}.xlsx")
    assert (tmp_path / "tac1.xlsx").read_bytes() == (tmp_path / "tac2.xlsx").read_bytes()
    with zipfile.ZipFile(tmp_path / "tac1.xlsx") as archive:  # dated by publication (Dec 2024), never by the clock
        assert {info.date_time for info in archive.infolist()} == {(2024, 12, 1, 0, 0, 0)}
        assert b"2024-12-01T00:00:00Z" in archive.read("docProps/core.xml")
