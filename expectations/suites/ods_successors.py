"""The parsed ODS successor organisations (succ.csv), against the ODS trusts: what needs another file.

The row rules — codes in shape, no organisation its own successor, the reason and indicator each layout publishes,
one row per pair of codes, no cycle — are the parser's (orchestration/feeds/ods/layouts.py, quarantine with a
reason); they are not repeated here.
"""
from expectations.suites.rules import WARNING, holds

NAME = "ods_successors"
TYPES = {"old_code": "str", "new_code": "str", "reason": "str", "effective_date": "date",
         "forward_succession": "bool"}


def build(context):
    return [
        # a trust's successor should be a trust ODS lists: a caution only, as succ.csv announces successions ahead
        # of the etr.csv that will carry the new trust (NULL: not a trust's succession, or no ODS trusts to hand)
        holds("trust_successor_known_to_ods", WARNING),
    ]


def derive(frame, context):
    known = None
    if context.ods_trusts is not None:
        codes = set(context.ods_trusts.column("organisation_code").to_pylist())
        known = frame["new_code"].isin(codes).astype("object").where(frame["old_code"].isin(codes), None)
    return frame.assign(trust_successor_known_to_ods=known)
