"""The parsed CQC "Latest ratings" release (Locations and Providers sheets, long format): what needs the whole
release, its date or the release before.

The row rules — ids, domains, rating words (non-ratings kept, never scored), publication dates, the inherited flag,
one rating per level, id, service and domain — are the parser's (orchestration/feeds/cqc/sheet.py); not repeated
here.
"""
from expectations.suites.cqc_principles import overall_follows_principles
from expectations.suites.rules import WARNING, between, days_before, holds, volume_band

NAME = "cqc_latest_ratings"
TYPES = {"level": "str", "provider_id": "str", "location_id": "str", "domain": "str", "rating": "str",
         "is_rating": "bool", "publication_date": "date", "inherited": "bool"}


def build(context):
    return [
        between("days_before_release", 0, None),         # no rating published after the release itself
        holds("overall_follows_principles", WARNING, mostly=0.95),  # CQC may use judgement: a caution only
        volume_band(context.previous_rows, 0.8, 1.25),
    ]


def derive(frame, context):
    return frame.assign(
        days_before_release=days_before(context.published_on, frame["publication_date"])
        if context.published_on else None,
        overall_follows_principles=overall_follows_principles(
            frame, ["level", "provider_id", "location_id", "service_population_group"]),
    )
