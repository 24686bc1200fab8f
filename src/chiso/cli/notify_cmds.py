"""``chiso notify``: subscriptions, a test message per channel, the scheduler for cron, and the send log."""

from __future__ import annotations

import typer
from rich.table import Table

from chiso.cli.official_cmds import workspace
from chiso.cli.output import Format, console, err_console, print_json
from chiso.domain.times import parse_instant, vn_time
from chiso.errors import ChisoError
from chiso.notify.channels import CHANNELS
from chiso.notify.config import load_notify_config
from chiso.notify.jobs import message_jobs
from chiso.notify.ledger import STATUS_LABELS, SendStep
from chiso.notify.runner import Notifier, jobs_summary

notify_app = typer.Typer(
    help="Gửi bản tin, cảnh báo hồ sơ và dự thảo công văn qua Telegram, Zalo, thư điện tử, webhook theo lịch.",
    no_args_is_help=True,
)
FORMAT_HELP = "Định dạng: table (bảng) hoặc json."


def register(app: typer.Typer) -> None:
    app.add_typer(notify_app, name="notify")


def _notifier(ctx: typer.Context) -> Notifier:
    config = load_notify_config()
    for warning in config.warnings:
        err_console.print(f"[yellow]Lưu ý:[/] {warning}", highlight=False)
    return Notifier(workspace(ctx), config)


def _jobs_help() -> str:
    return ", ".join(f"{j.name} ({j.label})" for j in message_jobs())


@notify_app.command("add")
def add(
    ctx: typer.Context,
    channel: str = typer.Option(..., "--channel", help=f"Kênh: {', '.join(CHANNELS)}."),
    to: str = typer.Option(..., "--to", help="Người nhận: chat id Telegram, user_id Zalo, địa chỉ thư, URL webhook."),
    unit: str = typer.Option(..., "--unit", help="Mã đơn vị mà tin nói về (gồm các đơn vị trực thuộc)."),
    what: str = typer.Option("brief,alerts", "--what", help=f"Loại tin, cách nhau bằng dấu phẩy: {_jobs_help()}."),
    source: str = typer.Option(
        "auto", "--source", help="auto (chính thức nếu có, không thì tạm tính), official hoặc local."
    ),
    user: str = typer.Option(None, "--user", help="Tài khoản web của người nhận: giới hạn theo phạm vi của tài khoản."),
    label: str = typer.Option("", "--label", help="Người nhận là ai (ví dụ: Chủ tịch UBND xã Vân Canh)."),
) -> None:
    """Đăng ký nhận tin cho một người nhận và một đơn vị."""
    n = _notifier(ctx)
    sub = n.add(channel=channel, address=to, unit=unit, jobs=what, source=source.strip().lower(), username=user,
                label=label, by="cli")  # fmt: skip
    console.print(f"Đã đăng ký [bold]{sub.sub_id}[/]: {', '.join(sub.jobs)} về {sub.unit} qua {sub.channel} tới "
                  f"{CHANNELS[sub.channel].display(sub.address)}" + (f" (tài khoản {sub.username})" if sub.username
                                                                     else " (văn phòng)") + ".")  # fmt: skip
    if not n.config.configured()[sub.channel]:
        err_console.print(f"[yellow]Lưu ý:[/] kênh {CHANNELS[sub.channel].label} chưa được cấu hình "
                          "(chiso-notify.toml hoặc biến môi trường; xem docs/notify.md).")  # fmt: skip


@notify_app.command("list")
def list_(
    ctx: typer.Context,
    everything: bool = typer.Option(False, "--all", help="Gồm cả các đăng ký đã hủy."),
    fmt: Format = typer.Option(Format.TABLE, "--format", help=FORMAT_HELP),
) -> None:
    """Các đăng ký nhận tin và lịch gửi."""
    n = _notifier(ctx)
    subs = n.subscriptions(include_inactive=everything)
    if fmt is Format.JSON:
        print_json([{"id": s.sub_id, "channel": s.channel, "to": CHANNELS[s.channel].display(s.address),
                     "unit": s.unit, "jobs": list(s.jobs), "source": s.source, "user": s.username, "label": s.label,
                     "active": s.active, "created_at": s.created_at} for s in subs])  # fmt: skip
        return
    t = Table(title=f"{len(subs)} đăng ký nhận tin")
    for h in ("Mã", "Kênh", "Người nhận", "Đơn vị", "Loại tin", "Nguồn", "Tài khoản", "Ghi chú"):
        t.add_column(h, overflow="fold")
    for s in subs:
        t.add_row(s.sub_id, s.channel, CHANNELS[s.channel].display(s.address), s.unit, ", ".join(s.jobs), s.source,
                  s.username or "văn phòng", s.label + ("" if s.active else " (đã hủy)"))  # fmt: skip
    console.print(t)
    for job, when in jobs_summary(n.config):
        console.print(f"• {job.label} ({job.name}): {when}")


@notify_app.command("remove")
def remove(ctx: typer.Context, sub_id: str = typer.Argument(..., help="Mã đăng ký (cột đầu của notify list).")) -> None:
    """Hủy một đăng ký nhận tin (nhật ký gửi vẫn giữ)."""
    sub = _notifier(ctx).remove(sub_id, by="cli")
    console.print(f"Đã hủy đăng ký {sub.sub_id} ({sub.channel} tới {CHANNELS[sub.channel].display(sub.address)}).")


@notify_app.command("test")
def send_test(
    ctx: typer.Context,
    channel: str = typer.Option(None, "--channel", help=f"Kênh: {', '.join(CHANNELS)}."),
    to: str = typer.Option(None, "--to", help="Người nhận."),
    subscription: str = typer.Option(None, "--subscription", help="Hoặc: gửi thử tới người nhận của đăng ký này."),
) -> None:
    """Gửi một tin nhắn thử và nói rõ lỗi ở đâu (mã truy cập, mạng, người nhận)."""
    n = _notifier(ctx)
    sub = None
    if subscription:
        sub = n.ledger.subscription(subscription.strip())
        if sub is None:
            raise ChisoError(f"Không có đăng ký nhận tin mã {subscription}", hint="Xem: chiso notify list")
        channel, to = sub.channel, sub.address
    if not channel or not to:
        raise ChisoError("Thiếu --channel và --to (hoặc --subscription)",
                         hint="Ví dụ: chiso notify test --channel telegram --to 123456789")  # fmt: skip
    step, error = n.test(channel, to, by="cli", sub=sub)
    where = f"qua {CHANNELS[step.channel].label} tới {step.recipient}"
    if error is None:
        console.print(f"[green]Đã gửi[/] tin nhắn thử {where}." + (f" ({step.error})" if step.error else ""))
        return
    err_console.print(f"[bold red]Không gửi được[/] tin nhắn thử {where}.", highlight=False)
    err_console.print(f"  Lỗi ({error.problem.label}): {error.message}", highlight=False)
    if error.hint:
        err_console.print(f"  Gợi ý: {error.hint}", highlight=False)
    if error.detail:
        err_console.print(f"  [dim]Chi tiết kỹ thuật: {error.detail}[/]", highlight=False)
    raise typer.Exit(1)


def _step_row(s: SendStep) -> dict:
    return {"key": s.send_key, "job": s.job, "unit": s.unit_code, "occurrence": s.occurrence, "channel": s.channel,
            "to": s.recipient, "attempt": s.attempt, "status": s.status, "at": s.at, "retry_at": s.retry_at,
            "error": s.error, "summary": s.summary}  # fmt: skip


def _print_steps(steps: list[SendStep], title: str) -> None:
    t = Table(title=title)
    for h in ("Lúc", "Loại tin", "Đơn vị", "Kỳ/ngày", "Kênh", "Người nhận", "Lần", "Kết quả", "Ghi chú", "Mã gửi"):
        t.add_column(h, overflow="fold")
    for s in steps:
        note = s.error + (f" (thử lại lúc {vn_time(s.retry_at)})" if s.retry_at else "")
        t.add_row(vn_time(s.at), s.job, s.unit_code, s.occurrence, s.channel, s.recipient, str(s.attempt),
                  STATUS_LABELS.get(s.status, s.status), note, s.send_key)  # fmt: skip
    console.print(t)


@notify_app.command("run-due")
def run_due(
    ctx: typer.Context,
    now: str = typer.Option(None, "--now", help="Xét như đang ở thời điểm này (ISO, giờ Việt Nam), để thử lịch."),
    fmt: Format = typer.Option(Format.TABLE, "--format", help=FORMAT_HELP),
) -> None:
    """Gửi những gì đến hạn mà chưa gửi, thử lại tin lỗi (cho cron: chạy 5–15 phút một lần). Thoát mã 1 nếu có lỗi."""
    report = _notifier(ctx).run_due(parse_instant(now) if now else None)
    if fmt is Format.JSON:
        print_json({"busy": report.busy, "notes": report.notes, "steps": [_step_row(s) for s in report.steps]})
    else:
        for note in report.notes:
            err_console.print(f"[yellow]Lưu ý:[/] {note}", highlight=False)
        if report.steps:
            _print_steps(report.steps, f"{len(report.steps)} lượt gửi")
        elif not report.busy:
            console.print("Không có gì đến hạn.")
    if report.failed:
        raise typer.Exit(1)


@notify_app.command("log")
def log(
    ctx: typer.Context,
    limit: int = typer.Option(50, "--limit", min=1, max=5000, help="Số dòng mới nhất."),
    status: str = typer.Option(None, "--status", help=f"Chỉ một trạng thái: {', '.join(STATUS_LABELS)}."),
    fmt: Format = typer.Option(Format.TABLE, "--format", help=FORMAT_HELP),
) -> None:
    """Nhật ký gửi: gửi gì, cho ai, lúc nào, kết quả ra sao."""
    if status and status not in STATUS_LABELS:
        raise ChisoError(f"Trạng thái không hợp lệ: {status}", hint=f"Chọn: {', '.join(STATUS_LABELS)}.")
    steps = _notifier(ctx).log(limit=limit, status=status)
    if fmt is Format.JSON:
        print_json([_step_row(s) for s in steps])
        return
    _print_steps(steps, f"{len(steps)} dòng nhật ký gửi mới nhất")


@notify_app.command("retry")
def retry(ctx: typer.Context, key: str = typer.Argument(..., help="Mã gửi (cột cuối của notify log).")) -> None:
    """Gửi lại một tin 'không rõ đã gửi hay chưa' hoặc đã thôi thử lại, khi bạn chắc chắn cần gửi."""
    step = _notifier(ctx).retry(key)
    label = STATUS_LABELS.get(step.status, step.status)
    console.print(f"Gửi lại {step.send_key}: {label}." + (f" {step.error}" if step.error else ""))
    if step.status != "sent":
        raise typer.Exit(1)
