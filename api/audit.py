"""The audit log of restricted reads: one record per organisation whose restricted data a response carried — who
(the key), what (the resources, `; `-separated), which organisation, when, and from which snapshot — written before
the response is sent (a response whose record cannot be written is not sent). Append-only: the database refuses UPDATE and DELETE
(store.py), and the API offers no way to write to it but reading restricted data.

Writes are group-committed: one writer thread per process takes every record waiting and commits them in one
transaction (one fsync, synchronous=FULL), and each response waits for the commit holding its records — durable
before it is sent, without a disk flush per request.
"""
from __future__ import annotations

import asyncio
import queue
import threading
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa

from api.keys import ApiKey
from api.store import AccessDatabase


@dataclass(frozen=True, order=True)
class Disclosure:
    """Restricted data of one organisation in a response."""
    organisation: str
    resource: str       # e.g. "in-year finance return", "failure-scale criterion values (in-year finance return)"


@dataclass(frozen=True)
class RequestLine:
    method: str
    path: str
    query: str
    snapshot: str


INSERT = ("INSERT INTO audit_log (recorded_at, request_id, key_id, key_name, role, key_org, organisation, resource, "
          "method, path, query, snapshot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
AUDIT_COLUMNS = ["seq", "recorded_at", "request_id", "key_id", "key_name", "role", "key_org", "organisation",
                 "resource", "method", "path", "query", "snapshot"]


class AuditLog:
    BATCH = 500

    def __init__(self, database: AccessDatabase, clock: Callable[[], datetime]):
        self.database = database
        self.clock = clock
        self._pending: queue.SimpleQueue[tuple[list[list], Future]] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._lock = threading.Lock()

    def record(self, key: ApiKey, disclosures: Iterable[Disclosure], request: RequestLine) -> str:
        """Write one record per organisation disclosed, committed before this returns; returns the request id
        they share."""
        request_id, rows = self._rows(key, disclosures, request)
        self._submit(rows).result()
        return request_id

    async def record_async(self, key: ApiKey, disclosures: Iterable[Disclosure], request: RequestLine) -> str:
        """The same, awaited on the event loop (no thread held while the commit is flushed)."""
        request_id, rows = self._rows(key, disclosures, request)
        await asyncio.wrap_future(self._submit(rows))
        return request_id

    def _submit(self, rows: list[list]) -> Future:
        future: Future = Future()
        self._pending.put((rows, future))
        with self._lock:
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(target=self._write_forever, name="audit-writer", daemon=True)
                self._writer.start()
        return future

    def _write_forever(self) -> None:
        while True:
            batch = [self._pending.get()]
            while len(batch) < self.BATCH:
                try:
                    batch.append(self._pending.get_nowait())
                except queue.Empty:
                    break
            try:
                with self.database.transaction() as db:
                    db.executemany(INSERT, [row for rows, _ in batch for row in rows])
            except BaseException as error:        # every waiting response fails rather than go unaudited
                for _, future in batch:
                    future.set_exception(error)
                continue
            for _, future in batch:
                future.set_result(None)

    def _rows(self, key: ApiKey, disclosures: Iterable[Disclosure], request: RequestLine) -> tuple[str, list[list]]:
        request_id = uuid.uuid4().hex
        at = self.clock().isoformat(timespec="microseconds")
        resources: dict[str, set[str]] = {}
        for d in disclosures:
            resources.setdefault(d.organisation, set()).add(d.resource)
        rows = [[at, request_id, key.key_id, key.name, key.role.value, key.org_code, organisation,
                 "; ".join(sorted(read)), request.method, request.path, request.query, request.snapshot]
                for organisation, read in sorted(resources.items())]
        return request_id, rows

    def read(self, organisation: str | None = None, key_id: str | None = None, since: datetime | None = None,
             until: datetime | None = None) -> pa.Table:
        """The records matching every filter given, oldest first (by sequence: a stable order for paging)."""
        rows = self.database.connection().execute(
            f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit_log "
            "WHERE (?1 IS NULL OR organisation = ?1) AND (?2 IS NULL OR key_id = ?2) "
            "AND (?3 IS NULL OR recorded_at >= ?3) AND (?4 IS NULL OR recorded_at < ?4) ORDER BY seq",
            [organisation, key_id, since.isoformat() if since else None, until.isoformat() if until else None])
        records = [dict(r) for r in rows.fetchall()]
        schema = pa.schema([(c, pa.int64() if c == "seq" else pa.string()) for c in AUDIT_COLUMNS])
        return pa.Table.from_pylist(records, schema=schema)
