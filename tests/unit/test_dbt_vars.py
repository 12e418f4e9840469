"""What a build passes dbt as --vars: the run's as-at date, and the reporting grid's length when the home sets one
(OVERSIGHT_REPORT_MONTHS_MAX) — which makes it another build of the models than the default's."""
import json
from datetime import date

import pytest

from orchestration import dbt
from orchestration.settings import Settings


def test_the_grid_s_length_is_passed_only_when_set(monkeypatch):
    monkeypatch.delenv("OVERSIGHT_REPORT_MONTHS_MAX", raising=False)
    default = Settings.from_env().report_months_max
    assert default is None
    assert json.loads(dbt.dbt_vars(date(2026, 12, 1), default)) == {"as_at": "2026-12-01"}
    default_build = dbt.project_fingerprint()

    monkeypatch.setenv("OVERSIGHT_REPORT_MONTHS_MAX", "24")
    months = Settings.from_env().report_months_max
    assert json.loads(dbt.dbt_vars(date(2026, 12, 1), months)) == {"as_at": "2026-12-01", "report_months_max": 24}
    assert dbt.project_fingerprint() != default_build   # a snapshot on the default grid is not this build's


@pytest.mark.parametrize("value", ["0", "-3", "two years", "2.5"])
def test_a_grid_length_that_is_not_a_number_of_months_is_refused(monkeypatch, value):
    monkeypatch.setenv("OVERSIGHT_REPORT_MONTHS_MAX", value)
    with pytest.raises(ValueError, match="OVERSIGHT_REPORT_MONTHS_MAX"):
        Settings.from_env().report_months_max
