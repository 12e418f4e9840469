"""Response models of the freshness report: what the platform holds of each feed."""
from datetime import date

from pydantic import Field

from api.responses import Row


class FeedFreshness(Row):
    feed: str = Field(description="the feed's kind (oversight check-feed KIND), e.g. sickness-absence",
                      examples=["sickness-absence"])
    asset: str = Field(description="the ingestion asset, e.g. workforce/sickness_absence")
    description: str
    is_series: bool = Field(description="published as a series of releases (else a current file replaced in place)")
    partitioned_by: str | None = Field(None, description="how its releases are keyed: month, release date, …")
    restricted: bool = Field(description="restricted data (the in-year finance return): its figures are not public")
    status: str = Field(description="'held', or 'no releases' where the platform holds none (never read as fine)",
                        examples=["held", "no releases"])
    releases_held: int
    latest_release: str | None = Field(None, description="the newest release held (for a current file: none)")
    latest_file: str | None = None
    latest_published_on: date | None = Field(None, description="when the world could know the newest release")
    latest_received_on: date | None = Field(None, description="when the platform received it")
    days_since_published: int | None = Field(None, description="to the as-at date of the run that published this")
    latest_rows: int | None = None
    latest_layout: str | None = None
    as_at: date = Field(description="the as-at date of the run that built the report")
