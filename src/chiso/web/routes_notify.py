"""``/notify``: who receives briefs and alerts, a test message, and the send log.

Administrators manage every subscription, including the office's (no user: every unit) and webhooks (the
server posts to the address given, so only they may give one). Every other user manages their own: the unit
must pass the page's access rule (``Ctx.unit``, 403 outside the user's scope), and the notifier checks the
user's scope again when the subscription is saved and before every send. Forms carry the session's CSRF token
as everywhere else.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from chiso.errors import ChisoError
from chiso.notify.channels import CHANNELS
from chiso.notify.config import load_notify_config
from chiso.notify.jobs import message_jobs
from chiso.notify.ledger import STATUS_LABELS, Subscription
from chiso.notify.runner import Notifier, jobs_summary
from chiso.web.auth import check_csrf
from chiso.web.context import Ctx, page_ctx
from chiso.web.templating import render

router = APIRouter(include_in_schema=False)
SOURCES = [("auto", "chính thức nếu có, không thì tạm tính"), ("official", "chính thức"), ("local", "tạm tính")]


def _notifier(ctx: Ctx) -> Notifier:
    return Notifier(ctx.ws, load_notify_config(), data_dir=ctx.web.data_dir)


def _mine(ctx: Ctx, sub: Subscription) -> bool:
    return ctx.user.role == "admin" or sub.username == ctx.user.username


def _page(request: Request, ctx: Ctx, n: Notifier, *, error: str | None = None, done: str | None = None,
          status_code: int = 200) -> Response:  # fmt: skip
    admin = ctx.user.role == "admin"
    subs = [s for s in n.subscriptions() if _mine(ctx, s)]
    log = n.log(limit=100, username=None if admin else ctx.user.username)
    units = sorted((u for u in ctx.tree if ctx.allowed(u.code) and u.kind != "national"),
                   key=lambda u: u.code)  # fmt: skip
    context: dict[str, Any] = {
        "ctx": ctx, "subs": subs, "log": [s for s in log if s.status != "sending"], "units": units,
        "channels": CHANNELS, "jobs": message_jobs(), "sources": SOURCES, "statuses": STATUS_LABELS,
        "schedule": jobs_summary(n.config), "admin": admin, "error": error, "done": done,
        "configured": n.config.configured() if admin else {}, "home": ctx.home,
    }  # fmt: skip
    return render(request, "notify.html", context, status_code=status_code)


@router.get("/notify")
def notify_page(request: Request, ctx: Ctx = Depends(page_ctx)) -> Response:
    return _page(request, ctx, _notifier(ctx))


@router.post("/notify/subscriptions")
def add_subscription(
    request: Request,
    channel: str = Form(...),
    address: str = Form(...),
    unit: str = Form(...),
    jobs: list[str] = Form([]),
    source: str = Form("auto"),
    owner: str = Form(""),
    label: str = Form(""),
    csrf: str = Form(""),
    ctx: Ctx = Depends(page_ctx),
) -> Response:
    check_csrf(request, csrf)
    ctx.unit(unit)  # the page's access rule first: 403 outside the user's scope
    if channel == "webhook" and ctx.user.role != "admin":  # the server would POST wherever a user points it
        raise HTTPException(403, "Chỉ quản trị viên được đăng ký webhook")
    n = _notifier(ctx)
    # an administrator may add the office's subscriptions (no user); anyone else subscribes as themselves
    username = (owner.strip() or None) if ctx.user.role == "admin" else ctx.user.username
    try:
        sub = n.add(channel=channel, address=address, unit=unit, jobs=",".join(jobs), source=source,
                    username=username, label=label or ctx.user.display_name, by=ctx.user.username)  # fmt: skip
    except ChisoError as exc:
        return _page(request, ctx, n, error=exc.message + (f" {exc.hint}" if exc.hint else ""), status_code=400)
    ctx.audit("notify", sub.unit, f"add {sub.sub_id}: {sub.channel}, {', '.join(sub.jobs)}, {sub.username or 'office'}")
    return _page(request, ctx, n, done=f"Đã đăng ký nhận tin (mã {sub.sub_id}).")


def _own(ctx: Ctx, n: Notifier, sub_id: str) -> Subscription:
    sub = n.ledger.subscription(sub_id)
    if sub is None or not sub.active:
        raise HTTPException(404, "Không có đăng ký nhận tin này")
    if not _mine(ctx, sub):
        raise HTTPException(403, "Chỉ người đăng ký và quản trị viên được thay đổi đăng ký này")
    return sub


@router.post("/notify/subscriptions/{sub_id}/remove")
def remove_subscription(request: Request, sub_id: str, csrf: str = Form(""), ctx: Ctx = Depends(page_ctx)) -> Response:
    check_csrf(request, csrf)
    n = _notifier(ctx)
    sub = _own(ctx, n, sub_id)
    n.remove(sub.sub_id, by=ctx.user.username)
    ctx.audit("notify", sub.unit, f"remove {sub.sub_id}")
    return RedirectResponse("/notify", status_code=303)


@router.post("/notify/subscriptions/{sub_id}/test")
def send_test(request: Request, sub_id: str, csrf: str = Form(""), ctx: Ctx = Depends(page_ctx)
                            ) -> Response:  # fmt: skip
    check_csrf(request, csrf)
    n = _notifier(ctx)
    sub = _own(ctx, n, sub_id)
    step, error = n.test(sub.channel, sub.address, by=ctx.user.username, sub=sub)  # a worker thread: may wait
    ctx.audit("notify", sub.unit, f"test {sub.sub_id}: {step.status}")
    if error is None:
        return _page(request, ctx, n, done=f"Đã gửi tin nhắn thử tới {step.recipient}.")
    message = f"Không gửi được tin nhắn thử ({error.problem.label}): {error.message}"
    return _page(request, ctx, n, error=message + (f" {error.hint}" if error.hint else ""), status_code=502)
