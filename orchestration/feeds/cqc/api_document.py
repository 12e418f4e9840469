"""One CQC API location document (`GET /locations/{id}`, FEEDS.md §2a) as rating rows.

`currentRatings` gives the location's overall and key-question ratings and each service's; `historicRatings`
the earlier reports' overall and key-question ratings. One row per rating, with where it came from (its JSON
path), so a malformed entry is quarantined by name and the rest of the document is kept.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

import pyarrow as pa

from orchestration.feeds.cqc.sheet import DOMAINS, NON_RATINGS, RATINGS
from orchestration.feeds.report import Issue, ParseResult, decode_text, display_name, future_date_problem

LAYOUT = "cqc-api-location-v1"
SCHEMA = {
    "location_id": pa.string(), "provider_id": pa.string(), "source": pa.string(), "level": pa.string(),
    "service": pa.string(), "domain": pa.string(), "rating": pa.string(), "is_rating": pa.bool_(),
    "report_date": pa.date32(), "report_link_id": pa.string(), "registration_status": pa.string(),
    # whether a rating is inherited, from the document itself: the location's registration with this provider and
    # the predecessor it names (`relationships`, type "HSCA Predecessor"); a report up to that registration was
    # the predecessor's (FEEDS.md §2b: an inherited rating is never aggregated into the new provider's)
    "registration_date": pa.date32(), "predecessor_location_id": pa.string(),
    "_json_path": pa.string(), "_source_row": pa.int64(),
}


def parse_api_location(content: bytes, file: str = "location.json", *, as_at: date) -> ParseResult:
    """One row per rating the document holds (FEEDS.md §2a), each checked on its own: a malformed entry is
    quarantined by its JSON path and the rest kept. What real documents hold, none of it an error:
    - a non-rating (`No published rating`, `Inspected but not rated`) without `reportDate` or `reportLinkId`:
      kept as a non-rating (is_rating false, report date NULL), never scored;
    - two historic reports on one date: told apart by `reportLinkId` — the report, not the date, is the key;
    - a historic `overall` holding `keyQuestionRatings` but no `rating`: its row kept with rating NULL (the report
      rated key questions, not the location overall), its key questions kept as rated.
    A report dated after `as_at` (the day of the check) is quarantined."""
    result = ParseResult(file=display_name(file), kind="cqc-api-location", layout=None, valid=pa.table({}),
                         max_quarantined_share=0.0)
    text = decode_text(content, result.file, result.issues)
    if text is None:
        return result
    try:
        document = json.loads(text)
    except ValueError as exc:
        cut = getattr(exc, "pos", 0) >= len(text.rstrip()) - 1  # the parser ran out of text mid-document
        result.reject_file(Issue(f"not JSON: {exc}" + ("; the document ends part-way through: it looks truncated"
                                                       if cut else ""), rule="truncated_file" if cut else "not_json"))
        return result
    if not isinstance(document, dict) or not document.get("locationId"):
        result.reject_file(Issue("not a CQC location document: no locationId", rule="unknown_layout"))
        return result
    problem = _document_problem(document)
    if problem is not None:
        result.reject_file(problem)
        return result
    result.layout = LAYOUT
    registration_date = _iso_date(document.get("registrationDate"))
    predecessor = next((r.get("relatedLocationId") for r in document.get("relationships") or []
                        if isinstance(r, dict) and r.get("type") == "HSCA Predecessor"), None)
    rows = []
    by_key: dict[tuple, list[int]] = {}
    record_of: dict[int, str] = {}
    entries = list(_entries(document))
    paths = {n: entry.path for n, entry in enumerate(entries, 1)}
    for n, entry in enumerate(entries, 1):
        result.rows += 1
        record_of[n] = json.dumps({"path": entry.path, "service": entry.service, "domain": entry.domain,
                                   "rating": entry.rating, "reportDate": entry.report_date,
                                   "reportLinkId": entry.report_link_id})
        problems, parsed_date = _entry_problems(entry, n, as_at)
        if problems:
            result.quarantine_row(n, record_of[n], problems)
            continue
        by_key.setdefault((entry.source, entry.level, entry.service, entry.domain, entry.report_link_id), []).append(n)
        rows.append({"location_id": document["locationId"], "provider_id": document["providerId"],
                     "source": entry.source, "level": entry.level, "service": entry.service, "domain": entry.domain,
                     "rating": entry.rating, "is_rating": entry.rating in RATINGS, "report_date": parsed_date,
                     "report_link_id": entry.report_link_id,
                     "registration_status": document.get("registrationStatus"),
                     "registration_date": registration_date, "predecessor_location_id": predecessor,
                     "_json_path": entry.path, "_source_row": n})
    # two ratings for one service and key question in one report (or, without report links, on one document's same
    # footing): which one CQC meant cannot be known
    duplicates = result.quarantine_duplicates(by_key, paths.__getitem__, "rating for", record_of.__getitem__,
                                              value_of=lambda key: key[3],
                                              label_of=lambda key: " / ".join(str(k) for k in key if k))
    rows = [r for r in rows if r["_source_row"] not in duplicates]
    result.valid = pa.table({name: pa.array([r[name] for r in rows], kind) for name, kind in SCHEMA.items()})
    historic = document.get("historicRatings") or []
    dates = [h.get("reportDate") for h in historic if isinstance(h, dict)]
    result.notes = {"location_id": document["locationId"],
                    "historic_reports": len(historic),
                    "historic_reports_sharing_a_date": sum(dates.count(d) for d in set(dates) if dates.count(d) > 1),
                    "non_ratings_without_a_report_date": sum(1 for r in rows
                                                             if not r["is_rating"] and r["report_date"] is None),
                    "overall_without_a_rating": sum(1 for r in rows if r["rating"] is None),
                    "registration_status": document.get("registrationStatus")}
    return result


def _iso_date(text) -> date | None:
    """An ISO date as the API writes it (`2019-04-01`, or with a time); anything else: unknown."""
    try:
        return date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Entry:
    """One rating as the document gives it, with where it sits (its JSON path) and the report it belongs to."""
    path: str
    source: str              # current | historic
    level: str               # location | service
    service: str             # "Overall" for the location's own ratings
    domain: str | None       # Overall or a key question
    rating: str | None
    report_date: str | None  # its own, else its report's
    report_link_id: str | None
    may_lack_rating: bool = False  # a historic overall holding key-question ratings: its own rating may be absent


# NHS trusts' CQC provider ids are their ODS codes, and their locations' ids start with them (FEEDS.md §2a)
NHS_PROVIDER = re.compile(r"^[A-Z0-9]{3}$")


def _document_problem(document: dict) -> Issue | None:
    """What makes a document unusable as a whole: no provider, or an NHS location filed under another trust."""
    provider, location = document.get("providerId"), str(document["locationId"])
    if not provider:
        return Issue(f"location {location} has no providerId: whose ratings these are cannot be known",
                     column="providerId", rule="empty_key")
    if NHS_PROVIDER.match(str(provider)) and not location.startswith(str(provider)):
        return Issue(f"NHS location {location} does not start with its trust's code {provider} (NHS location ids "
                     "are the trust's ODS code and a site number)", column="locationId", value=location,
                     rule="code_format")
    return None


def _entry_problems(entry: Entry, n: int, as_at: date) -> tuple[list[Issue], date | None]:
    """The row rules of one rating; its report date parsed where it has one."""
    problems: list[Issue | None] = []
    if entry.rating is None:
        if not entry.may_lack_rating:
            problems.append(Issue("no rating", n, entry.path, rule="empty_value"))
    elif entry.rating not in RATINGS and entry.rating not in NON_RATINGS:
        problems.append(Issue(f"unknown rating {entry.rating!r}", n, entry.path, str(entry.rating),
                              rule="unknown_category"))
    if entry.domain not in DOMAINS:
        problems.append(Issue(f"unknown key question {entry.domain!r}", n, entry.path, str(entry.domain),
                              rule="unknown_category"))
    parsed_date = None
    if entry.report_date:
        try:
            parsed_date = date.fromisoformat(str(entry.report_date)[:10])
        except ValueError:
            problems.append(Issue(f"report date {entry.report_date!r} is not YYYY-MM-DD", n, entry.path,
                                  str(entry.report_date), rule="date_format"))
        else:
            problems.append(future_date_problem(parsed_date, n, entry.path, str(entry.report_date), as_at))
    if entry.rating in RATINGS and not entry.report_date:  # a non-rating may come without its report; a rating not
        problems.append(Issue(f"rating {entry.rating!r} without a reportDate: when CQC published it cannot be known",
                              n, entry.path, rule="empty_key"))
    return [p for p in problems if p is not None], parsed_date


def _entries(document: dict):
    """Every rating the document holds, current then historic."""
    current = document.get("currentRatings") or {}
    overall = current.get("overall") or {}
    if overall:
        date_, link = overall.get("reportDate"), overall.get("reportLinkId")
        yield Entry("currentRatings.overall", "current", "location", "Overall", "Overall", overall.get("rating"),
                    date_, link)
        for i, kq in enumerate(overall.get("keyQuestionRatings") or []):
            yield Entry(f"currentRatings.overall.keyQuestionRatings[{i}]", "current", "location", "Overall",
                        kq.get("name"), kq.get("rating"), kq.get("reportDate") or date_,
                        kq.get("reportLinkId") or link)
    for s, service in enumerate(current.get("serviceRatings") or []):
        path = f"currentRatings.serviceRatings[{s}]"
        date_, link = service.get("reportDate"), service.get("reportLinkId")
        yield Entry(path, "current", "service", service.get("name"), "Overall", service.get("rating"), date_, link)
        for i, kq in enumerate(service.get("keyQuestionRatings") or []):
            yield Entry(f"{path}.keyQuestionRatings[{i}]", "current", "service", service.get("name"),
                        kq.get("name"), kq.get("rating"), kq.get("reportDate") or date_,
                        kq.get("reportLinkId") or link)
    for h, report in enumerate(document.get("historicRatings") or []):
        path = f"historicRatings[{h}]"
        date_, link = report.get("reportDate"), report.get("reportLinkId")
        past = report.get("overall") or {}
        key_questions = past.get("keyQuestionRatings") or []
        yield Entry(f"{path}.overall", "historic", "location", "Overall", "Overall", past.get("rating"), date_, link,
                    may_lack_rating=bool(key_questions))
        for i, kq in enumerate(key_questions):
            yield Entry(f"{path}.overall.keyQuestionRatings[{i}]", "historic", "location", "Overall",
                        kq.get("name"), kq.get("rating"), date_, link)
