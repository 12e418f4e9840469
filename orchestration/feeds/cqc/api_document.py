"""One CQC API location document (`GET /locations/{id}`, FEEDS.md §2a) as rating rows.

`currentRatings` gives the location's overall and key-question ratings and each service's; `historicRatings`
the earlier reports' overall and key-question ratings. One row per rating, with where it came from (its JSON
path), so a malformed entry is quarantined by name and the rest of the document is kept.
"""
from __future__ import annotations

import json
from datetime import date

import pyarrow as pa

from orchestration.feeds.cqc.sheet import DOMAINS, NON_RATINGS, RATINGS
from orchestration.feeds.report import Issue, ParseResult, decode_text, display_name, future_date_problem

LAYOUT = "cqc-api-location-v1"
SCHEMA = {
    "location_id": pa.string(), "provider_id": pa.string(), "source": pa.string(), "level": pa.string(),
    "service": pa.string(), "domain": pa.string(), "rating": pa.string(), "is_rating": pa.bool_(),
    "report_date": pa.date32(), "report_link_id": pa.string(), "registration_status": pa.string(),
    "_json_path": pa.string(), "_source_row": pa.int64(),
}


def parse_api_location(content: bytes, file: str = "location.json") -> ParseResult:
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
    result.layout = LAYOUT
    entries = list(_entries(document))
    rows = []
    by_key: dict[tuple, list[int]] = {}
    record_of: dict[int, str] = {}
    paths = {n: entry[0] for n, entry in enumerate(entries, 1)}
    for n, (path, source, level, service, domain, rating, report_date, link) in enumerate(entries, 1):
        result.rows += 1
        record_of[n] = json.dumps({"path": path, "service": service, "domain": domain, "rating": rating,
                                   "reportDate": report_date})
        problems = []
        if rating not in RATINGS and rating not in NON_RATINGS:
            problems.append(Issue(f"unknown rating {rating!r}", n, path, str(rating), rule="unknown_category"))
        if domain not in DOMAINS:
            problems.append(Issue(f"unknown key question {domain!r}", n, path, str(domain), rule="unknown_category"))
        parsed_date = None
        try:
            parsed_date = date.fromisoformat(str(report_date)[:10]) if report_date else None
        except ValueError:
            problems.append(Issue(f"report date {report_date!r} is not YYYY-MM-DD", n, path, str(report_date),
                                  rule="date_format"))
        if parsed_date is not None:
            problems.append(future_date_problem(parsed_date, n, path, str(report_date)))
        problems = [p for p in problems if p is not None]
        if problems:
            result.quarantine_row(n, record_of[n], problems)
            continue
        by_key.setdefault((source, level, service, domain, parsed_date), []).append(n)
        rows.append({"location_id": document["locationId"], "provider_id": document.get("providerId"),
                     "source": source, "level": level, "service": service, "domain": domain, "rating": rating,
                     "is_rating": rating in RATINGS, "report_date": parsed_date, "report_link_id": link,
                     "registration_status": document.get("registrationStatus"), "_json_path": path,
                     "_source_row": n})
    # two ratings for one service, key question and report: which one CQC meant cannot be known
    duplicates = result.quarantine_duplicates(by_key, paths.__getitem__, "rating for", record_of.__getitem__,
                                              value_of=lambda key: key[3],
                                              label_of=lambda key: " / ".join(str(k) for k in key if k))
    rows = [r for r in rows if r["_source_row"] not in duplicates]
    result.valid = pa.table({name: pa.array([r[name] for r in rows], kind) for name, kind in SCHEMA.items()})
    result.notes = {"location_id": document["locationId"],
                    "historic_reports": len(document.get("historicRatings") or []),
                    "registration_status": document.get("registrationStatus")}
    return result


def _entries(document: dict):
    """(json path, source, level, service, domain, rating, report date, report link) for every rating."""
    current = document.get("currentRatings") or {}
    overall = current.get("overall") or {}
    if overall:
        yield ("currentRatings.overall", "current", "location", "Overall", "Overall", overall.get("rating"),
               overall.get("reportDate"), overall.get("reportLinkId"))
        for i, kq in enumerate(overall.get("keyQuestionRatings") or []):
            yield (f"currentRatings.overall.keyQuestionRatings[{i}]", "current", "location", "Overall", kq.get("name"),
                   kq.get("rating"), kq.get("reportDate") or overall.get("reportDate"), kq.get("reportLinkId"))
    for s, service in enumerate(current.get("serviceRatings") or []):
        path = f"currentRatings.serviceRatings[{s}]"
        yield (path, "current", "service", service.get("name"), "Overall", service.get("rating"),
               service.get("reportDate"), service.get("reportLinkId"))
        for i, kq in enumerate(service.get("keyQuestionRatings") or []):
            yield (f"{path}.keyQuestionRatings[{i}]", "current", "service", service.get("name"), kq.get("name"),
                   kq.get("rating"), service.get("reportDate"), None)
    for h, report in enumerate(document.get("historicRatings") or []):
        path = f"historicRatings[{h}]"
        past = report.get("overall") or {}
        yield (f"{path}.overall", "historic", "location", "Overall", "Overall", past.get("rating"),
               report.get("reportDate"), report.get("reportLinkId"))
        for i, kq in enumerate(past.get("keyQuestionRatings") or []):
            yield (f"{path}.overall.keyQuestionRatings[{i}]", "historic", "location", "Overall", kq.get("name"),
                   kq.get("rating"), report.get("reportDate"), report.get("reportLinkId"))
