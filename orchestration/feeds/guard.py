"""The guard every parser is called through, so that no file ends in a traceback.

First the refusals that hold for every kind (an empty file, an HTML page, UTF-16 text, a file or a zip bigger than
the feed can be: a zip bomb is refused by what its directory says it unpacks to, before anything is unpacked), then
the parser — whatever
it raises becomes one whole-file error naming the file — then two checks of the parser itself: every row is
accounted for (rows = valid + quarantined), and the valid rows have the columns and types the feed declares.
`reference` (ODS trusts) and `as_at` (the day the file is checked, for rules about future dates) go to the parsers
that take them; `as_at` is required of every caller of such a parser (check-feed's --as-at or today, a run's "as at"):
no parser reads the clock.
"""
from __future__ import annotations

import functools
import inspect
from datetime import date
from typing import Callable

import pyarrow as pa

from orchestration import crashpoints
from orchestration.feeds.report import Issue, ParseResult, display_name, not_a_feed_file, too_large

CONTEXT_ARGUMENTS = ("reference", "as_at")


def guarded(kind: str, parse: Callable[..., ParseResult], expected: str,
            schema: pa.Schema | None, max_bytes: int | None = None) -> Callable[..., ParseResult]:
    if getattr(parse, "guarded", False):
        return parse
    takes = {name for name in CONTEXT_ARGUMENTS if name in inspect.signature(parse).parameters}

    @functools.wraps(parse)
    def parse_checked(content: bytes, file: str, *, reference=None, as_at: date | None = None) -> ParseResult:
        if as_at is None and "as_at" in takes:  # the caller's mistake, not the file's: no parser reads the clock
            raise TypeError(f"{kind}: the day of the check (as_at) must be given: its rules about future dates need it")
        refusal = too_large(content, expected, max_bytes) or not_a_feed_file(content, expected)
        if refusal is not None:
            return refused(kind, file, refusal)
        given = {"reference": reference, "as_at": as_at}
        try:
            result = parse(content, file, **{name: given[name] for name in takes})
            crashpoints.reached("parse")
        except Exception as exc:  # a parser bug or a surprise it did not foresee: refuse the file, say so
            return refused(kind, file, Issue(
                f"{display_name(file)} could not be parsed as {kind}: {type(exc).__name__}: {exc} (unexpected: the "
                "file is refused until the parser handles it)", rule="parser_error"))
        accounted = result.rows_valid + result.rows_quarantined
        if result.rows != accounted:
            result.issues.append(Issue(f"the parser read {result.rows} rows but accounted for {accounted}: the file "
                                       "is refused until the parser is fixed", whole_file=True, rule="parser_error"))
            result.rows = accounted
        if schema is not None and result.accepted and not result.valid.schema.equals(schema, check_metadata=False):
            result.issues.append(Issue(
                f"the parser gave columns {_describe(result.valid.schema)}, not the declared "
                f"{_describe(schema)}: the file is refused until the parser and its declaration agree",
                whole_file=True, rule="parser_error"))
        return result

    parse_checked.guarded = True
    parse_checked.takes_reference = "reference" in takes
    return parse_checked


def refused(kind: str, file: str, issue: Issue) -> ParseResult:
    result = ParseResult(file=display_name(file), kind=kind, layout=None, valid=pa.table({}))
    result.reject_file(issue)
    return result


def _describe(schema: pa.Schema) -> str:
    return ", ".join(f"{f.name}: {f.type}" for f in schema)
