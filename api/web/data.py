"""What a page shows is what the API serves: the API's own builders, run in-process for the visitor's entitlement.

A page names the builders it needs (each a function of the API's `Context`, as the routers give `Serve`); they run
in one worker thread on one cursor of the snapshot being served, exactly as the API would run them for a request
with the visitor's key. What comes back is the same: a `Document`'s model or a `Listing`'s rows, with the
restricted reads it carries (`Document.disclosures`, a listing's `_disclosed` column). The page writes those to the
API's audit log — the same records, through the same writer — before it sends a byte (`Gathered.audit`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from api.audit import Disclosure, RequestLine
from api.deps import Generation, Snapshot
from api.problems import Problem
from api.responses import DISCLOSED, Context, Document, Listing, _disclosures
from api.web.session import Visitor

Builder = Callable[[Context], Any]


@dataclass
class Result:
    value: Any                                 # a Document's model, a Listing's rows (dicts), or what was built
    disclosures: frozenset[Disclosure] = frozenset()
    problem: Problem | None = None             # an optional builder that was refused (e.g. restricted: 401/403)

    @property
    def ok(self) -> bool:
        return self.problem is None


def _unpack(result: Any) -> Result:
    if isinstance(result, Document):
        return Result(result.body, frozenset(result.disclosures))
    if isinstance(result, Listing):
        names = [n for n in result.item.model_fields]
        table = result.table
        disclosed = frozenset(_disclosures(table, result.resource)) if DISCLOSED in table.column_names else frozenset()
        return Result(table.select(names).to_pylist(), disclosed)
    return Result(result)


@dataclass
class Gathered:
    snapshot: Snapshot
    results: dict[str, Result]
    disclosures: set[Disclosure] = field(default_factory=set)

    def __getitem__(self, name: str) -> Any:
        return self.results[name].value

    def get(self, name: str) -> Result:
        return self.results[name]

    async def audit(self, request: Request, who: Visitor, disclosures=None) -> None:
        """The audit records of the restricted data this page (or one chart's CSV) shows, written before it is
        sent, exactly as the API writes them."""
        shown = set(self.disclosures if disclosures is None else disclosures)
        if not shown:
            return
        if who.caller.key is None:   # masking gives anonymous visitors nothing restricted: never reached
            raise RuntimeError("restricted data on a page for an anonymous visitor")
        line = RequestLine(request.method, request.url.path, request.url.query, self.snapshot.id)
        await request.app.state.audit.record_async(who.caller.key, shown, line)


async def gather(request: Request, who: Visitor, required: dict[str, Builder],
                 optional: dict[str, Builder] | None = None,
                 then: Callable[[Context, dict[str, Result]], dict[str, Builder]] | None = None) -> Gathered:
    """Run the builders for the visitor. A required builder's Problem (404, 503…) is the page's; an optional
    one's is kept in its Result (a restricted section the visitor may not read). `then` may name more builders
    from what the first ones gave (e.g. each member trust's history)."""
    generation: Generation = request.app.state.warehouse.current()
    state = request.app.state

    def compute() -> dict[str, Result]:
        cursor = generation.cursor()
        try:
            ctx = Context(cursor, generation.snapshot, who.caller.entitlement, state.settings)
            results = {name: _unpack(build(ctx)) for name, build in required.items()}
            for name, build in (optional or {}).items():
                try:
                    results[name] = _unpack(build(ctx))
                except Problem as problem:
                    results[name] = Result(None, problem=problem)
            if then is not None:
                for name, build in then(ctx, results).items():
                    try:
                        results[name] = _unpack(build(ctx))
                    except Problem as problem:
                        results[name] = Result(None, problem=problem)
            return results
        finally:
            cursor.close()

    results = await run_in_threadpool(compute)
    gathered = Gathered(generation.snapshot, results)
    for result in results.values():
        gathered.disclosures |= result.disclosures
    return gathered
