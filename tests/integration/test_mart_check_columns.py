"""A mart's check reads only the columns its suite checks (`Suite.columns_read`): the failure scale's criteria are
millions of rows at national scale, and loading every column of every mart into pandas was most of a big run's peak
memory. On the session's built warehouse, each suite gives the same verdict on those columns as on the whole mart —
so no rule lost a column it reads — and the big marts are read in part."""
import dataclasses
from pathlib import Path

import pytest

from expectations.registry import MART_SUITES, validate
from orchestration.engine import Engine


@pytest.fixture(scope="module")
def built(pipeline):
    with Engine("duckdb", Path(pipeline["home"])).reader() as reader:
        yield reader


@pytest.mark.parametrize("mart", sorted(MART_SUITES))
def test_a_mart_check_on_the_columns_it_reads_is_the_check_on_the_whole_mart(built, mart):
    suite = MART_SUITES[mart]
    whole = built.table("marts", mart)
    read = built.table("marts", mart, only=suite.columns_read())
    assert read.num_rows == whole.num_rows
    assert set(read.column_names) <= set(whole.column_names)
    every_column = dataclasses.replace(suite, reads=None)     # as before: the whole mart
    assert every_column.columns_read() is None
    on_read, on_whole = validate(read, suite), validate(whole, every_column)
    assert on_read.evaluated == on_whole.evaluated
    assert on_read.failed == on_whole.failed, on_read.summary()
    assert not [f for f in on_read.failed if f.get("exception")], on_read.summary()   # no rule lacked its column


def test_the_failure_scale_marts_are_read_in_part(built):
    for mart in ("fct_trust_failure_scale", "fct_trust_failure_scale_criteria", "fct_economy_condition"):
        whole = built.table("marts", mart).column_names
        read = built.table("marts", mart, only=MART_SUITES[mart].columns_read()).column_names
        assert len(read) < len(whole), (mart, whole)
