"""Who is calling, and whose restricted data they may read (DOMAIN.md, Access).

- `national`: everything, restricted data of every trust included.
- `commissioner` for ICB X: public data everywhere; restricted data of the trusts in X — a trust is in X for a
  reporting month when ODS placed it in X by that month's end (the economy each trust-month belongs to in the marts).
- `provider` for trust T: public data everywhere; restricted data of T itself.
- `public` (no key, if the deployment admits anonymous callers): public data only.

Restricted data is the monthly in-year finance return and anything computed from it: a finance criterion's value
and threshold, and an aggregate over fewer trusts than `api_restricted_aggregate_min_trusts` (a figure of one or
two trusts would let a reader work out a trust's own). Responses depend on the caller only through its
`Entitlement`, which is what the response cache is keyed by.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from api.keys import ApiKey, KeyRefused, Role
from api.problems import Problem


@dataclass(frozen=True)
class Entitlement:
    """Whose restricted data a caller may read: everyone's, one economy's trusts, one trust's, or nobody's."""
    role: Role
    org: str | None = None

    @property
    def key(self) -> str:
        return f"{self.role.value}:{self.org or ''}"

    def covers(self, trust_code: str | None, icb_code: str | None) -> bool:
        """May the caller read this trust's restricted data for a month in which it belonged to `icb_code`?"""
        if self.role is Role.national:
            return True
        if self.role is Role.commissioner:
            return icb_code is not None and icb_code == self.org
        if self.role is Role.provider:
            return trust_code is not None and trust_code == self.org
        return False

    @property
    def everything(self) -> bool:
        return self.role is Role.national


PUBLIC = Entitlement(Role.public)


@dataclass(frozen=True)
class Caller:
    key: ApiKey | None        # None: anonymous
    address: str

    @property
    def role(self) -> Role:
        return self.key.role if self.key else Role.public

    @property
    def entitlement(self) -> Entitlement:
        return Entitlement(self.key.role, self.key.org_code) if self.key else PUBLIC

    @property
    def identity(self) -> str:
        """What the rate limit counts by: the key, or the client's address for anonymous callers."""
        return f"key:{self.key.key_id}" if self.key else f"address:{self.address}"


class RateLimiter:
    """A token bucket per caller: `per_minute` requests a minute on average, up to `burst` at once. Each of the
    `workers` processes enforces its share of the limit, so a caller spread across them gets about the limit
    in total (an approximation, traded for no shared write on every request)."""

    def __init__(self, per_minute: int, burst: int, workers: int = 1, clock: Callable[[], float] = time.monotonic):
        self.rate = per_minute / 60 / max(workers, 1)
        self.capacity = max(burst / max(workers, 1), 1.0)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def retry_after(self, identity: str) -> float | None:
        """None if the request may go ahead (and count it), else the seconds until it could."""
        if self.rate <= 0:
            return None
        now = self.clock()
        tokens, then = self._buckets.get(identity, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - then) * self.rate)
        if tokens < 1:
            self._buckets[identity] = (tokens, now)
            return (1 - tokens) / self.rate
        if len(self._buckets) > 100_000:  # forget idle callers rather than grow without bound
            self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 60}
        self._buckets[identity] = (tokens - 1, now)
        return None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "the Authorization header must be `Bearer <API key>`", title="Unauthorized",
                      headers={"WWW-Authenticate": 'Bearer error="invalid_request"'})
    return token.strip()


# Declares the scheme in the OpenAPI document (the header itself is read by `_bearer`, which refuses other schemes)
_SCHEME = HTTPBearer(auto_error=False, scheme_name="APIKey",
                     description="An API key from `oversight keys create`: `Authorization: Bearer ovk_…`")


def identify(request: Request) -> Caller:
    """The caller of this request, its key checked: malformed, unknown and revoked keys are refused (401), never
    treated as anonymous. One indexed SQLite read per keyed request, on the event loop."""
    state = request.app.state
    presented = _bearer(request)
    address = request.client.host if request.client else "unknown"
    if presented is None:
        if not state.settings.api_anonymous:
            raise Problem(401, "this deployment serves keyed callers only: send `Authorization: Bearer <API key>`",
                          title="Unauthorized", headers={"WWW-Authenticate": "Bearer"})
        return Caller(None, address)
    try:
        return Caller(state.keys.verify(presented), address)
    except KeyRefused as refused:
        raise Problem(401, str(refused), title="Unauthorized",
                      headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None


async def authenticate(request: Request, _declared: Annotated[object, Depends(_SCHEME)] = None) -> Caller:
    """The caller (identify), its rate limit counted."""
    state = request.app.state
    caller = identify(request)
    wait = state.rate_limiter.retry_after(caller.identity)
    if wait is not None:
        raise Problem(429, f"rate limit of {state.settings.api_rate_limit} requests a minute reached",
                      title="Too many requests", headers={"Retry-After": str(max(1, round(wait + 0.5)))})
    return caller


CallerDep = Annotated[Caller, Depends(authenticate)]


async def require_national(caller: CallerDep) -> Caller:
    if caller.role is not Role.national:
        raise Problem(403 if caller.key else 401, "only national keys may read the audit log",
                      title="Forbidden" if caller.key else "Unauthorized")
    return caller


NationalCaller = Annotated[Caller, Depends(require_national)]
