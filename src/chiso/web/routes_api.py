"""JSON API under ``/api/v1`` (OpenAPI at ``/docs``). Shapes are those of the CLI's ``--format json``.

Every endpoint takes the request context (session cookie or HTTP Basic) and reaches units through
``Ctx.unit`` / the scoped reads of ``chiso.web.queries``: a unit viewer never gets another unit's figures.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, UploadFile
from fastapi.responses import JSONResponse, Response

from chiso import serialize
from chiso.methodology import available, load_methodology
from chiso.serialize import to_jsonable
from chiso.web import letters, local, queries, uploads
from chiso.web.context import Ctx, api_ctx, api_write_ctx
from chiso.web.queries import period_arg

router = APIRouter(prefix="/api/v1", tags=["chiso"])

PERIOD = Query(None, description="Kỳ: 2025-10, 2025-Q3, 2025; mặc định kỳ mới nhất")
SOURCE = Query("official", pattern="^(official|local)$", description="official (Cổng DVCQG) hoặc local (tạm tính)")


def ok(data: Any) -> JSONResponse:
    return JSONResponse(to_jsonable(data))


@router.get("/me", summary="Người dùng hiện tại, vai trò và phạm vi")
def me(ctx: Ctx = Depends(api_ctx)) -> JSONResponse:
    return ok(
        {
            "username": ctx.user.username,
            "role": str(ctx.user.role),
            "unit": ctx.user.unit,
            "whole_scope": ctx.user.whole_scope,
            "home": ctx.home,
        }
    )


@router.get("/units", summary="Các đơn vị người dùng được xem")
def units(ctx: Ctx = Depends(api_ctx)) -> JSONResponse:
    rows = [
        {"unit_code": n.code, "unit_name": n.name, "kind": n.kind, "parent_code": n.parent_code,
         "aliases": list(n.aliases), "official": n.official, "local": n.local}
        for n in sorted(ctx.tree, key=lambda n: n.code)
        if ctx.allowed(n.code)
    ]  # fmt: skip
    return ok(rows)


@router.get("/units/{code}", summary="Một đơn vị: tên, loại, đơn vị trực thuộc, các kỳ có số liệu")
def unit(code: str, ctx: Ctx = Depends(api_ctx)) -> JSONResponse:
    node = ctx.unit(code)
    return ok(
        {
            "unit": node.code,
            "name": node.name,
            "kind": node.kind,
            "aliases": list(node.aliases),
            "parent": node.parent_code if ctx.allowed(node.parent_code or "") else None,
            "children": [
                {"unit": c.code, "name": c.name, "kind": c.kind} for c in ctx.tree.children(node.code)
            ],
            "periods": queries.unit_periods(ctx, node.code),
        }
    )


@router.get("/ranking", summary="Xếp hạng (như chiso ranking --format json)")
def ranking(
    period: str | None = PERIOD,
    parent: str | None = Query(None, description="Mã đơn vị cha (H21; VN cho các tỉnh)"),
    kind: str = Query("apart", description="apart, all, agency, commune, district, province"),
    by: str = Query("total", description="total hoặc mã nhóm"),
    compare: str = Query("auto", description="auto, period, snapshot, none hoặc một kỳ"),
    ctx: Ctx = Depends(api_ctx),
) -> JSONResponse:
    r = queries.ranking(ctx, period=period_arg(period), parent=parent, kind=kind, by=by, compare=compare)
    return ok(serialize.ranking_rows(r))


@router.get("/results", summary="Kết quả từng đơn vị với nhóm và chỉ số (như chiso compute --format json)")
def results(
    period: str | None = PERIOD,
    parent: str | None = Query(None),
    kind: str = Query("all"),
    source: str = SOURCE,
    ctx: Ctx = Depends(api_ctx),
) -> JSONResponse:
    rs = queries.results(ctx, period=period_arg(period), parent=parent, kind=kind, source=source)
    return ok([serialize.unit_result(u) for u in rs.units])


@router.get("/units/{code}/explain", summary="Điểm bị mất và cách lấy lại (như chiso explain --format json)")
def explain(
    code: str,
    period: str | None = PERIOD,
    metric: str | None = Query(None),
    source: str = SOURCE,
    ctx: Ctx = Depends(api_ctx),
) -> JSONResponse:
    x = queries.explain(ctx, code, period=period_arg(period), metric=metric, source=source)
    return ok(serialize.explanation(x))


@router.get("/units/{code}/trend", summary="Tổng điểm theo kỳ")
def trend(code: str, ctx: Ctx = Depends(api_ctx)) -> JSONResponse:
    code = ctx.unit(code).code
    return ok([{"period": p, "total": t} for p, t in queries.trend(ctx, code)])


@router.get("/units/{code}/compare", summary="Số liệu tạm tính bên cạnh số chính thức, từng chỉ số")
def compare(code: str, period: str | None = PERIOD, ctx: Ctx = Depends(api_ctx)) -> JSONResponse:
    code = ctx.unit(code).code
    return ok(local.compare(ctx, code, period_arg(period)))


@router.get("/units/{code}/dossiers", summary="Hồ sơ phía sau một con số (có lọc, phân trang)")
def dossiers(
    code: str,
    period: str | None = PERIOD,
    metric: str | None = Query(None),
    gap_only: bool = Query(True, description="chỉ hồ sơ làm mất điểm"),
    status: str | None = Query(None),
    search: str | None = Query(None),
    page: int = Query(1, ge=1, le=100_000),
    page_size: int = Query(50, ge=1, le=500),
    ctx: Ctx = Depends(api_ctx),
) -> JSONResponse:
    code = ctx.unit(code).code
    p = local.dossiers(ctx, code, period_arg(period), metric, gap_only, status, search, page, page_size)
    return ok(local.dossier_page_dict(p, ctx))


@router.get("/units/{code}/dossiers.csv", summary="Xuất CSV danh sách hồ sơ (cùng bộ lọc)")
def dossiers_csv(
    code: str,
    period: str | None = PERIOD,
    metric: str | None = Query(None),
    gap_only: bool = Query(True),
    status: str | None = Query(None),
    search: str | None = Query(None),
    ctx: Ctx = Depends(api_ctx),
) -> Response:
    code = ctx.unit(code).code
    return local.dossiers_csv_response(ctx, code, period_arg(period), metric, gap_only, status, search)


@router.get("/units/{code}/due-soon", summary="Hồ sơ sắp đến hạn và quá hạn của đơn vị và đơn vị trực thuộc")
def due_soon(
    code: str, within_hours: float = Query(16, ge=0, le=24 * 30), ctx: Ctx = Depends(api_ctx)
) -> JSONResponse:
    code = ctx.unit(code).code
    return ok(local.due_items(ctx, code, within_hours))


@router.get("/verify", summary="Kiểm tra điểm theo công thức (như chiso verify --format json)")
def verify(
    period: str | None = PERIOD,
    tolerance: Decimal | None = Query(None, ge=0, le=100),
    ctx: Ctx = Depends(api_ctx),
) -> JSONResponse:
    ctx.require_writer()  # covers every unit of the store
    p = period_arg(period)
    res = ctx.web.cached(
        ("verify", p.key if p else None, str(tolerance)), lambda: ctx.ws.verify(tolerance=tolerance, period=p)
    )
    return ok(serialize.verification(res))


@router.get("/methodology", summary="Các phương pháp tính có sẵn")
def methodologies(ctx: Ctx = Depends(api_ctx)) -> JSONResponse:
    out = []
    for name in available():
        m = load_methodology(name)
        out.append({"name": m.name, "title": m.title, "effective_from": m.effective_from,
                    "effective_to": m.effective_to})  # fmt: skip
    return ok(out)


@router.get("/methodology/{name}", summary="Một phương pháp tính: nhóm, chỉ số, quy tắc và nguồn gốc")
def methodology(name: str, ctx: Ctx = Depends(api_ctx)) -> JSONResponse:
    if name not in available():
        raise HTTPException(404, f"Không có phương pháp tính '{name}'")
    return ok(load_methodology(name).model_dump(mode="json"))


@router.get("/history", summary="Lịch sử nhập: tệp kết quả, lần lấy số liệu từ Cổng và lần nạp dữ liệu hồ sơ")
def history(ctx: Ctx = Depends(api_ctx)) -> JSONResponse:
    ctx.require_writer()
    return ok(
        {
            "files": ctx.ws.files(),
            "snapshots": serialize.snapshot_rows(ctx.ws.snapshots()),
            "ingests": local.ingest_history(ctx),
            "captures": [serialize.capture_row(c) for c in ctx.ws.captures()],
        }
    )


@router.post("/uploads", summary="Tải lên tệp: kết quả Cổng DVCQG hoặc dữ liệu hồ sơ; trả báo cáo kiểm tra")
async def upload(
    files: list[UploadFile] = File(...),
    kind: str = Form("auto", description=", ".join(uploads.KINDS)),
    period: str | None = Form(None),
    ctx: Ctx = Depends(api_write_ctx),
) -> JSONResponse:
    paths = await uploads.save(ctx, files)
    from starlette.concurrency import run_in_threadpool

    return ok(await run_in_threadpool(uploads.process, ctx, paths, kind, period))


@router.post("/letters", summary="Tạo công văn, phụ lục, bản tóm tắt cho một đơn vị và kỳ")
def make_letter(
    unit: str = Form(...),
    period: str = Form(...),
    source: str = Form("official"),
    ctx: Ctx = Depends(api_write_ctx),
) -> JSONResponse:
    unit = ctx.unit(unit).code
    return ok(letters.generate(ctx, unit, period, source))


@router.get("/letters", summary="Các bộ công văn đã tạo")
def list_letters(ctx: Ctx = Depends(api_ctx)) -> JSONResponse:
    return ok(letters.listing(ctx))


@router.get("/letters/{letter_id}/{name}", summary="Tải một tệp của bộ công văn")
def letter_file(letter_id: str, name: str, ctx: Ctx = Depends(api_ctx)) -> Response:
    return letters.download(ctx, letter_id, name)


@router.get("/audit", summary="Nhật ký: đăng nhập, tải lên, nhập, tạo công văn (quản trị)")
def audit(limit: int = Query(200, ge=1, le=5000), action: str | None = Query(None),
          ctx: Ctx = Depends(api_ctx)) -> JSONResponse:  # fmt: skip
    ctx.require_admin()
    return ok(ctx.web.accounts.audit_log(limit=limit, action=action))


@router.get("/users", summary="Người dùng (quản trị)")
def users(ctx: Ctx = Depends(api_ctx)) -> JSONResponse:
    ctx.require_admin()
    return ok([{"username": u.username, "role": str(u.role), "unit": u.unit, "active": u.active}
               for u in ctx.web.accounts.users()])  # fmt: skip
