"""``chiso serve`` (the web dashboard and API) and ``chiso user`` (web accounts)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.table import Table

from chiso.cli.output import Format, console, err_console, print_json
from chiso.errors import ChisoError

user_app = typer.Typer(help="Người dùng của trang web: thêm, sửa, khóa, liệt kê.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(user_app, name="user")


def _db(ctx: typer.Context, db: str | None) -> str | None:
    return db or (ctx.obj or {}).get("db")


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Địa chỉ lắng nghe (0.0.0.0 để mở cho cả mạng nội bộ)."),
    port: int = typer.Option(8766, "--port", help="Cổng."),
    db: str = typer.Option(None, "--db", help="Kho dữ liệu (mặc định như lệnh gốc: --db, CHISO_DB, ./chiso.duckdb)."),
    data_dir: Path = typer.Option(None, "--data-dir", help="Thư mục lưu tệp tải lên và công văn đã tạo."),
    idle_minutes: float = typer.Option(30, "--idle-minutes", help="Phiên hết hạn sau chừng này phút không dùng."),
    max_hours: float = typer.Option(12, "--max-hours", help="Phiên hết hạn sau chừng này giờ kể từ khi đăng nhập."),
    secure_cookies: bool = typer.Option(False, "--secure-cookies", help="Chỉ gửi cookie qua HTTPS."),
    home: str = typer.Option(None, "--home", help="Đơn vị mở đầu cho cán bộ chưa gắn đơn vị (ví dụ H21)."),
    workers_threads: int = typer.Option(40, "--threads", help="Số luồng xử lý đồng thời."),
    notify: bool = typer.Option(
        True, "--notify/--no-notify", help="Chạy lịch gửi bản tin, cảnh báo, công văn (chiso notify; docs/notify.md)."
    ),
) -> None:
    """Chạy trang web và API (mở http://HOST:PORT trên trình duyệt; tài liệu API ở /docs)."""
    import anyio.to_thread
    import uvicorn

    from chiso.accounts import Accounts
    from chiso.web import WebOptions, create_app

    options = WebOptions(
        db=_db(ctx, db), data_dir=data_dir, idle_minutes=idle_minutes, max_hours=max_hours,
        secure_cookies=secure_cookies, home=home,
    )  # fmt: skip
    app = create_app(options)
    accounts: Accounts = app.state.web.accounts
    if not accounts.users():
        err_console.print(
            "Chưa có người dùng nào. Tạo tài khoản quản trị trước: "
            "chiso user add admin --role admin (rồi chạy lại chiso serve)."
        )
    console.print(f"chiso đang chạy: mở http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port} trên trình duyệt")
    console.print(f"Kho dữ liệu: {app.state.web.main.settings.db}; dừng bằng Ctrl+C.")

    async def _limit() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = workers_threads

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)

    async def _run() -> None:
        await _limit()
        await server.serve()

    scheduler = None
    if notify:
        from chiso.notify.runner import Scheduler

        scheduler = Scheduler(options.db, data_dir=app.state.web.data_dir)
        scheduler.start()
        console.print("Lịch gửi thông báo đang chạy mỗi phút (xem: chiso notify list; tắt: --no-notify).")
    try:
        anyio.run(_run)
    finally:
        if scheduler is not None:
            scheduler.stop()


def _accounts(ctx: typer.Context, db: str | None):  # type: ignore[no-untyped-def]
    from chiso.accounts import Accounts
    from chiso.workspace import Workspace

    return Accounts(Workspace(db=_db(ctx, db)))


def _password(from_stdin: bool, required: bool) -> str | None:
    if from_stdin:
        text = sys.stdin.readline().rstrip("\r\n")
        if not text:
            raise ChisoError("Không đọc được mật khẩu từ đầu vào chuẩn")
        return text
    if not required:
        return None
    return typer.prompt("Mật khẩu", hide_input=True, confirmation_prompt="Nhập lại mật khẩu")  # type: ignore[no-any-return]


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Tên đăng nhập."),
    role: str = typer.Option(
        ..., "--role", help="admin (quản trị), staff (cán bộ văn phòng) hoặc viewer (theo đơn vị)."
    ),
    unit: str = typer.Option(None, "--unit", help="Mã đơn vị: bắt buộc với viewer; với staff là đơn vị mở đầu."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Đọc mật khẩu từ đầu vào chuẩn."),
    display_name: str = typer.Option("", "--display-name", help="Tên hiển thị."),
    db: str = typer.Option(None, "--db", help="Kho dữ liệu."),
) -> None:
    """Thêm người dùng, hoặc đổi mật khẩu, vai trò, đơn vị của người dùng đã có."""
    accounts = _accounts(ctx, db)
    exists = any(u.username == name.strip().lower() for u in accounts.users())
    password = _password(password_stdin, required=not exists)
    user = accounts.save(name, role=role, unit=unit, password=password, display_name=display_name, by="cli")
    accounts.audit("cli", "user", user.username, f"{user.role}; {user.unit or ''}")
    what = "Đã cập nhật" if exists else "Đã thêm"
    where = f", đơn vị {user.unit}" if user.unit else ""
    console.print(f"{what} người dùng {user.username} ({user.role.label}{where}).")


@user_app.command("disable")
def user_disable(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Tên đăng nhập."),
    db: str = typer.Option(None, "--db", help="Kho dữ liệu."),
) -> None:
    """Khóa một người dùng (không xóa: nhật ký vẫn giữ tên)."""
    accounts = _accounts(ctx, db)
    found = next((u for u in accounts.users() if u.username == name.strip().lower()), None)
    if found is None:
        raise ChisoError(f"Không có người dùng {name}")
    accounts.save(found.username, role=found.role, unit=found.unit, active=False, by="cli")
    accounts.audit("cli", "user", found.username, "disabled")
    console.print(f"Đã khóa người dùng {found.username}.")


@user_app.command("list")
def user_list(
    ctx: typer.Context,
    fmt: Format = typer.Option(Format.TABLE, "--format", help="table hoặc json."),
    db: str = typer.Option(None, "--db", help="Kho dữ liệu."),
) -> None:
    """Liệt kê người dùng."""
    users = _accounts(ctx, db).users()
    if fmt is Format.JSON:
        print_json([{"username": u.username, "role": str(u.role), "unit": u.unit, "active": u.active} for u in users])
        return
    t = Table(title=f"{len(users)} người dùng")
    for h in ("Tên đăng nhập", "Vai trò", "Đơn vị", "Trạng thái"):
        t.add_column(h)
    for u in users:
        t.add_row(u.username, u.role.label, u.unit or "", "đang dùng" if u.active else "đã khóa")
    console.print(t)
