"""Response models."""
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel


class Organisation(BaseModel):
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


class OrganisationDetail(Organisation):
    health_economy: EconomyRef | None = None


class HealthEconomy(BaseModel):
    code: str
    ons_code: str
    name: str
    open_trust_count: int


class HealthEconomyDetail(HealthEconomy):
    trusts: list[Organisation]


class Page(BaseModel):
    total: int
    limit: int
    offset: int
    next: str | None


class OrganisationPage(Page):
    items: list[Organisation]


class HealthEconomyPage(Page):
    items: list[HealthEconomy]


class Publication(BaseModel):
    run_id: str
    published_at: datetime
    # reference feeds: the SHA-256 of the raw file; series: each stored release → the SHA-256 of its raw file
    sources: dict[str, str | dict[str, str] | None]


class Health(BaseModel):
    status: Literal["ok"]
    publication: Publication
