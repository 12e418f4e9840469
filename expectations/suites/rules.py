"""Short names for the expectations the suites use, each with its severity said once where it is used.

`critical`: the data is wrong — the asset check fails with ERROR and blocks what is downstream.
`warning`: a caution — the check fails with WARN and the run goes on.
"""
from __future__ import annotations

import importlib


class _Expectations:
    """great_expectations.expectations, imported when a suite is first built rather than when the suites are loaded:
    GX takes seconds to import, and a run that stores nothing new (a no-op re-run) validates nothing."""

    def __getattr__(self, name: str):
        return getattr(importlib.import_module("great_expectations.expectations"), name)


gxe = _Expectations()

CRITICAL, WARNING = "critical", "warning"


def not_null(column: str, severity: str = CRITICAL, mostly: float = 1.0):
    return gxe.ExpectColumnValuesToNotBeNull(column=column, mostly=mostly, severity=severity)


def unique(*columns: str, severity: str = CRITICAL):
    if len(columns) == 1:
        return gxe.ExpectColumnValuesToBeUnique(column=columns[0], severity=severity)
    return gxe.ExpectCompoundColumnsToBeUnique(column_list=list(columns), severity=severity)


def one_of(column: str, values, severity: str = CRITICAL, mostly: float = 1.0):
    return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(values), mostly=mostly, severity=severity)


def between(column: str, low=None, high=None, severity: str = CRITICAL, mostly: float = 1.0):
    return gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high, mostly=mostly,
                                             severity=severity)


def matches(column: str, pattern: str, severity: str = CRITICAL, mostly: float = 1.0):
    return gxe.ExpectColumnValuesToMatchRegex(column=column, regex=pattern, mostly=mostly, severity=severity)


def holds(column: str, severity: str = CRITICAL, mostly: float = 1.0):
    """A rule computed into a boolean column by the suite's `derive` (NULL where it does not apply)."""
    return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=[True], mostly=mostly, severity=severity)


def rows_between(low: int | None, high: int | None, severity: str = CRITICAL):
    return gxe.ExpectTableRowCountToBeBetween(min_value=low, max_value=high, severity=severity)


def volume_band(previous_rows: int | None, low_share: float, high_share: float, severity: str = WARNING):
    """Rows within a band around the release stored before this one (volume); at least one row without one."""
    if not previous_rows:
        return rows_between(1, None, CRITICAL)
    return rows_between(int(previous_rows * low_share), int(previous_rows * high_share) + 1, severity)


# --- helpers for the derived columns -----------------------------------------------------------------------------

def days_before(reference, dates):
    """Whole days from each date to `reference` (a date or a Series of dates); negative where a date is later."""
    import pandas as pd

    return (pd.to_datetime(reference) - pd.to_datetime(dates)).dt.days
