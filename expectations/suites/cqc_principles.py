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
    principles give from them; NULL on other rows and where the group has no rated key question."""
    import pandas as pd

    key_questions = frame[frame[domain] != "Overall"]
    keys = [frame[c].astype("string").fillna("") for c in group_columns]
    group = pd.Series(list(zip(*keys)), index=frame.index)
    expected = (key_questions.assign(_group=group[key_questions.index])
                .groupby("_group")[rating].agg(lambda r: aggregated_rating(list(r))))
    wanted = group.map(expected)
    is_overall = (frame[domain] == "Overall") & wanted.notna() & (wanted != "No published rating") \
        & frame[rating].isin(RATINGS)
    return (frame[rating] == wanted).astype("object").where(is_overall, None)
