"""Server-rendered pages (Vietnamese). Every page reads through ``chiso.web.queries`` / ``Ctx.unit``."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from chiso.domain.results import Provenance
from chiso.domain.units import Unit, UnitKind
from chiso.errors import ChisoError, NoDataError, UnknownUnitError
from chiso.methodology import available, load_methodology
from chiso.scoring.rank import Band
from chiso.serialize import to_jsonable
from chiso.web import charts, letters, local, queries, uploads
from chiso.web.auth import check_csrf, client_of, end_session, remember_device, start_session, state_of, try_login
from chiso.web.context import Ctx, page_ctx
from chiso.web.queries import period_arg
from chiso.web.templating import render
from chiso.wording import (
    CAPTURE_STATUS,
    DOSSIER_HEADINGS,
    LOCAL_MARK,
    PORTAL_RANK_NOTE,
    day_change_note,
    dossier_cell,
    drillable,
    provenance_line,
    restore_sentence,
    rule_text,
)

router = APIRouter(include_in_schema=False)
log = logging.getLogger("chiso.web")
KIND_CHOICES = [
    ("apart", "Tách theo loại"),
    ("all", "Chung một bảng"),
    ("agency", UnitKind.AGENCY.label),
    ("commune", UnitKind.COMMUNE.label),
    ("province", UnitKind.PROVINCE.label),
]


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect a login to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


# -- login -------------------------------------------------------------------------------------------------
@router.get("/login")
def login_form(request: Request, next: str = "/", expired: int = 0) -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "expired": bool(expired), "error": None})


@router.post("/login")
def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    next: str = Form("/"),
    csrf: str = Form(""),
) -> Response:
    check_csrf(request, csrf)
    web = state_of(request)
    result = try_login(request, username, password)
    if result.user is None:
        context = {"next": _safe_next(next), "expired": False}
        if result.wait:
            response = render(request, "login.html", {**context, "error": result.refusal}, 429)
            response.headers["Retry-After"] = str(result.wait_seconds)
            return response
        return render(request, "login.html", {**context, "error": "Tên đăng nhập hoặc mật khẩu không đúng."}, 401)
    start_session(request, result.user)
    web.accounts.audit(result.user.username, "login", client=client_of(request))
    response = RedirectResponse(_safe_next(next), status_code=303)
    remember_device(request, response, result.user)
    return response


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    check_csrf(request, csrf)
    name = end_session(request)
    if name:
        state_of(request).accounts.audit(name, "logout", client=client_of(request))
    return RedirectResponse("/login", status_code=303)


# -- overview, ranking, unit -------------------------------------------------------------------------------
def _group_names(methodology: Any) -> dict[str, str]:
    return {g.code: g.name for g in methodology.groups}


def _unit_summary(ctx: Ctx, code: str, period: str | None, source: str = "official") -> dict[str, Any]:
    """What the overview and the unit page show on top: totals, groups chart, trend chart (cached: the charts
    cost more to build than the page)."""
    x = queries.explain(ctx, code, period=period_arg(period), source=source)

    def build() -> dict[str, Any]:
        names = _group_names(x.methodology)
        return {
            "x": x,
            "view": x.view,
            "names": names,
            "groups_chart": charts.groups_chart(x.view.groups, names),
            "trend_chart": charts.trend_chart(queries.trend(ctx, code), ctx.ws.settings.bands),
            "estimate": x.view.origin.is_estimate,
        }

    return dict(ctx.web.cached(("summary", code, period, source), build))


def _summary_or_local(ctx: Ctx, node: Unit, period: str | None, source: str) -> tuple[dict[str, Any], str | None]:
    """The unit's summary from ``source``; a unit without official results but with dossiers shows its local figures
    and says so ('chưa có kết quả chính thức'), instead of an error."""
    try:
        return _unit_summary(ctx, node.code, period, source), None
    except ChisoError as official:
        if source != "official" or not node.local or not local.available(ctx):
            raise
        try:
            summary = _unit_summary(ctx, node.code, period, "local")
        except ChisoError as estimate:
            raise ChisoError(f"{official.message}. {estimate.message}.") from estimate
    return summary, f"{node.name} chưa có kết quả chính thức của Cổng DVCQG: dưới đây là {LOCAL_MARK} từ hồ sơ."


def _children_summary(ctx: Ctx, code: str, period: str | None) -> list[dict[str, Any]]:
    """Per kind of sub-unit: how many in each band and the five lowest."""
    if not ctx.tree.has_children(code):
        return []
    try:
        r = queries.ranking(ctx, period=period_arg(period), parent=code)
    except ChisoError:
        return []
    out = []
    for t in r.tables:
        counts = dict.fromkeys(Band, 0)
        for row in t.rows:
            if row.band:
                counts[row.band] += 1
        ranked = [row for row in t.rows if row.total is not None]
        moved = [row.day_change.score for row in t.rows if row.day_change and row.day_change.score is not None]
        out.append(
            {
                "title": t.title,
                "count": len(t.rows),
                "bands": [(b.label, str(b), counts[b]) for b in Band],
                "lowest": sorted(ranked, key=lambda x: x.total)[:5],
                "period": r.period,
                "day_baseline": t.day_baseline,
                "up": sum(1 for x in moved if x > 0),
                "down": sum(1 for x in moved if x < 0),
            }
        )
    return out


def _own_day_change(ctx: Ctx, code: str, period: str | None) -> dict[str, Any] | None:
    """The unit's own score and rank change since the previous capture, from its parent's ranking."""
    node = ctx.tree.get(code)
    if node is None or node.parent is None:
        return None
    try:
        r = queries.ranking(ctx, period=period_arg(period), parent=node.parent)
    except ChisoError:
        return None
    for t in r.tables:
        for row in t.rows:
            if row.unit == code and row.day_change is not None:
                return {"change": row.day_change, "since": t.day_baseline, "checked": t.checked_at}
    return None


@router.get("/")
def overview(
    request: Request, unit: str | None = None, period: str | None = None, ctx: Ctx = Depends(page_ctx)
) -> Response:
    period_arg(period)  # a period that cannot be read is a bad request (400), not a problem shown on the page
    code = unit or ctx.home
    context: dict[str, Any] = {"ctx": ctx, "code": code, "period": period, "homes": _home_choices(ctx)}
    if code is None:
        return render(request, "overview.html", {**context, "empty": True})
    node = ctx.unit(code)
    code = context["code"] = node.code
    try:
        summary, context["note"] = _summary_or_local(ctx, node, period, "official")
        context.update(summary)
    except ChisoError as exc:
        context["problem"] = exc.message
    context.update({"node": node, "children": _children_summary(ctx, code, period), "empty": False})
    context["own_day"] = _own_day_change(ctx, code, period)
    context["periods"] = queries.unit_periods(ctx, code)
    return render(request, "overview.html", context)


def _home_choices(ctx: Ctx) -> list[Any]:
    if not ctx.user.whole_scope:
        return []
    return ctx.tree.roots_with_children()


@router.get("/ranking")
def ranking_page(
    request: Request,
    parent: str | None = None,
    period: str | None = None,
    kind: str = "apart",
    band: str | None = None,
    by: str = "total",
    ctx: Ctx = Depends(page_ctx),
) -> Response:
    chosen = period_arg(period)
    parent = parent or queries.default_parent(ctx)
    context: dict[str, Any] = {"ctx": ctx, "parent": parent, "period": period, "kind": kind, "band": band, "by": by}
    context["parents"] = [n for n in ctx.tree.roots_with_children() if ctx.allowed(n.code)] if parent else []
    if parent is None:
        return render(request, "ranking.html", {**context, "r": None, "problem": "Chưa có kết quả nào trong kho."})
    try:
        r = queries.ranking(ctx, period=chosen, parent=parent, kind=kind, by=by)
    except ChisoError as exc:
        status = 200 if isinstance(exc, NoDataError | UnknownUnitError) else 400  # a bad filter: 400, same page
        return render(request, "ranking.html", {**context, "r": None, "problem": exc.message}, status_code=status)
    tables = r.tables
    if band:
        tables = [t for t in tables if any(row.band == band for row in t.rows)]
    context.update(
        {
            "r": r,
            "tables": tables,
            "rank_note": PORTAL_RANK_NOTE,
            "day_notes": [day_change_note(t.day_baseline if t.day_columns else None, t.checked_at) for t in tables],
            "periods": queries.parent_periods(ctx, parent),
            "bands": list(Band),
            "kinds": KIND_CHOICES,
            "parent_node": ctx.tree.get(parent),
        }
    )
    return render(request, "ranking.html", context)


@router.get("/units/{code}")
def unit_page(
    request: Request,
    code: str,
    period: str | None = None,
    source: str = Query("official", pattern="^(official|local)$"),
    ctx: Ctx = Depends(page_ctx),
) -> Response:
    node = ctx.unit(code)
    period_arg(period)
    code = node.code
    context: dict[str, Any] = {
        "ctx": ctx,
        "node": node,
        "period": period,
        "source": source,
        "periods": queries.unit_periods(ctx, code),
        "local_available": local.available(ctx),
        "breadcrumbs": [a for a in reversed(ctx.tree.ancestors(code)) if ctx.allowed(a.code)],
        "children": ctx.tree.children(code),
        "letters": letters.listing(ctx, unit=code)[:5],
        "can_letter": ctx.user.can_write and letters.builder() is not None,
    }
    try:
        summary, context["note"] = _summary_or_local(ctx, node, period, source)
    except ChisoError as exc:
        return render(request, "unit.html", {**context, "problem": exc.message, "x": None})
    x = summary["x"]
    rows = []
    for e in x.explanations:
        m = e.line.metric
        rule_label = m.evidence.rule.label if m is not None else None
        rows.append(
            {
                "e": e,
                "rule": rule_text(e),
                "restore": restore_sentence(e),
                "provenance": provenance_line(e),
                "unconfirmed": rule_label is not None and rule_label is not Provenance.PUBLISHED,
                "rule_label": rule_label.label if rule_label is not None else "",
                "ratio": None if e.line.ratio is None else round(float(e.line.ratio) * 100, 2),
                # metrics counted over dossiers open a list of the dossiers behind them
                "drill": m is not None and drillable(m.code),
            }
        )
    compare_rows: list[dict[str, Any]] = []
    if context["local_available"] and source == "official" and not context["note"]:
        try:
            compare_rows = local.compare(ctx, code, period_arg(period) or period_arg(x.view.origin.period))
        except (ChisoError, HTTPException):
            compare_rows = []
        except Exception:  # the comparison is an extra: a failure in it must not take the unit page down
            log.exception("compare failed for %s", code)
            compare_rows = []
    context.update(summary)
    context.update({"rows": rows, "compare": compare_rows, "local_mark": LOCAL_MARK})
    return render(request, "unit.html", context)


# -- dossiers, due soon ------------------------------------------------------------------------------------
@router.get("/units/{code}/dossiers")
def dossiers_page(
    request: Request,
    code: str,
    period: str | None = None,
    metric: str | None = None,
    gap_only: bool = True,
    status: str | None = None,
    search: str | None = None,
    page: int = Query(1, ge=1, le=100_000),
    ctx: Ctx = Depends(page_ctx),
) -> Response:
    node = ctx.unit(code)
    code = node.code
    p = local.dossiers(ctx, code, period_arg(period), metric, gap_only, status, search, page, 50)
    chosen = p.period
    params = {"period": chosen.key, "metric": metric or "", "gap_only": str(gap_only).lower(),
              "status": status or "", "search": search or ""}  # fmt: skip
    pages = max((p.total + p.page_size - 1) // p.page_size, 1)
    return render(
        request,
        "dossiers.html",
        {
            "ctx": ctx, "node": node, "p": local.dossier_page_dict(p, ctx), "period": chosen, "metric": metric,
            "headings": DOSSIER_HEADINGS, "cell": dossier_cell,
            "gap_only": gap_only, "status": status, "search": search, "pages": pages,
            "query": urlencode(params), "csv_url": f"/api/v1/units/{code}/dossiers.csv?{urlencode(params)}",
        },
    )  # fmt: skip


@router.get("/due")
def due_page(
    request: Request, unit: str | None = None, hours: float = Query(16, ge=0, le=720), ctx: Ctx = Depends(page_ctx)
) -> Response:
    code = unit or ctx.home
    items: list[dict[str, Any]] = []
    problem = None
    if code is None:
        problem = "Chưa có đơn vị nào trong kho."
    else:
        code = ctx.unit(code).code
        try:
            items = local.due_items(ctx, code, hours)
        except HTTPException as exc:
            problem = str(exc.detail)
        except ChisoError as exc:
            problem = exc.message
    by_unit: dict[str, list[dict[str, Any]]] = {}
    for it in items:  # already most urgent first
        by_unit.setdefault(it["unit_code"], []).append(it)
    units = [n for n in ctx.tree if ctx.allowed(n.code) and ctx.tree.has_children(n.code)]
    return render(
        request,
        "due.html",
        {"ctx": ctx, "code": code, "hours": hours, "by_unit": by_unit, "problem": problem, "count": len(items),
         "overdue": sum(1 for i in items if i["state"] == "quá hạn"), "units": units},
    )  # fmt: skip


# -- uploads, letters --------------------------------------------------------------------------------------
@router.get("/uploads")
def uploads_page(request: Request, ctx: Ctx = Depends(page_ctx)) -> Response:
    ctx.require_writer()
    return render(request, "uploads.html", {"ctx": ctx, "kinds": uploads.KINDS, "reports": None,
                                            "local_available": local.available(ctx)})  # fmt: skip


@router.post("/uploads")
async def uploads_post(
    request: Request,
    files: list[UploadFile] = File(...),
    kind: str = Form("auto"),
    period: str = Form(""),
    csrf: str = Form(""),
    ctx: Ctx = Depends(page_ctx),
) -> Response:
    check_csrf(request, csrf)
    ctx.require_writer()
    paths = await uploads.save(ctx, files)
    status = 200
    try:
        reports = await run_in_threadpool(uploads.process, ctx, paths, kind, period or None)
    except ChisoError as exc:  # a file refused as a whole: its message on the upload page itself
        reports, status = [uploads.refused(exc, paths)], 400
    return render(
        request,
        "uploads.html",
        {"ctx": ctx, "kinds": uploads.KINDS, "reports": to_jsonable(reports), "kind": kind,
         "local_available": local.available(ctx)},
        status_code=status,
    )  # fmt: skip


@router.get("/letters")
def letters_page(request: Request, unit: str | None = None, ctx: Ctx = Depends(page_ctx)) -> Response:
    units = sorted((n for n in ctx.tree if ctx.allowed(n.code)), key=lambda n: n.code)
    return render(
        request,
        "letters.html",
        {"ctx": ctx, "units": units, "unit": unit or ctx.home, "items": letters.listing(ctx),
         "available": letters.builder() is not None, "made": None, "labels": letters.LABELS},
    )  # fmt: skip


@router.post("/letters")
def letters_post(
    request: Request,
    unit: str = Form(...),
    period: str = Form(...),
    source: str = Form("official"),
    csrf: str = Form(""),
    ctx: Ctx = Depends(page_ctx),
) -> Response:
    check_csrf(request, csrf)
    made = letters.generate(ctx, unit, period, source)
    units = sorted((n for n in ctx.tree if ctx.allowed(n.code)), key=lambda n: n.code)
    return render(
        request,
        "letters.html",
        {"ctx": ctx, "units": units, "unit": unit, "items": letters.listing(ctx), "available": True,
         "made": made, "labels": letters.LABELS},
    )  # fmt: skip


# -- methodology, history ----------------------------------------------------------------------------------
@router.get("/methodology")
def methodology_page(request: Request, name: str = "dvcqg-live", ctx: Ctx = Depends(page_ctx)) -> Response:
    names = available()
    if name not in names:
        raise HTTPException(404, f"Không có phương pháp tính '{name}'")
    return render(
        request,
        "methodology.html",
        {"ctx": ctx, "m": load_methodology(name), "names": names, "name": name,
         "provenances": list(Provenance)},
    )  # fmt: skip


@router.get("/history")
def history_page(request: Request, ctx: Ctx = Depends(page_ctx)) -> Response:
    ctx.require_writer()
    return render(
        request,
        "history.html",
        {"ctx": ctx, "files": ctx.ws.files(), "snapshots": ctx.ws.snapshots(), "ingests": local.ingest_history(ctx),
         "captures": ctx.ws.captures(), "capture_status": CAPTURE_STATUS},
    )


# -- administration ----------------------------------------------------------------------------------------
@router.get("/admin/users")
def users_page(request: Request, ctx: Ctx = Depends(page_ctx)) -> Response:
    ctx.require_admin()
    return render(request, "users.html", {"ctx": ctx, "users": ctx.web.accounts.users(), "error": None, "done": None})


@router.post("/admin/users")
def users_post(
    request: Request,
    username: str = Form(...),
    role: str = Form(...),
    unit: str = Form(""),
    password: str = Form(""),
    active: str = Form("1"),
    csrf: str = Form(""),
    ctx: Ctx = Depends(page_ctx),
) -> Response:
    check_csrf(request, csrf)
    ctx.require_admin()
    error = done = None
    try:
        user = ctx.web.accounts.save(
            username, role=role, unit=unit.strip() or None, password=password or None, active=active == "1",
            by=ctx.user.username,
        )  # fmt: skip
        ctx.audit("user", user.username, f"{user.role}; {user.unit or ''}; {'active' if user.active else 'disabled'}")
        done = f"Đã lưu người dùng {user.username}."
        if password and user.username == ctx.user.username and user.active:
            start_session(request, user)  # a new password ended every session: keep the administrator's own
    except ChisoError as exc:
        error = exc.message
    return render(
        request, "users.html", {"ctx": ctx, "users": ctx.web.accounts.users(), "error": error, "done": done},
        status_code=400 if error else 200,
    )  # fmt: skip


@router.get("/admin/audit")
def audit_page(request: Request, action: str | None = None, ctx: Ctx = Depends(page_ctx)) -> Response:
    ctx.require_admin()
    rows = ctx.web.accounts.audit_log(limit=500, action=action or None)
    return render(request, "audit.html", {"ctx": ctx, "rows": rows, "action": action})
