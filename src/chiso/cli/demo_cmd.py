"""``chiso demo``: the end-to-end example on real published results shipped with the package."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path

import typer

from chiso.cli.official_cmds import _print_ranking, workspace
from chiso.cli.output import console
from chiso.cli.report_cmd import print_outcome
from chiso.domain.periods import Period
from chiso.report.produce import ReportRequest, produce


def demo_files() -> list[Path]:
    base = resources.files("chiso") / "demo_data" / "dvcqg"
    names = [
        "gialai-agencies-2026-10-10.sample.json",
        "gialai-communes-2026-10-10.sample.json",
        "angiang/bao_cao_T10_2025.xlsx",
        "angiang/bao_cao_thang_10_2025.xlsx",
    ]
    return [Path(str(base / n)) for n in names]


def godau_files() -> list[Path]:
    """Gò Dầu, May 2023: assumed data rebuilt from the reference letter (demo_data/godau/README.md)."""
    base = resources.files("chiso") / "demo_data" / "godau"
    return sorted(Path(str(base / p.name)) for p in base.iterdir() if p.name.endswith(".json"))


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

    explain_cmd(ctx, unit="H21.227", metric=None, period=None, ytd=False, fmt="table")  # type: ignore[arg-type]
    console.print(
        "\nXếp hạng 102 xã, phường của An Giang năm 2025: chiso ranking --period 2025 --parent H01 --kind commune"
    )
    console.rule("5. Công văn tháng 5/2023 của UBND huyện Gò Dầu (số liệu giả định, dựng lại từ công văn thật)")
    for o in ws.import_official(godau_files(), methodology="dvcqg-live"):
        if o.error:
            raise o.error
    out = Path("demo-output") / "go-dau-2023-05"
    request = ReportRequest("H53.07", Period.parse("2023-05"), out, profile="go-dau-2023", issued=date(2023, 6, 2))
    print_outcome(produce(ws, request))
    console.print(f"Kho dữ liệu: {ws.settings.db}")
