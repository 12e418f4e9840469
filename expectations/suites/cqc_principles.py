"""The CQC ratings principles (DOMAIN.md) on one set of key-question ratings — the cross-field rule of the CQC
suites: is a published overall rating what its five key questions give? The warehouse applies the same principles
in the dbt macro `cqc_aggregated_rating` (thresholds in dbt vars); tests check the two agree on worked examples."""
from __future__ import annotations

RATINGS = ("Outstanding", "Good", "Requires improvement", "Inadequate")


def aggregated_rating(ratings: list[str], outstanding_min: int = 2) -> str:
    rated = [r for r in ratings if r in RATINGS]   # non-ratings are not ratings
    if not rated:
        return "No published rating"
    inadequate, ri, outstanding = (rated.count(r) for r in ("Inadequate", "Requires improvement", "Outstanding"))
    if inadequate >= 2:
        return "Inadequate"
    if inadequate >= 1 or ri >= 2:
        return "Requires improvement"
    if ri == 0 and outstanding >= min(outstanding_min, len(rated)):
        return "Outstanding"
    return "Good"


def overall_follows_principles(frame, group_columns: list[str], domain: str = "domain", rating: str = "rating"):
    """For each row: on the Overall row of a group with key-question ratings, whether the overall equals what the
    principles give from them; NULL on other rows and where the group has no rated key question. Column-wise: each
    group's count of each rating among its key questions, and `aggregated_rating` once per distinct set of counts (a
    release of ~100k rows has a few dozen), not once per group."""
    import numpy as np
    import pandas as pd

    keys = pd.DataFrame({i: frame[c].astype("string").fillna("") for i, c in enumerate(group_columns)})
    group = keys.groupby(list(keys.columns), sort=False).ngroup().to_numpy()
    groups = int(group.max()) + 1 if len(group) else 0
    given = frame[rating].to_numpy()
    key_question = (frame[domain] != "Overall").to_numpy()
    counts = np.stack([np.bincount(group[key_question & (given == r)], minlength=groups) for r in RATINGS], axis=1)
    distinct, which = np.unique(counts, axis=0, return_inverse=True)
    expected = np.array([aggregated_rating([r for r, n in zip(RATINGS, row) for _ in range(n)]) for row in distinct],
                        dtype=object)[which.reshape(-1)]
    wanted = expected[group] if groups else np.array([], dtype=object)
    is_overall = ~key_question & (wanted != "No published rating") & np.isin(given, RATINGS)
    return pd.Series(given == wanted, index=frame.index).astype("object").where(is_overall, None)
