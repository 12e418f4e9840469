"""The parsed CQC API location documents of one pull (current and historic ratings)."""
from orchestration.feeds.cqc.sheet import DOMAINS, NON_RATINGS, RATINGS
from expectations.suites.cqc_principles import overall_follows_principles
from expectations.suites.rules import WARNING, between, days_before, holds, not_null, one_of, volume_band

NAME = "cqc_api_locations"
TYPES = {"location_id": "str", "provider_id": "str", "source": "str", "domain": "str", "rating": "str",
         "is_rating": "bool", "report_date": "date"}


def build(context):
    return [
        not_null("location_id"), not_null("provider_id"),
        one_of("source", ["current", "historic"]), one_of("level", ["location", "service"]),
        one_of("domain", DOMAINS), one_of("rating", [*RATINGS, *NON_RATINGS]),
        holds("is_rating_means_a_rating"),
        not_null("report_date", mostly=0.99),
        between("days_before_pull", 0, None),            # no report dated after the pull
        holds("location_of_its_provider"),               # NHS location ids start with their trust's ODS code
        holds("overall_follows_principles", WARNING, mostly=0.95),
        volume_band(context.previous_rows, 0.8, 1.25),
    ]


def derive(frame, context):
    import pandas as pd


    nhs = frame["provider_id"].str.match(r"^[A-Z0-9]{3}$", na=False)
    return frame.assign(
        is_rating_means_a_rating=frame["is_rating"] == frame["rating"].isin(RATINGS),
        days_before_pull=days_before(context.published_on, frame["report_date"]) if context.published_on else None,
        location_of_its_provider=pd.Series(
            [str(loc).startswith(str(prov)) for loc, prov in zip(frame["location_id"], frame["provider_id"])],
            index=frame.index, dtype="object").where(nhs, None),
        overall_follows_principles=overall_follows_principles(
            frame, ["location_id", "source", "level", "service", "report_date"]),
    )
