"""The published snapshot the API reads, and the reporting month a request asks about.

The snapshot is immutable: the pipeline replaces the whole file (os.replace) when it publishes, never changes it.
So the API opens each snapshot once — a *generation*: an in-memory DuckDB with the file ATTACHed read-only, plus
what every request needs of it (its id, reporting months, methodology versions, which economy each trust-month
belongs to) read once — and every response computed from it can be kept until the next one (responses.py).
Checking for a new file costs one stat() per request; nothing else touches the file until it changes.
"""
from __future__ import annotations

import re
import threading
from calendar import monthrange
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import duckdb
from fastapi import Depends, Query, Request

from api.problems import Problem


def version_order(version: str) -> tuple:
    """Methodology versions in order: v2 after v1, v10 after v9."""
    return tuple(int(p) if p.isdigit() else p for p in re.findall(r"\d+|\D+", version))


@dataclass(frozen=True)
class Snapshot:
    id: str                                   # the pipeline run that published it
    published_at: datetime
    periods: tuple[date, ...]                 # reporting months (month ends), oldest first
    methodologies: tuple[str, ...]            # methodology versions in the failure scale, oldest first
    membership: Mapping[tuple[str, date], str] = field(repr=False)  # (trust, month) → its ICB that month

    @property
    def latest_methodology(self) -> str | None:
        return self.methodologies[-1] if self.methodologies else None

    def methodology(self, requested: str | None) -> str:
        if requested is None:
            if self.latest_methodology is None:
                raise Problem(503, "the published snapshot holds no failure scale yet")
            return self.latest_methodology
        if requested not in self.methodologies:
            raise Problem(404, f"no methodology {requested!r} in this snapshot; it holds "
                               f"{', '.join(self.methodologies) or 'none'}")
        return requested

    def icb_of(self, trust_code: str, period: date) -> str | None:
        return self.membership.get((trust_code, period))

    def period_for(self, when: When) -> date:
        """The reporting month a request is about: `period` as given, or the latest month ending on or before
        `as_of`, or the latest month."""
        if not self.periods:
            raise Problem(503, "the published snapshot holds no reporting months yet")
        if when.period is not None:
            if when.period not in self.periods:
                raise Problem(404, f"no reporting month {when.period:%Y-%m} in this snapshot; it holds "
                                   f"{self.periods[0]:%Y-%m} to {self.periods[-1]:%Y-%m}")
            return when.period
        if when.as_of is not None:
            known = [p for p in self.periods if p <= when.as_of]
            if not known:
                raise Problem(404, f"nothing had been published by {when.as_of} in this snapshot: its first "
                                   f"reporting month ends {self.periods[0]}")
            return known[-1]
        return self.periods[-1]

    def periods_between(self, start: date | None, end: date | None, when: When) -> list[date]:
        """Reporting months from `start` to `end` (inclusive, month ends), none after `as_of` (or `period`)."""
        last = self.period_for(when) if (when.as_of or when.period) else (self.periods[-1] if self.periods else None)
        return [p for p in self.periods if (start is None or p >= start) and (end is None or p <= end)
                and last is not None and p <= last]


def _load(connection: duckdb.DuckDBPyConnection) -> Snapshot:
    [(run_id, published_at)] = connection.execute("SELECT run_id, published_at FROM publication").fetchall()
    tables = {t for (t,) in connection.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    periods, versions, membership = [], [], {}
    if "fct_trust_failure_scale" in tables:
        rows = connection.execute("SELECT trust_code, period, icb_code, methodology_version "
                                  "FROM fct_trust_failure_scale").fetchall()
        membership = {(t, p): i for t, p, i, _ in rows}
        periods = sorted({p for _, p, _, _ in rows})
        versions = sorted({v for *_, v in rows}, key=version_order)
    return Snapshot(run_id, published_at, tuple(periods), tuple(versions), membership)


@dataclass(frozen=True)
class Generation:
    snapshot: Snapshot
    connection: duckdb.DuckDBPyConnection = field(repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own for one builder (a DuckDB connection is not shared between threads; making the
        cursor is done one thread at a time)."""
        with self._lock:
            cursor = self.connection.cursor()
        cursor.execute(f"USE {Warehouse.ALIAS}")
        return cursor


class Warehouse:
    """The published snapshot, opened read-only and reopened when a new one is swapped in.

    Each generation is a fresh in-memory DuckDB with the snapshot ATTACHed read-only: DuckDB caches database
    instances by path, so reconnecting to the same path could hand back the old (replaced) file. An old generation
    stays readable (its file unlinked but open) until the last request using it finishes.
    """

    ALIAS = "serving"

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._identity = None
        self._generation: Generation | None = None

    def current(self) -> Generation:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            raise Problem(503, f"no published snapshot at {self.path}: run `oversight run` to build and publish "
                               "one") from None
        identity = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        generation = self._generation
        if identity == self._identity and generation is not None:
            return generation
        with self._lock:
            if identity != self._identity or self._generation is None:
                connection = duckdb.connect()
                # the path is the API's own setting, never a request's: quoted, not a parameter (ATTACH takes none)
                connection.execute(f"ATTACH '{_sql_string(self.path)}' AS {self.ALIAS} (READ_ONLY)")
                connection.execute(f"USE {self.ALIAS}")
                self._generation = Generation(_load(connection), connection)
                self._identity = identity
            return self._generation


def _sql_string(path: Path) -> str:
    return str(path).replace("'", "''")


async def _generation(request: Request) -> Generation:
    return request.app.state.warehouse.current()


CurrentGeneration = Annotated[Generation, Depends(_generation)]


# --- the reporting month asked about -------------------------------------------------------------------------------

MONTH = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")

PERIOD_DESCRIPTION = ("Reporting month, `YYYY-MM` (or its month end, `YYYY-MM-DD`). Each month's figures are built "
                      "only from what had been published by that month's end. Default: the latest month.")
AS_OF_DESCRIPTION = ("What was known on this date (`YYYY-MM-DD`): the latest reporting month ending on or before "
                     "it, whose figures use only what had been published by that month's end — anything published "
                     "between that month end and `as_of` first shows in the next month. A later revision never "
                     "changes what an earlier month shows. Not with `period`.")


def month_end(text: str, name: str) -> date:
    match = MONTH.fullmatch(text)
    if not match:
        raise Problem(422, f"{name}: {text!r} is not a month (YYYY-MM or its month end YYYY-MM-DD)")
    year, month, day = int(match[1]), int(match[2]), match[3]
    if not 1 <= month <= 12:
        raise Problem(422, f"{name}: {text!r} has no month {month}")
    last = monthrange(year, month)[1]
    if day is not None and int(day) != last:
        raise Problem(422, f"{name}: reporting months are named by their month end ({year}-{month:02d}-{last}), "
                           f"not {text}")
    return date(year, month, last)


@dataclass(frozen=True)
class When:
    period: date | None = None
    as_of: date | None = None


async def when(period: Annotated[str | None, Query(description=PERIOD_DESCRIPTION, examples=["2026-09"])] = None,
         as_of: Annotated[date | None, Query(description=AS_OF_DESCRIPTION, examples=["2026-10-15"])] = None) -> When:
    if period is not None and as_of is not None:
        raise Problem(422, "give `period` or `as_of`, not both")
    return When(month_end(period, "period") if period is not None else None, as_of)


WhenQuery = Annotated[When, Depends(when)]


async def month_range(start: Annotated[str | None, Query(alias="from", description="first reporting month, YYYY-MM",
                                                   examples=["2026-06"])] = None,
                end: Annotated[str | None, Query(alias="to", description="last reporting month, YYYY-MM",
                                                 examples=["2026-09"])] = None) -> tuple[date | None, date | None]:
    first = month_end(start, "from") if start else None
    last = month_end(end, "to") if end else None
    if first and last and first > last:
        raise Problem(422, f"`from` ({start}) is after `to` ({end})")
    return first, last


MonthRange = Annotated[tuple[date | None, date | None], Depends(month_range)]

Methodology = Annotated[str | None, Query(
    description="Methodology version (`/methodology` lists them). Default: the latest in the snapshot.",
    examples=["v1"])]
