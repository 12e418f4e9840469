"""Missing, suppressed and zero are three different things (FEEDS.md §5).

Markers become NULL with a reason, never 0, and each file keeps a count of every marker it used.
"""
from __future__ import annotations

import math

MISSING_MARKERS = {
    "*": "suppressed (small numbers)",
    "-": "not available",
    "..": "not available",
    ":": "not available",
    "": "empty",
}


def parse_number(value: str) -> tuple[float | None, str | None]:
    """(number, None), or (None, reason) for a missing marker; ValueError for anything else."""
    text = value.strip()
    if text in MISSING_MARKERS:
        return None, MISSING_MARKERS[text]
    number = float(text.replace(",", ""))
    if math.isnan(number) or math.isinf(number):
        raise ValueError(text)
    return number, None
