"""Known answers for the marts' suites where a bound depends on a scale: the ratings trend's mean score is on CQC's
0 (Inadequate) … 3 (Outstanding) scale, so a year of mostly Requires improvement (below 1) is real, and above 3 is not.
Found by the quick benchmark's small England, whose 2017 mean was 0.95 and stopped the run."""
import pyarrow as pa
import pytest

from expectations.registry import MART_SUITES, validate


def _trend(mean_score: float) -> pa.Table:
    return pa.table({"publication_year": [2021, 2022], "mean_score": [mean_score, 2.0],
                     "share_good_or_outstanding": [0.2, 0.7], "in_five_year_window": [True, True]})


@pytest.mark.parametrize("mean_score", [0.0, 0.95, 3.0])
def test_a_mean_on_the_0_to_3_scale_passes(mean_score):
    outcome = validate(_trend(mean_score), MART_SUITES["rpt_ratings_trend"])
    assert not outcome.blocking, outcome.summary()


@pytest.mark.parametrize("mean_score", [-0.1, 3.2])
def test_a_mean_off_the_scale_is_blocking(mean_score):
    outcome = validate(_trend(mean_score), MART_SUITES["rpt_ratings_trend"])
    assert outcome.blocking and "mean_score" in str(outcome.summary())


# --- the frame a mart's suite sees: typed columns as shared Python objects ------------------------------------------

def test_shared_objects_makes_one_object_of_each_value_and_none_of_nulls():
    from datetime import date

    from expectations.registry import shared_objects

    codes = shared_objects(pa.chunked_array([["RX1", None, "RX2"], ["RX1", "RX2", None]]))
    assert codes.dtype == object and list(codes) == ["RX1", None, "RX2", "RX1", "RX2", None]
    assert codes[0] is codes[3] and codes[2] is codes[4]          # one object each, not one a row
    periods = shared_objects(pa.chunked_array([[date(2024, 1, 1), date(2024, 1, 1)]]))
    assert periods[0] == date(2024, 1, 1) and periods[0] is periods[1]
    assert len(shared_objects(pa.chunked_array([], pa.string()))) == 0


def _quality(**changes) -> pa.Table:
    from datetime import date
    columns = {"trust_code": ["RX1", "RX2"], "period": [date(2024, 1, 1), date(2024, 2, 1)],
               "rating_level": ["trust", "trust"], "key_question": ["Overall", "Safe"], "rating": ["Good", "Inadequate"],
               "rating_scale": ["2014", "2014"], "rating_age_days": [10, 20], "is_inherited": [False, True]}
    return pa.table({**columns, **changes})


def test_a_trust_quality_mart_of_the_right_types_passes():
    outcome = validate(_quality(), MART_SUITES["fct_trust_quality"])
    assert outcome.success, outcome.summary()


def test_a_column_of_the_wrong_type_is_still_found_and_a_null_date_is_still_null():
    from datetime import date

    wrong = validate(_quality(trust_code=[1, 2]), MART_SUITES["fct_trust_quality"])
    assert [f["column"] for f in wrong.failed] == ["trust_code"] and wrong.blocking, wrong.summary()
    missing = validate(_quality(period=pa.array([date(2024, 1, 1), None])), MART_SUITES["fct_trust_quality"])
    assert [(f["expectation"], f["column"]) for f in missing.failed] == \
        [("expect_column_values_to_not_be_null", "period")], missing.summary()


def _frame_seen(monkeypatch, table, suite):
    """The pandas frame GX is given for one validation, and the validation."""
    import expectations.registry as registry

    seen = []
    real = registry._ephemeral_validation
    monkeypatch.setattr(registry, "_ephemeral_validation", lambda frame, *a: (seen.append(frame), real(frame, *a))[1])
    outcome = validate(table, suite)
    return seen[0], outcome


def test_a_string_column_typed_by_arrow_reaches_gx_typed_and_its_nulls_are_still_found(monkeypatch):
    """GX checks an object column's type value by value (9 of the 10 seconds of the trust quality suite on the
    national history); a column Arrow types as strings is given to it as pandas' string dtype, checked once."""
    import pandas as pd

    frame, outcome = _frame_seen(monkeypatch, _quality(rating_scale=pa.array(["2014", None])),
                                 MART_SUITES["fct_trust_quality"])
    assert all(isinstance(frame[c].dtype, pd.StringDtype) for c in ("trust_code", "key_question", "rating"))
    assert frame["period"].dtype == object                               # dates: still checked value by value
    assert [(f["expectation"], f["column"]) for f in outcome.failed] == \
        [("expect_column_values_to_not_be_null", "rating_scale")], outcome.summary()


def test_a_string_column_a_rule_reads_stays_python_objects(monkeypatch):
    """The criteria suite's rule reads `status`: compared as Python objects, a missing status is `False` (the rule
    does not apply), where pandas' string dtype would give a missing answer the rule could not mask with."""
    from datetime import date

    criteria = pa.table({"trust_code": ["RX1", "RX2"], "period": [date(2024, 1, 1)] * 2, "criterion": ["a", "b"],
                         "status": ["not_assessable", None], "level": [2, 3], "methodology_version": ["v2", "v2"],
                         "data_access": ["public", "public"], "missing_input": ["finance return", None]})
    frame, outcome = _frame_seen(monkeypatch, criteria, MART_SUITES["fct_trust_failure_scale_criteria"])
    assert frame["status"].dtype == object and frame["status"][1] is None
    assert frame["criterion"].dtype != object                             # not read by the rule: typed
    assert not outcome.blocking, outcome.summary()


@pytest.mark.parametrize("stored", [False, True])
def test_gx_keeps_no_frame_once_a_validation_is_done(stored, tmp_path, monkeypatch):
    """GX's pandas engine caches every batch it loaded; a project kept open for a run held every mart's frame to the
    end of it (4.8 GB, not 3.3, over four of the failure scale's marts at 10x England)."""
    import gc
    import weakref

    import expectations.registry as registry

    seen = []
    for name in ("_stored_validation", "_ephemeral_validation"):
        real = getattr(registry, name)
        monkeypatch.setattr(registry, name, lambda frame, *a, _real=real, **k: (seen.append(weakref.ref(frame)),
                                                                                _real(frame, *a, **k))[1])
    for _ in range(2):      # the second validation of a project kept open too
        outcome = validate(_quality(), MART_SUITES["fct_trust_quality"], gx_root=tmp_path / "gx" if stored else None,
                           run_name="frames")
        assert outcome.success, outcome.summary()
    gc.collect()
    assert len(seen) == 2 and all(ref() is None for ref in seen)
