"""Response models of organisations, health economies and the publication."""
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from api.responses import Row, Served


class Organisation(Row):
    code: str
    name: str
    type: Literal["trust", "icb"]
    region_code: str | None = None
    icb_code: str | None = None
    ons_code: str | None = None
    postcode: str | None = None
    open_date: date | None = None
    close_date: date | None = None
    is_open: bool
    successor_code: str | None = None
    successor_effective_date: date | None = None
    current_successor_code: str | None = None


class EconomyRef(BaseModel):
    code: str
    name: str


class OrganisationDetail(Served, Organisation):
    health_economy: EconomyRef | None = None


class HealthEconomyRow(Row):
    code: str
    ons_code: str
    name: str
    open_trust_count: int


class HealthEconomyDetail(Served):
    code: str
    ons_code: str
    name: str
    open_trust_count: int
    trusts: list[Organisation]


class Publication(BaseModel):
    run_id: str
    published_at: datetime
    # reference feeds: the SHA-256 of the raw file; series: each stored release → the SHA-256 of its raw file
    sources: dict[str, str | dict[str, str] | None]


class Health(BaseModel):
    status: Literal["ok"]
    publication: Publication
