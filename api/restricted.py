"""Restricted values inside responses: masked for callers not entitled to them, recorded for the audit where shown.

A row-level value (a finance criterion's value and threshold, an in-year finance figure) belongs to one trust in one
reporting month: the caller sees it if its entitlement covers that trust in the economy the trust belonged to that
month (access.Entitlement.covers). An aggregate of restricted values belongs to every trust in it: it is public
when it covers at least `api_restricted_aggregate_min_trusts` trusts, otherwise shown only to a caller entitled to
every one of them (and audited as a read of each).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import pyarrow as pa

from api.audit import Disclosure
from api.responses import DISCLOSED, RESTRICTED, Context


def mask_rows(ctx: Context, table: pa.Table, columns: Sequence[str], *, restricted: Sequence[bool] | None = None,
              flag: str | None = None, trust: str = "trust_code", period: str = "period") -> pa.Table:
    """`table` with `columns` masked in the rows (all, or those `restricted` marks) whose trust the caller may not
    read that month — strings become "value restricted", other types null, `flag` (a boolean column) true — and a
    DISCLOSED column naming the trust in the rows whose restricted values it may read and are shown."""
    rows = table.to_pylist()
    text = {name for name in columns if pa.types.is_string(table.schema.field(name).type)}
    for i, row in enumerate(rows):
        row[DISCLOSED] = None
        if restricted is not None and not restricted[i]:
            continue
        if ctx.entitlement.covers(row[trust], ctx.snapshot.icb_of(row[trust], row[period])):
            row[DISCLOSED] = row[trust]
            continue
        for name in columns:
            row[name] = RESTRICTED if name in text else None
        if flag:
            row[flag] = True
    schema = table.schema.append(pa.field(DISCLOSED, pa.string()))
    return pa.Table.from_pylist(rows, schema=schema)


def may_read(ctx: Context, trust_code: str, period: date) -> bool:
    return ctx.entitlement.covers(trust_code, ctx.snapshot.icb_of(trust_code, period))


def aggregate(ctx: Context, trusts: Iterable[str], period: date, resource: str) -> tuple[bool, set[Disclosure]]:
    """May the caller see an aggregate of these trusts' restricted values for `period`, and which reads that is."""
    covered = sorted(set(trusts))
    if len(covered) >= ctx.settings.api_restricted_aggregate_min_trusts:
        return True, set()
    if covered and all(may_read(ctx, t, period) for t in covered):
        return True, {Disclosure(t, resource) for t in covered}
    return False, set()
