"""The parsed CQC API location documents of one pull (current and historic ratings): what needs context.

The row rules — rating and key-question words, a rating with its report date, a non-rating allowed
without one, one rating per service, key question and report, a provider for every location and NHS locations
under their trust's code — are the parser's (orchestration/feeds/cqc/api_document.py), which quarantines by JSON
path; they are not repeated here. A key question rated `No published rating` has no report date: that is CQC's
way, not missing data.
"""
from expectations.suites.cqc_principles import overall_follows_principles
from expectations.suites.rules import WARNING, between, days_before, holds, volume_band

NAME = "cqc_api_locations"
TYPES = {"location_id": "str", "provider_id": "str", "source": "str", "domain": "str", "rating": "str",
         "is_rating": "bool", "report_date": "date", "report_link_id": "str"}


def build(context):
    return [
        between("days_before_pull", 0, None),            # no report dated after the pull (NULL: no report)
        holds("overall_follows_principles", WARNING, mostly=0.95),  # CQC may use judgement: a caution only
        volume_band(context.previous_rows, 0.8, 1.25),   # ratings against the pull before
    ]


def derive(frame, context):
    return frame.assign(
        days_before_pull=days_before(context.published_on, frame["report_date"]) if context.published_on else None,
        # one report's key questions against its own overall: grouped by the report, not its date (two reports
        # may share one)
        overall_follows_principles=overall_follows_principles(
            frame, ["location_id", "source", "level", "service", "report_link_id"]),
    )
