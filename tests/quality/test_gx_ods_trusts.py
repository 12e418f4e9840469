"""The Great Expectations suite for the trusts feed: passes the real file, catches what it must."""
import pyarrow as pa

from expectations.registry import SUITES, validate
from orchestration.feeds.ods.layouts import parse_etr

TRUSTS = next(b for b in SUITES if b.asset_key_path == ("ods", "trusts"))


def test_real_trusts_file_passes_the_suite(realdata):
    parsed = parse_etr((realdata / "ods/etr.csv").read_bytes())
    outcome = validate(parsed.valid, TRUSTS)
    assert outcome.success and outcome.failed == [] and outcome.evaluated >= 10


def _table(**overrides):
    base = {
        "organisation_code": ["RA9", "RBA", "RC1"],
        "name": ["A NHS TRUST", "B NHS TRUST", "C NHS TRUST"],
        "national_grouping": ["Y56", "Y58", "Y60"],
        "high_level_health_geography": ["QMJ", "QJK", "QNC"],
        "open_date": pa.array([0, 0, 0], pa.int32()).cast(pa.date32()),
        "close_date": pa.array([None, None, None], pa.date32()),
    }
    base.update(overrides)
    return pa.table(base)


def test_good_table_passes():
    assert validate(_table(), TRUSTS).success


def test_each_broken_rule_is_named_with_its_column_and_sample():
    broken = _table(
        organisation_code=["RA9", "RA9", "x1"],
        high_level_health_geography=[None, None, "QNC"],
        close_date=pa.array([None, -1, None], pa.int32()).cast(pa.date32()),
    )
    outcome = validate(broken, TRUSTS)
    assert not outcome.success
    failed = {(f["expectation"], f["column"]) for f in outcome.failed}
    assert ("expect_column_values_to_be_unique", "organisation_code") in failed
    assert ("expect_column_values_to_match_regex", "organisation_code") in failed
    assert ("expect_column_values_to_not_be_null", "high_level_health_geography") in failed
    assert ("expect_column_pair_values_a_to_be_greater_than_b", "close_date/open_date") in failed
    unique = next(f for f in outcome.failed if f["expectation"] == "expect_column_values_to_be_unique")
    assert unique["unexpected_count"] == 2 and unique["unexpected_sample"] == ["RA9", "RA9"]
