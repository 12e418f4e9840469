"""Response model of the audit log."""
from pydantic import ConfigDict, Field

from api.responses import Row


class AuditRecord(Row):
    """One organisation's restricted data in one response."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "seq": 41, "recorded_at": "2026-12-01T21:30:02.118204+00:00", "request_id": "5f0c0e3c9d1e4a8c9f7f0c2b1a3d4e5f",
        "key_id": "3fa94c0d12ab", "key_name": "NHSE oversight team", "role": "national", "key_org": None,
        "organisation": "R0M", "resource": "in-year finance return", "method": "GET",
        "path": "/api/v1/trusts/R0M/finance", "query": "", "snapshot": "8091abe9-1ce8-4ba1-934d-0ea93699c76e"}]})
    seq: int = Field(description="order of writing: a stable order for paging")
    recorded_at: str = Field(description="UTC, ISO 8601")
    request_id: str = Field(description="the records of one response share it")
    key_id: str
    key_name: str
    role: str
    key_org: str | None
    organisation: str = Field(description="whose restricted data was read")
    resource: str = Field(description="what was read")
    method: str
    path: str
    query: str
    snapshot: str = Field(description="the published snapshot it was read from")
