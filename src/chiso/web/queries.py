"""Reads shared by pages and API: workspace calls, cached, then cut to what the user may see."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal

from chiso.domain.periods import Period
from chiso.web import local
from chiso.web.context import Ctx
from chiso.workspace import Ranking, ResultSet, UnitExplanation


def period_arg(text: str | None) -> Period | None:
    """A period from a query parameter ('' or None: the latest)."""
    return Period.parse(text) if text and text.strip() else None


def default_parent(ctx: Ctx, unit: str | None = None) -> str | None:
    """The unit whose sub-units a ranking lists: the given or home unit if it has any, else its parent."""
    code = unit or ctx.home
    if code is None:
        return None
    node = ctx.tree.get(code)
    if node is None:
        return code
    return node.code if ctx.tree.has_children(node.code) else node.parent_code


def ranking(
    ctx: Ctx,
    *,
    period: Period | None = None,
    parent: str | None = None,
    kind: str = "apart",
    by: str = "total",
    compare: str = "auto",
) -> Ranking:
    """The ranking of ``parent``'s units, without the rows of units the user may not see."""
    parent = parent or default_parent(ctx)
    key = ("ranking", period.key if period else None, parent, kind, by, compare)
    full = ctx.web.cached(
        key, lambda: ctx.ws.ranking(period=period, parent=parent, kind=kind, by=by, compare=compare)
    )
    if ctx.user.whole_scope:
        return full
    tables = [dataclasses.replace(t, rows=[r for r in t.rows if ctx.allowed(r.unit)]) for t in full.tables]
    return dataclasses.replace(full, tables=[t for t in tables if t.rows])


def results(
    ctx: Ctx, *, period: Period | None = None, parent: str | None = None, kind: str = "all", source: str = "official"
) -> ResultSet:
    parent = parent or default_parent(ctx)
    key = ("results", period.key if period else None, parent, kind, source)
    if source == "local":
        compute = lambda: local.results(ctx, period=period, parent=parent, kind=kind)  # noqa: E731
    else:
        compute = lambda: ctx.ws.results(period=period, parent=parent, kind=kind)  # noqa: E731
    full = ctx.web.cached(key, compute)
    if ctx.user.whole_scope:
        return full
    return dataclasses.replace(full, units=[u for u in full.units if ctx.allowed(u.unit)])


def explain(
    ctx: Ctx, unit: str, *, period: Period | None = None, metric: str | None = None, source: str = "official"
) -> UnitExplanation:
    unit = ctx.unit(unit).code
    key = ("explain", unit, period.key if period else None, metric, source)
    if source == "local":
        return ctx.web.cached(key, lambda: local.explain(ctx, unit, period=period, metric=metric))
    return ctx.web.cached(key, lambda: ctx.ws.explain(unit, period=period, metric=metric, source=source))


def history(ctx: Ctx, unit: str) -> list[tuple[str, datetime, Decimal | None]]:
    """(period, capture time, total) of ``unit``, oldest first."""
    unit = ctx.unit(unit).code
    return ctx.web.cached(("history", unit), lambda: ctx.ws.total_history(unit))


def trend(ctx: Ctx, unit: str) -> list[tuple[str, Decimal | None]]:
    """One point per period for the trend chart: months when there are at least two, else every period;
    for each period its newest capture."""
    rows = history(ctx, unit)
    latest: dict[str, tuple[datetime, Decimal | None]] = {}
    for period, captured, total in rows:
        if period not in latest or captured >= latest[period][0]:
            latest[period] = (captured, total)
    parsed = {p: Period.parse(p) for p in latest}
    months = [p for p in latest if parsed[p].kind == "month" and not parsed[p].ytd]
    chosen = months if len(months) >= 2 else list(latest)
    chosen.sort(key=lambda p: (parsed[p].end, parsed[p].start))
    return [(p, latest[p][1]) for p in chosen]


def unit_periods(ctx: Ctx, unit: str) -> list[str]:
    """Periods with a published result for ``unit``, newest first."""
    seen = {p for p, _, _ in history(ctx, unit)}
    return sorted(seen, key=lambda p: (Period.parse(p).end, Period.parse(p).start), reverse=True)


def parent_periods(ctx: Ctx, parent: str) -> list[str]:
    """Periods with results for the units of ``parent``, newest first."""

    def compute() -> list[str]:
        found = {s.period for s in ctx.ws.snapshots() if s.scope == parent and s.units > 1}
        return sorted(found, key=lambda p: (Period.parse(p).end, Period.parse(p).start), reverse=True)

    return ctx.web.cached(("periods", parent), compute)
