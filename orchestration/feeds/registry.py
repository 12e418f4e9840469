"""Every feed file the platform knows: its check-feed kind, parser, and where it lands.

`oversight check-feed` and the ingestion assets read this one table, so a file is validated the same
way on a data engineer's desk as in the pipeline.
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
from dataclasses import dataclass
from typing import Callable

import pyarrow as pa

from orchestration.feeds.cqc.api_document import parse_api_location
from orchestration.feeds.cqc.sheet import parse_ratings_sheet
from orchestration.feeds.finance.monthly import parse_finance_monthly
from orchestration.feeds.finance.tac import parse_tac
from orchestration.feeds.ods import layouts as ods
from orchestration.feeds.releases import ReleaseFeed
from orchestration.feeds.report import Issue, ParseResult, display_name, not_a_feed_file
from orchestration.feeds.workforce.sickness import parse_sickness
from orchestration.feeds.workforce.staff_group import parse_staff_group


# What each kind's file is, for the message refusing something else (an HTML page saved in its place).
EXPECTED = {
    "ods-trusts": "the ODS etr.csv (or etr.zip)", "ods-successors": "the ODS succ.csv (or succ.zip)",
    "icb-names": "the ONS ICB names CSV", "sickness-absence": "a sickness absence CSV",
    "workforce-staff-group": "a workforce statistics zip or CSV", "cqc-ratings-sheet": "a ratings spreadsheet",
    "cqc-api-location": "a CQC location JSON document", "tac": "a TAC workbook (.xlsx)",
    "finance-monthly": "a finance return CSV",
}


def guarded(kind: str, parse: Callable[..., ParseResult]) -> Callable[..., ParseResult]:
    """Every parser is called through this, so that no file ends in a traceback: first the refusals that hold for
    every kind (an empty file, an HTML page, UTF-16 text), then the parser — whatever it raises becomes one
    whole-file error naming the file — and a last check that every row is accounted for. `reference` (ODS trusts)
    goes to the parsers that take it and is ignored by the others; so does `as_at`, the day the file is checked on
    (a run's "as at" date; today where none is given), for the parsers that judge dates against it."""
    parameters = inspect.signature(parse).parameters
    takes_reference, takes_as_at = "reference" in parameters, "as_at" in parameters

    @functools.wraps(parse)
    def parse_checked(content: bytes, file: str, reference=None, as_at=None) -> ParseResult:
        refusal = not_a_feed_file(content, EXPECTED[kind])
        if refusal is not None:
            return _refused(kind, file, refusal)
        options = {**({"reference": reference} if takes_reference else {}),
                   **({"as_at": as_at} if takes_as_at else {})}
        try:
            result = parse(content, file, **options)
        except Exception as exc:  # a parser bug or a surprise it did not foresee: refuse the file, say so
            return _refused(kind, file, Issue(
                f"{display_name(file)} could not be parsed as {kind}: {type(exc).__name__}: {exc} (unexpected: the "
                "file is refused until the parser handles it)", rule="parser_error"))
        accounted = result.rows_valid + result.rows_quarantined
        if result.rows != accounted:
            result.issues.append(Issue(f"the parser read {result.rows} rows but accounted for {accounted}: the file "
                                       "is refused until the parser is fixed", whole_file=True, rule="parser_error"))
            result.rows = accounted
        return result

    parse_checked.takes_reference = takes_reference
    return parse_checked


def _refused(kind: str, file: str, issue: Issue) -> ParseResult:
    result = ParseResult(file=display_name(file), kind=kind, layout=None, valid=pa.table({}))
    result.reject_file(issue)
    return result


@dataclass(frozen=True)
class FeedFile:
    kind: str                 # check-feed kind, settings key
    feed: str                 # folder under raw/, parquet/, quarantine/ (one per publisher)
    table: str                # Parquet file name and dbt source table name
    parse: Callable[[bytes, str], ParseResult]
    description: str
    # Also keep every version received, as deltas dated by its publication, so the file can be read as it was known
    # on any date (a trust's health economy then); None keeps the current file only.
    versions: ReleaseFeed | None = None

    @property
    def asset_key_path(self) -> list[str]:
        return [self.feed, self.table]


FEED_FILES: dict[str, FeedFile] = {f.kind: dataclasses.replace(f, parse=guarded(f.kind, f.parse)) for f in [
    FeedFile("ods-trusts", "ods", "trusts", ods.parse_etr,
             "NHS trusts from ODS etr.csv (open and closed), parsed to Parquet; every version kept, dated by "
             "its publication (ods/trust_versions)",
             versions=ReleaseFeed("ods-trusts", "ods", "trust_versions", ods.parse_etr, keys=("organisation_code",),
                                  scope="whole", mirror_dir="ods", partitioned_by="publication date",
                                  description="Every version of etr.csv received, as what changed against the "
                                              "version before it, dated by its publication (Last-Modified).")),
    FeedFile("ods-successors", "ods", "successors", ods.parse_succ,
             "ODS successor organisations (succ.csv): mergers and reconfigurations"),
    FeedFile("icb-names", "ods", "icbs", ods.parse_icb_names,
             "ONS ICB names and codes: the 42 health economies (ODS code, ONS code, name)"),
]}


# Feeds published as a series of releases: one Dagster partition per release, stored as deltas.
RELEASE_FEEDS: dict[str, ReleaseFeed] = {f.kind: dataclasses.replace(f, parse=guarded(f.kind, f.parse)) for f in [
    ReleaseFeed("sickness-absence", "workforce", "sickness_absence", parse_sickness,
                keys=("month_end", "org_code"), scope="month_end", mirror_dir="workforce/sickness",
                partitioned_by="month",
                description="NHS Sickness Absence Rates: FTE days lost and available per organisation and month."),
    ReleaseFeed("cqc-ratings-sheet", "cqc", "latest_ratings", parse_ratings_sheet,
                keys=("level", "provider_id", "location_id", "service_population_group", "domain"), scope="whole",
                mirror_dir="cqc/ratings", partitioned_by="release date",
                description="CQC Latest ratings: every NHS location's and trust's current rating by service and "
                            "key question, one monthly snapshot (.ods or .xlsx) per release."),
    ReleaseFeed("workforce-staff-group", "workforce", "staff_group", parse_staff_group,
                keys=("month_end", "org_code", "staff_group", "data_type"), scope="whole",
                mirror_dir="workforce/staff_group", partitioned_by="month",
                description="NHS Workforce Statistics, Staff Group and Organisation: FTE and headcount per "
                            "organisation, staff group and month; each release carries the whole series and "
                            "revises its latest months."),
    ReleaseFeed("tac", "finance", "tac", parse_tac,
                keys=("financial_year", "org_code", "subcode", "main_code", "row_number"), scope="financial_year",
                mirror_dir="finance/tac", partitioned_by="financial_year",
                description="Trust Accounts Consolidation data: each trust's annual accounts by subcode (£000)."),
    ReleaseFeed("finance-monthly", "finance", "monthly_returns", parse_finance_monthly,
                keys=("period_end", "org_code"), scope="period_end", mirror_dir="finance/monthly",
                partitioned_by="month", restricted=True,
                description="In-year finance returns (restricted): year-to-date plan and actual surplus, income, "
                            "agency spend and ceiling, cash and capital service per trust and month."),
]}

# The CQC public API, pulled whole (paged list, then every location document): one partition per pull date.
CQC_API_FEED = ReleaseFeed(
    "cqc-api-location", "cqc", "api_locations", guarded("cqc-api-location", parse_api_location),
    keys=("location_id", "source", "level", "service", "domain", "report_link_id"), scope="whole",
    mirror_dir="cqc/api", partitioned_by="pull date",
    description="CQC public API: every NHS location's current and historic ratings (overall, key questions, "
                "services), from /locations and /locations/{id}.")

# Every kind `oversight check-feed` validates.
CHECK_KINDS: dict[str, Callable[[bytes, str], ParseResult]] = {
    **{kind: spec.parse for kind, spec in FEED_FILES.items()},
    **{kind: spec.parse for kind, spec in RELEASE_FEEDS.items()},
    "cqc-api-location": CQC_API_FEED.parse,
}
