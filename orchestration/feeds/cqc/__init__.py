"""CQC ratings: the "Latest ratings" spreadsheet and the public API (FEEDS.md §2)."""
import pyarrow as pa

from orchestration.feeds.cqc import api_document, api_pull, sheet
from orchestration.feeds.spec import MB, ApiFeed, ReleaseSeries

RATINGS_SHEET = ReleaseSeries(
    "cqc-ratings-sheet", "cqc", "latest_ratings", sheet.parse_ratings_sheet, pa.schema(sheet.SCHEMA),
    "CQC Latest ratings: every NHS location's and trust's current rating by service and key question, one monthly "
    "snapshot (.ods or .xlsx) per release.",
    expected="a ratings spreadsheet",
    keys=("level", "provider_id", "location_id", "service_population_group", "domain"), scope="whole",
    mirror_dir="cqc/ratings", partitioned_by="release date",
    max_bytes=1024 * MB)  # ~100k rows; a workbook's XML unpacks large

API_LOCATIONS = ApiFeed(
    "cqc-api-location", "cqc", "api_locations", api_document.parse_api_location, pa.schema(api_document.SCHEMA),
    "CQC public API: every NHS location's current and historic ratings (overall, key questions, services), from "
    "/locations and /locations/{id}.",
    expected="a CQC location JSON document",
    keys=("location_id", "source", "level", "service", "domain", "report_link_id"), scope="whole",
    mirror_dir="cqc/api", partitioned_by="pull date", pull=api_pull.pull_documents,
    max_bytes=16 * MB)  # one document or page: tens of kilobytes

FEEDS = (RATINGS_SHEET, API_LOCATIONS)
