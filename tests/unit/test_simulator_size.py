"""`oversight simulate --size N`: N times England's organisations for the benchmarks' growth curve, with codes and
names as unique and as well-formed as at 1×."""
import re

import pytest

from simulator.england import build_england


def test_size_multiplies_the_organisations_with_unique_well_formed_codes():
    one, five = build_england("small", 3), build_england("small", 3, size=5)
    assert len(five.icbs) == 5 * len(one.icbs)
    assert len(five.trusts) >= 4 * len(one.trusts)
    for world in (one, five):
        codes = [t.code for t in world.trusts]
        assert len(set(codes)) == len(codes) and all(re.fullmatch(r"[A-Z0-9]{3}", c) for c in codes)
        assert len({t.name for t in world.trusts}) == len(world.trusts)
        assert len({i.code for i in world.icbs}) == len(world.icbs)
        assert all(re.fullmatch(r"Q[A-Z0-9]{2}", i.code) for i in world.icbs)
    assert {t.code[0] for t in one.trusts} == {"R"}
    assert {t.code[0] for t in five.trusts} > {"R"}            # R alone has too few codes for ten Englands


def test_a_size_out_of_range_is_refused():
    with pytest.raises(ValueError, match="size must be a whole number from 1 to 20"):
        build_england("small", 3, size=0)
