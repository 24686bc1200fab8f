"""``chiso fetch``: take a province's results from Cổng DVCQG (docs/portal.md)."""

from __future__ import annotations

from typing import Any

import typer

from chiso.cli.output import Format, console, err_console, print_json
from chiso.domain.periods import Period
from chiso.domain.times import vn_time
from chiso.formatting import integer
from chiso.portal.fetch import FetchReport
from chiso.portal.plan import DEFAULT_BASE_URL
from chiso.wording import CAPTURE_STATUS
from chiso.workspace import Workspace


def register(app: typer.Typer) -> None:
    app.command("fetch")(fetch)


def fetch(
    ctx: typer.Context,
    province: str = typer.Option(..., "--province", help="Mã tỉnh trên Cổng DVCQG, ví dụ H44 (Phú Thọ)."),
    period: str = typer.Option(
        None, "--period", help="Năm (2026), quý hiện tại (2026-Q3) hoặc tháng đã kết thúc (2026-05); mặc định năm nay."
    ),
    scope: str = typer.Option("all", "--scope", help="all (tất cả), agencies (sở, ngành) hoặc communes (xã, phường)."),
    national: bool = typer.Option(False, "--national", help="Lưu cả bảng điểm các tỉnh, thành phố."),
    base_url: str = typer.Option(
        DEFAULT_BASE_URL, "--base-url", envvar="CHISO_PORTAL_URL", help="Địa chỉ Cổng DVCQG (để thử nghiệm)."
    ),
    timeout: float = typer.Option(45.0, "--timeout", min=1, help="Số giây chờ mỗi yêu cầu."),
    fmt: Format = typer.Option(Format.TABLE, "--format", help="table hoặc json."),
) -> None:
    """Lấy kết quả Bộ chỉ số của một tỉnh từ Cổng DVCQG và lưu thành một lần lấy số liệu.

    Chỉ lưu khi mọi phần đều lấy đủ; lần lấy lỗi hoặc thiếu được ghi lại (xem chiso history) và không thay thế
    số liệu đã có. Thoát với mã 3 khi không lấy đủ."""
    ws = Workspace(db=(ctx.obj or {}).get("db"))
    chosen = Period.parse(period) if period else None
    report = ws.fetch_portal(
        province, period=chosen, scope=scope.lower(), national=national, base_url=base_url, timeout=timeout
    )
    if fmt is Format.JSON:
        print_json(fetch_json(report))
    else:
        print_fetch(report)
    if not report.ok:
        raise typer.Exit(3)


def fetch_json(r: FetchReport) -> dict[str, Any]:
    return {
        "capture": r.capture_id, "status": r.status, "province": r.province, "period": r.period.key,
        "captured_at": r.captured_at, "requests": r.requests, "missing": r.missing, "warnings": r.warnings,
        "same_as": r.same_as,
        "snapshots": [vars(s) for s in r.report.snapshots] if r.report else [],
    }  # fmt: skip


def print_fetch(r: FetchReport) -> None:
    head = f"{r.province}, {r.period.label}, lúc {vn_time(r.captured_at)} ({integer(r.requests)} yêu cầu)"
    if r.status == "published" and r.report is not None:
        console.print(f"[green]Đã lấy[/] {head}:")
        for s in r.report.snapshots:
            console.print(f"  - {integer(s.units)} đơn vị thuộc {s.scope}")
    elif r.status == "unchanged":
        console.print(
            f"[green]Số liệu không đổi[/] {head}: giống lần lấy lúc {vn_time(r.same_as)}; "
            "đã ghi nhận thời điểm kiểm tra mới, không thêm bộ số liệu."
        )
    else:
        err_console.print(f"[red]Không lấy đủ[/] {head}: {CAPTURE_STATUS.get(r.status, r.status)}.")
        for line in r.missing:
            err_console.print(f"  - {line}")
        err_console.print("Số liệu đã có trong kho giữ nguyên. Xem các lần lấy bằng: chiso history")
    for w in r.warnings:
        console.print(f"  [yellow]Lưu ý:[/] {w}")
