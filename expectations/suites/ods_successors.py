"""The parsed ODS successor organisations (succ.csv): mergers and reconfigurations."""
from expectations.suites.rules import WARNING, holds, matches, not_null, one_of, unique

NAME = "ods_successors"
TYPES = {"old_code": "str", "new_code": "str", "reason": "str", "effective_date": "date", "indicator": "str"}


def build(context):
    return [
        not_null("old_code"), not_null("new_code"), not_null("effective_date"),
        matches("old_code", r"^[A-Z0-9]{3,6}$"), matches("new_code", r"^[A-Z0-9]{3,6}$"),
        unique("old_code", "new_code"),
        one_of("reason", ["F", "O", "R"]),
        one_of("indicator", ["F", "X", None, ""]),
        holds("succeeds_another_organisation"),           # never its own successor
        holds("successor_known_to_ods", WARNING),         # a successor trust ODS lists (NULL: no reference)
    ]


def derive(frame, context):
    known = None
    if context.ods_trusts is not None:
        codes = set(context.ods_trusts.column("organisation_code").to_pylist())
        known = frame["new_code"].isin(codes)
    return frame.assign(succeeds_another_organisation=frame["old_code"] != frame["new_code"],
                        successor_known_to_ods=known if known is not None else None)
