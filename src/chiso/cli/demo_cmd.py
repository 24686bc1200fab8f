"""``chiso demo``: the end-to-end example on real published results shipped with the package."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import typer

from chiso.cli.official_cmds import _print_ranking, workspace
from chiso.cli.output import console
from chiso.domain.periods import Period
from chiso.workspace import Workspace


def demo_files() -> list[Path]:
    base = resources.files("chiso") / "demo_data" / "dvcqg"
    names = [
        "gialai-agencies-2026-10-10.sample.json",
        "gialai-communes-2026-10-10.sample.json",
        "angiang/bao_cao_T10_2025.xlsx",
        "angiang/bao_cao_thang_10_2025.xlsx",
    ]
    return [Path(str(base / n)) for n in names]


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(ctx: typer.Context) -> None:
    """Chạy ví dụ đầy đủ trên số liệu thật của Cổng DVCQG (Gia Lai 2026, An Giang 2025)."""
    ws = workspace(ctx)
    console.rule("1. Nhập kết quả chính thức của Cổng DVCQG")
    for o in ws.import_official(demo_files()):
        if o.error:
            raise o.error
        assert o.report is not None
        status = "đã nhập" if o.report.status == "imported" else "đã có trong kho"
        console.print(f"{Path(o.path).name}: {status}, {len(o.report.snapshots)} bộ số liệu")
    console.rule("2. Kiểm tra số liệu theo công thức")
    res = ws.verify()
    v = res.verification
    console.print(
        f"{v.checked} phép tính đã kiểm tra, {len(v.mismatches)} sai lệch, {len(v.unchecked)} mục không kiểm tra được "
        "(chi tiết: chiso verify)."
    )
    console.rule("3. Xếp hạng")
    _print_ranking(ws.ranking(period=Period.parse("2026"), parent="H21"))
    _print_ranking(ws.ranking(period=Period.parse("2025-10"), parent="H01", kind="agency"))
    console.rule("4. Giải thích điểm bị mất của một đơn vị")
    from chiso.cli.official_cmds import explain_cmd

    explain_cmd(
        ctx, unit="H21.227", metric=None, period=None, ytd=False, fmt="table", source="official",  # type: ignore[arg-type]
        dossiers=False, page=1, page_size=50, all_rows=False, out=None,
    )
    console.print(
        "\nXếp hạng 102 xã, phường của An Giang năm 2025: chiso ranking --period 2025 --parent H01 --kind commune"
    )
    console.print(f"Kho dữ liệu: {ws.settings.db}")
    print_web_hint(ws)


def print_web_hint(ws: Workspace) -> None:
    """How to open the dashboard on what the demo stored (the last thing ``make demo`` prints)."""
    from chiso.accounts import Accounts

    console.rule("5. Trang web (bảng điều khiển và API)")
    db = "" if ws.settings.db == "chiso.duckdb" else f" --db {ws.settings.db}"
    if not Accounts(ws).users():
        console.print(f"Tạo tài khoản quản trị:  .venv/bin/chiso{db} user add admin --role admin")
    console.print(f"Chạy trang web:          .venv/bin/chiso{db} serve")
    console.print("Mở trên trình duyệt:     http://127.0.0.1:8766  (tài liệu API: http://127.0.0.1:8766/docs)")
