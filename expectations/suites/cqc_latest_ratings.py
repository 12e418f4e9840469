"""The parsed CQC "Latest ratings" release (Locations and Providers sheets, long format)."""
from orchestration.feeds.cqc.sheet import DOMAINS, NON_RATINGS, RATINGS
from expectations.suites.cqc_principles import overall_follows_principles
from expectations.suites.rules import WARNING, between, days_before, holds, not_null, one_of, unique, volume_band

NAME = "cqc_latest_ratings"
TYPES = {"level": "str", "provider_id": "str", "location_id": "str", "domain": "str", "rating": "str",
         "is_rating": "bool", "publication_date": "date", "inherited": "bool"}


def build(context):
    return [
        not_null("provider_id"), one_of("level", ["location", "provider"]),
        holds("location_id_where_a_location"),
        unique("level", "provider_id", "location_id", "service_population_group", "domain"),
        one_of("domain", DOMAINS),
        one_of("rating", [*RATINGS, *NON_RATINGS]),
        holds("is_rating_means_a_rating"),               # non-ratings are kept but never scored
        not_null("publication_date"), not_null("inherited"),
        between("days_before_release", 0, None),         # no rating published after the release itself
        holds("overall_follows_principles", WARNING, mostly=0.95),  # CQC may use judgement: a caution only
        volume_band(context.previous_rows, 0.8, 1.25),
    ]


def derive(frame, context):

    return frame.assign(
        location_id_where_a_location=(frame["location_id"].notna() | (frame["level"] != "location")),
        is_rating_means_a_rating=frame["is_rating"] == frame["rating"].isin(RATINGS),
        days_before_release=days_before(context.published_on, frame["publication_date"])
        if context.published_on else None,
        overall_follows_principles=overall_follows_principles(
            frame, ["level", "provider_id", "location_id", "service_population_group"]),
    )
