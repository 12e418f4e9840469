"""Simulated sickness absence: the real format, accepted by the real parser, with the planted economy link."""
import statistics
from datetime import date

import pytest

from orchestration.feeds.workforce.sickness import parse_sickness
from simulator import simulate
from simulator.england import build_england
from simulator.workforce import sickness_months, sickness_rows

AS_AT = date(2026, 12, 1)  # the day the files are checked as at (no parser reads the clock)


def test_months_written_by_default_are_the_latest_five_published(tmp_path):
    summary = simulate("small", 3, tmp_path, feeds={"sickness"})
    files = sorted((tmp_path / "workforce/sickness").glob("*.csv"))
    assert [f.name for f in files] == [f"nhs_sickness_absence_2026-0{m}.csv" for m in range(2, 7)]
    assert all(f"workforce/sickness/{f.name}" in summary["files"] for f in files)
    assert sickness_months(date(2026, 1, 15), 2) == [date(2025, 8, 31), date(2025, 9, 30)]


def test_every_simulated_month_passes_the_real_parser_with_its_quirks(tmp_path):
    simulate("national", 4, tmp_path, feeds={"sickness"})
    for path in sorted((tmp_path / "workforce/sickness").glob("*.csv")):
        raw = path.read_bytes()
        assert raw.count(b"\r\n") == raw.count(b"\n")  # CRLF, as published
        result = parse_sickness(raw, path.name, as_at=AS_AT)
        assert result.accepted and result.rows_quarantined == 0 and not result.errors, path.name
        notes = result.notes
        assert notes["missing_markers"] == {"*": 2}  # the tiny national body is suppressed, not zero
        assert notes["rates_cross_checked"] == result.rows - 1
        assert notes["national_bodies_qzz"] == 6 and notes["organisations_by_type"]["Integrated Care Board"] == 42
        suppressed = [r for r in result.valid.to_pylist() if r["fte_days_lost"] is None]
        assert [r["fte_days_lost_missing_reason"] for r in suppressed] == ["suppressed (small numbers)"]
    import re
    assert b'"NHS Southdale, Central and West Commissioning Support Unit"' in raw  # quoted commas
    assert re.search(rb",\d+\.\d{9,},", raw)  # float noise, as a spreadsheet export leaves it


def _economy_correlation(strength: float, seed: int) -> float:
    world = build_england("national", seed, economy_strength=strength)
    trusts = {t.code for t in world.trusts}
    by_icb: dict[str, list[float]] = {}
    for row in sickness_rows(world, date(2026, 6, 30)):
        if row[5] in trusts:
            by_icb.setdefault(row[3], []).append(float(row[10]))
    stress = {i.code: i.stress for i in world.icbs}
    return statistics.correlation([stress[c] for c in by_icb], [statistics.mean(v) for v in by_icb.values()])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_economy_link_shows_in_sickness_and_vanishes_at_strength_zero(seed):
    assert _economy_correlation(0.6, seed) > 0.7
    assert abs(_economy_correlation(0.0, seed)) < 0.4


def test_strength_changes_the_condition_not_the_organisations():
    weak, strong = build_england("small", 2, economy_strength=0.0), build_england("small", 2, economy_strength=1.0)
    assert [t.code for t in weak.trusts] == [t.code for t in strong.trusts]
    assert [t.condition for t in weak.trusts] != [t.condition for t in strong.trusts]
    with pytest.raises(ValueError, match="economy_strength must be between 0 and 1"):
        build_england("small", 2, economy_strength=1.5)
