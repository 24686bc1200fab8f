"""The local layer as pages and API see it: dossiers behind a number, dossiers due soon, local beside official.

Each function checks the unit through the request context first (callers do too) and drops any row of a unit
the user may not see. Rows hold no personal data: the workspace drops it at ingest.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from fastapi import HTTPException
from fastapi.responses import StreamingResponse

from chiso import serialize
from chiso.cells import CsvWriter
from chiso.domain.periods import Period
from chiso.web.context import Ctx
from chiso.wording import DOSSIER_HEADINGS, dossier_cell

CSV_PAGE = 2000
DUE_SECONDS = 300


# Methods that use the local runs (computed once per period, then read per unit) go to the application's one
# shared local workspace; plain list queries (dossiers, due soon) run on the worker's own workspace, in parallel.
SHARED = {"explain", "results", "compare", "local_view", "local_ranking"}


def _method(ctx: Ctx, name: str) -> Callable[..., Any]:
    if not hasattr(ctx.ws, name):
        raise HTTPException(501, "Phiên bản này chưa có số liệu tạm tính từ hồ sơ")
    if name in SHARED:
        return lambda *args, **kwargs: ctx.web.local(name, *args, **kwargs)
    return getattr(ctx.ws, name)  # type: ignore[no-any-return]


def available(ctx: Ctx) -> bool:
    return hasattr(ctx.ws, "dossiers")


def latest_period(ctx: Ctx) -> Period:
    """The month of the newest dossier (the default period of lists), once per data version."""
    return ctx.web.cached(("latest_local_period",), _method(ctx, "latest_local_period"))


def dossiers(
    ctx: Ctx,
    unit: str,
    period: Period | None,
    metric: str | None,
    gap_only: bool,
    status: str | None,
    search: str | None,
    page: int,
    page_size: int,
) -> Any:
    unit = ctx.unit(unit).code
    fn = _method(ctx, "dossiers")
    period = period or latest_period(ctx)
    key = ("dossiers", unit, period.key if period else None, metric, gap_only, status, search, page, page_size)
    try:
        status_code = int(status) if status not in (None, "") else None
    except ValueError as exc:
        raise HTTPException(400, f"Trạng thái không hợp lệ: {status} (một số, ví dụ 4)") from exc
    return ctx.web.cached(
        key,
        lambda: fn(
            unit,
            period=period,
            metric=metric or None,
            gap_only=gap_only,
            status=status_code,
            search=search or None,
            page=page,
            page_size=page_size,
        ),
    )


def _scoped_rows(ctx: Ctx, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if ctx.user.whole_scope:
        return rows
    return [r for r in rows if "unit_code" not in r or ctx.allowed(str(r["unit_code"]))]


def dossier_page_dict(p: Any, ctx: Ctx) -> dict[str, Any]:
    """The CLI's ``explain --dossiers --format json`` shape, with rows of units outside the scope dropped."""
    return {**serialize.dossier_page(p), "rows": _scoped_rows(ctx, list(p.rows))}


def dossiers_csv_response(
    ctx: Ctx,
    unit: str,
    period: Period | None,
    metric: str | None,
    gap_only: bool,
    status: str | None,
    search: str | None,
) -> StreamingResponse:
    """Every page of the list as CSV, as ``chiso explain --dossiers --out`` writes it (Vietnamese headings, UTF-8
    with BOM so that Excel reads the diacritics; no cell starts like a formula)."""
    first = dossiers(ctx, unit, period, metric, gap_only, status, search, 1, CSV_PAGE)
    columns = list(first.columns)

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = CsvWriter(buffer, lineterminator="\n")
        buffer.write("\ufeff")
        writer.writerow([DOSSIER_HEADINGS.get(c, c) for c in columns])
        page, current = 1, first
        while True:
            for row in _scoped_rows(ctx, list(current.rows)):
                writer.writerow([dossier_cell(c, row.get(c)) for c in columns])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if page * CSV_PAGE >= current.total or not current.rows:
                break
            page += 1
            current = dossiers(ctx, unit, period, metric, gap_only, status, search, page, CSV_PAGE)

    chosen = first.period.key
    name = f"ho-so-{unit}-{chosen}{'-' + metric if metric else ''}.csv"
    ctx.audit("export", unit, f"{name}; {first.total} hồ sơ")
    return StreamingResponse(
        lines(), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def due_items(ctx: Ctx, unit: str, within_hours: float = 16, now: datetime | None = None) -> list[dict[str, Any]]:
    """Open dossiers of ``unit`` and its sub-units, overdue or due within ``within_hours`` working hours, most
    urgent first, as ``chiso due --format json`` rows (plus the unit's name), cut to the user's units."""
    unit = ctx.unit(unit).code
    fn = _method(ctx, "due_soon")

    def compute() -> list[dict[str, Any]]:
        out = []
        for it in fn(unit, now=now, within_hours=within_hours):
            node = ctx.tree.get(it.unit_code)
            out.append({**serialize.due_item(it), "unit_name": node.name if node else it.unit_code})
        return out

    if now is None:  # the list changes with the clock, slowly (working hours): cached for five minutes at most
        rows = ctx.web.cached(("due", unit, within_hours, int(time.time() // DUE_SECONDS)), compute)
    else:
        rows = compute()
    return rows if ctx.user.whole_scope else [r for r in rows if ctx.allowed(r["unit_code"])]


def compare(ctx: Ctx, unit: str, period: Period | None) -> list[dict[str, Any]]:
    unit = ctx.unit(unit).code
    fn = _method(ctx, "compare")
    lines = ctx.web.cached(("compare", unit, period.key if period else None), lambda: fn(unit, period=period))
    return [serialize.compare_line(x) for x in lines]


def ingest_history(ctx: Ctx) -> list[dict[str, Any]]:
    fn = getattr(ctx.ws, "ingest_history", None)
    return list(fn()) if fn is not None else []


def explain(ctx: Ctx, unit: str, **kwargs: Any) -> Any:
    return _method(ctx, "explain")(unit, source="local", **kwargs)


def results(ctx: Ctx, **kwargs: Any) -> Any:
    return _method(ctx, "results")(source="local", **kwargs)
