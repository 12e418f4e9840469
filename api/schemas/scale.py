"""Response models of the failure scale: trust rows, criteria, changes, history, methodology, calibration."""
from datetime import date
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field

from api.responses import Row, Served


class CriterionStatus(str, Enum):
    met = "met"
    not_met = "not_met"
    not_assessable = "not_assessable"   # no data for it that month, or older than its staleness limit


class DataAccess(str, Enum):
    public = "public"
    restricted = "restricted"           # read from the in-year finance return: value and threshold for the entitled


LEVEL = Field(description="0 no identified concern … 5 systemic failure (methodology's scale)", ge=0, le=5)


class ScaleRow(Row):
    """A trust on the failure scale in one reporting month."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "code": "R0M", "name": "PENBROOK HOSPITALS NHS TRUST", "period": "2026-10-31", "level": 3,
        "level_name": "Significant concerns", "consequence": "targeted support (offered)", "methodology_version": "v1",
        "criteria_met": 3, "criteria": "finance_domains_of_concern; finance_score_multiple_concerns; "
                                       "finance_domain_score_of_concern",
        "icb_code": "QQ3", "region_code": "Y58", "peer_group": "acute", "economy_failing": False,
        "assessment_complete": True, "missing_inputs": None}]})
    code: str
    name: str
    period: date
    level: int = LEVEL
    level_name: str
    consequence: str
    methodology_version: str
    criteria_met: int = Field(description="how many entry criteria it met")
    criteria: str = Field(description="the criteria met, highest level first, `; `-separated (scorecard: details)")
    icb_code: str | None = Field(description="its health economy that month")
    region_code: str | None
    peer_group: str | None = Field(description="acute, specialist, mental health, community, ambulance, other")
    economy_failing: bool | None = Field(description="its economy failing, measured without it (null: unknown)")
    assessment_complete: bool = Field(description="false where a criterion not assessable could have put it higher")
    missing_inputs: str | None = Field(description="each criterion not assessable that could have put it higher, "
                                                   "and what it lacked")


class Criterion(BaseModel):
    """One entry criterion of the methodology, as it stood for the trust that month."""
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "criterion": "finance_score_significant", "level": 3, "status": "met", "value": "value restricted",
        "threshold": "value restricted", "source": "in-year finance return", "source_date": "2026-09-20",
        "data_access": "restricted", "value_restricted": True,
        "description": "Overall finance score at or worse than the threshold"}]})
    criterion: str
    level: int = Field(description="the level it enters")
    status: CriterionStatus
    value: str | None = Field(description="the value it was judged on (not assessable: none)")
    threshold: str | None
    source: str
    source_date: date | None = Field(description="when the source it was judged on was published")
    data_access: DataAccess
    value_restricted: bool = Field(False, description="value and threshold withheld: restricted data of a trust "
                                                      "the caller is not entitled to")
    missing_input: str | None = Field(None, description="not assessable: what was missing or stale (and its age)")
    description: str | None = None


class CriterionRow(Row):
    """A criterion × trust × month, flat (for export): the same as a scorecard's criteria."""
    trust_code: str
    period: date
    methodology_version: str
    criterion: str
    level: int
    status: CriterionStatus
    value: str | None
    threshold: str | None
    source: str
    source_date: date | None
    data_access: DataAccess
    value_restricted: bool
    missing_input: str | None = None


class ChangeRow(Row):
    """A trust whose level differs between two reporting months."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "code": "RXK", "name": "ALDERFORD NHS TRUST", "since_period": "2026-06-30", "period": "2026-10-31",
        "level_before": 1, "level": 3, "direction": "up", "criteria_added": "finance_score_significant",
        "criteria_removed": "", "icb_code": "QQ3", "peer_group": "acute"}]})
    code: str
    name: str
    since_period: date
    period: date
    level_before: int | None = Field(description="null: not on the scale then (opened since)")
    level: int | None = Field(description="null: no longer on the scale (closed)")
    direction: str = Field(description="up (worse), down (better), new, gone")
    criteria_added: str = Field(description="criteria met now and not then, `; `-separated")
    criteria_removed: str = Field(description="criteria met then and not now")
    icb_code: str | None
    peer_group: str | None


class HistoryRow(Row):
    """A trust's level in one reporting month and what changed since the month before."""
    period: date
    level: int
    level_name: str
    consequence: str
    methodology_version: str
    criteria: str
    change: str = Field(description="up, down, same, or first (the first month shown)")
    criteria_added: str
    criteria_removed: str
    icb_code: str | None


class Level(BaseModel):
    level: int
    level_name: str
    consequence: str


class Threshold(BaseModel):
    threshold: str
    value: float
    unit: str
    calibrated: bool = Field(description="moved down and up by the calibration report")
    calibration_step: float | None = Field(None, description="the calibration moves it by this step (whole "
                                                             "numbers); none: by 10%")
    description: str


class CriterionDefinition(BaseModel):
    criterion: str
    level: int
    source: str
    data_access: DataAccess
    inputs: list[str] = Field(description="the data it reads: trust_rating, finance_return, sickness, economy, "
                                          "serious_failure (level 4 criteria met)")
    thresholds: list[str]
    description: str


class FinanceBand(BaseModel):
    metric: str
    score: int = Field(description="1 best … 4 worst (SOF finance scale)")
    lower_bound: float | None
    lower_inclusive: bool
    upper_bound: float | None
    upper_inclusive: bool
    unit: str


class Methodology(Served):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "snapshot": {"id": "8091abe9", "published_at": "2026-12-01T21:00:00"}, "methodology_version": "v1",
        "levels": [{"level": 0, "level_name": "No identified concern", "consequence": "none"}],
        "criteria": [], "thresholds": [], "finance_bands": []}]})
    levels: list[Level]
    criteria: list[CriterionDefinition]
    thresholds: list[Threshold]
    finance_bands: list[FinanceBand]


class MethodologyVersions(Served):
    versions: list[str] = Field(description="oldest first")
    latest: str | None


class CalibrationRow(Row):
    """How many trusts sit at each level under a scenario, and how many move against the baseline."""
    period: date
    scenario: str
    moved_threshold: str
    direction: int | None = Field(description="-1: threshold lower, +1: higher, 0: baseline")
    move: str | None = Field(None, description="'one step' (whole numbers) or '10%'; null: baseline")
    baseline_value: float | None
    scenario_value: float | None
    trusts: int
    trusts_at_level_0: int
    trusts_at_level_1: int
    trusts_at_level_2: int
    trusts_at_level_3: int
    trusts_at_level_4: int
    trusts_at_level_5: int
    trusts_moved: int
    trusts_moved_up: int
    trusts_moved_down: int
    methodology_version: str


class WhatIfRequest(BaseModel):
    """A methodology version and any thresholds to judge every trust by instead of the published ones."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "methodology_version": "v2", "period": "2026-10-31",
        "thresholds": {"domains_for_significant": 3, "sustained_serious_months": 6}}]})
    methodology_version: str | None = Field(None, description="default: the latest in the snapshot")
    period: date | None = Field(None, description="a reporting month (month end); default: the latest")
    thresholds: dict[str, float] = Field(default_factory=dict, description="threshold name → value (names as "
                                         "in GET /methodology/{version}); those not given keep their published value")


class WhatIfTrust(BaseModel):
    code: str
    level: int = LEVEL
    published_level: int = LEVEL
    moved: int = Field(description="level − published level")
    assessment_complete: bool


class WhatIfLevel(BaseModel):
    level: int = LEVEL
    trusts: int
    published_trusts: int


class WhatIf(Served):
    """Every trust's level in a month under the thresholds asked for, beside the published levels."""
    thresholds: list[Threshold] = Field(description="every threshold of the version, as used")
    changed: list[str] = Field(description="the thresholds that differ from the published ones")
    distribution: list[WhatIfLevel]
    trusts_moved: int
    trusts_moved_up: int
    trusts_moved_down: int
    trusts: list[WhatIfTrust] = Field(description="every trust, those that moved first (most first), then by code")
