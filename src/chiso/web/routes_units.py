"""Administration of the unit tree: which portal code is which one-stop identifier, kinds and parents (one line
of the mapping file at a time, or a whole file), and the mapping file to download (docs/units.md)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from chiso.domain.units import UnitKind
from chiso.errors import ChisoError
from chiso.web.auth import check_csrf
from chiso.web.context import Ctx, page_ctx
from chiso.web.templating import render

router = APIRouter(include_in_schema=False)
KINDS = [("", "giữ như dữ liệu"), ("tự động", "tự xác định (bỏ loại đã đặt)"),
         *((str(k), k.label) for k in UnitKind if k is not UnitKind.NATIONAL)]  # fmt: skip


def _page(request: Request, ctx: Ctx, outcome: Any = None, error: str | None = None) -> Response:
    tree = ctx.ws.unit_tree()
    units = sorted(tree, key=lambda u: (u.parent_code or "", u.code))
    return render(
        request,
        "units_admin.html",
        {"ctx": ctx, "tree": tree, "units": units, "report": tree.report, "kinds": KINDS, "outcome": outcome,
         "error": error},
        status_code=400 if error or (outcome is not None and outcome.file.rejected) else 200,
    )  # fmt: skip


@router.get("/admin/units")
def units_page(request: Request, ctx: Ctx = Depends(page_ctx)) -> Response:
    ctx.require_admin()
    return _page(request, ctx)


@router.post("/admin/units")
def units_edit(
    request: Request,
    code: str = Form(""),
    other: str = Form(""),
    same: str = Form("có"),
    kind: str = Form(""),
    parent: str = Form(""),
    csrf: str = Form(""),
    ctx: Ctx = Depends(page_ctx),
) -> Response:
    check_csrf(request, csrf)
    ctx.require_admin()
    with ctx.web.write_lock:
        outcome = ctx.ws.directory.edit(
            {"code": code, "other": other, "same": same, "kind": kind, "parent": parent}, by=ctx.user.username
        )
    ctx.web.invalidate()
    ctx.audit("units", code or other, f"{other}; {same}; {kind}; {parent}")
    return _page(request, ctx, outcome)


@router.post("/admin/units/file")
async def units_file(
    request: Request, file: UploadFile = File(...), csrf: str = Form(""), ctx: Ctx = Depends(page_ctx)
) -> Response:
    check_csrf(request, csrf)
    ctx.require_admin()
    suffix = Path(file.filename or "").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        return _page(request, ctx, error="Tệp ánh xạ phải là CSV hoặc XLSX.")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{Path(file.filename or 'don-vi').stem[:60]}{suffix}"
        path.write_bytes(await file.read(2_000_001))
        if path.stat().st_size > 2_000_000:
            return _page(request, ctx, error="Tệp ánh xạ quá lớn (tối đa 2 MB).")

        def apply() -> Any:
            with ctx.web.write_lock:
                return ctx.ws.directory.link_file(path, by=ctx.user.username)

        try:
            outcome = await run_in_threadpool(apply)
        except ChisoError as exc:
            return _page(request, ctx, error=exc.message)
    ctx.web.invalidate()
    ctx.audit("units", file.filename or "", f"{outcome.links_written} liên kết, {outcome.overrides_written} loại/cha")
    return _page(request, ctx, outcome)


@router.get("/admin/units.csv")
def units_csv(ctx: Ctx = Depends(page_ctx)) -> Response:
    ctx.require_admin()
    text = ctx.ws.directory.mapping_csv()
    ctx.audit("export", "units", f"don-vi.csv; {text.count(chr(10)) - 1} dòng")
    return Response("\ufeff" + text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="don-vi.csv"'})  # fmt: skip
