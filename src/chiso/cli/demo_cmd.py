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
from chiso.formatting import integer, number
from chiso.report.produce import ReportRequest, produce
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


def godau_files() -> list[Path]:
    """Gò Dầu, May 2023: assumed data rebuilt from the reference letter (demo_data/godau/README.md)."""
    base = resources.files("chiso") / "demo_data" / "godau"
    return sorted(Path(str(base / p.name)) for p in base.iterdir() if p.name.endswith(".json"))


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


GO_DAU = "000.00.37.H53"


def local_demo(ctx: typer.Context, out: Path) -> None:
    """Gò Dầu, May 2023: generate the one-stop system's data, ingest it, compute, rank, explain."""
    from chiso.cli.local_cmds import print_local
    from chiso.generate import GenerateSpec, generate, write

    ws = workspace(ctx)
    console.rule("A. Dữ liệu hồ sơ mẫu của huyện Gò Dầu (Tây Ninh), 01/01–31/5/2023")
    data_dir = out / "go-dau-2023"
    manifest = data_dir / "manifest.json"
    if not manifest.exists():
        files = write(generate(GenerateSpec(preset="go-dau-2023", seed=7)), data_dir, "csv")
        console.print(f"Đã tạo {len(files)} tệp trong {data_dir} (dữ liệu tổng hợp, không phải hồ sơ thật).")
    inputs = sorted(p for p in data_dir.iterdir() if p.suffix in (".csv", ".json") and p.name != "manifest.json")
    console.rule("B. Nạp dữ liệu (chiso ingest)")
    for r in ws.ingest(inputs):
        stored, rejected = integer(r.rows_stored), integer(r.rows_rejected)
        state = "đã nạp trước đó" if r.skipped else f"{stored} dòng lưu, {rejected} dòng loại"
        console.print(f"{r.file_name} ({r.kind_label}): {state}")
    console.rule("C. Tính tạm thời tháng 5/2023 (chiso compute) và xếp hạng các đơn vị của huyện")
    may = Period.parse("2023-05")
    rs = ws.compute(may, unit=GO_DAU)
    print_local(rs)
    console.rule("D. Chỉ số yếu nhất của từng đơn vị")
    for v in rs.units[1:]:
        weakest = sorted((ln for ln in v.lines if ln.lost), key=lambda ln: -(ln.lost or 0))[:3]
        text = "; ".join(f"{ln.name} mất {number(ln.lost)} điểm" for ln in weakest)
        console.print(f"[bold]{v.short_name}[/]: {text or 'không mất điểm'}")
    page = ws.dossiers(GO_DAU, period=may, metric="ON_TIME", page_size=5)
    console.print(
        f"\n{page.total} hồ sơ trễ hạn trong tháng 5/2023 — xem: chiso explain --unit {GO_DAU} --metric ON_TIME "
        "--dossiers --period 2023-05"
    )
    console.rule("E. Công văn từ số liệu tạm tính (chiso report --source local)")
    request = ReportRequest(
        GO_DAU, may, out / "go-dau-2023-05-tam-tinh", source="local", profile="go-dau-2023", issued=date(2023, 6, 2)
    )
    print_outcome(produce(ws, request))


def demo(
    ctx: typer.Context,
    out: Path = typer.Option(Path("demo-output"), "--out", help="Thư mục ghi dữ liệu mẫu, công văn, phụ lục."),
) -> None:
    """Chạy ví dụ đầy đủ: tạm tính Gò Dầu tháng 5/2023 từ hồ sơ mẫu; số liệu thật của Cổng (Gia Lai, An Giang)."""
    local_demo(ctx, out)
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
    console.rule("5. Công văn tháng 5/2023 của UBND huyện Gò Dầu (số liệu giả định, dựng lại từ công văn thật)")
    for o in ws.import_official(godau_files(), methodology="dvcqg-live"):
        if o.error:
            raise o.error
    request = ReportRequest(
        "H53.07", Period.parse("2023-05"), out / "go-dau-2023-05", profile="go-dau-2023", issued=date(2023, 6, 2)
    )
    print_outcome(produce(ws, request))
    console.print(f"Kho dữ liệu: {ws.settings.db}")
    print_web_hint(ws)


def print_web_hint(ws: Workspace) -> None:
    """How to open the dashboard on what the demo stored (the last thing ``make demo`` prints)."""
    from chiso.accounts import Accounts

    console.rule("6. Trang web (bảng điều khiển và API)")
    db = "" if ws.settings.db == "chiso.duckdb" else f" --db {ws.settings.db}"
    if not Accounts(ws).users():
        console.print(f"Tạo tài khoản quản trị:  .venv/bin/chiso{db} user add admin --role admin")
    console.print(f"Chạy trang web:          .venv/bin/chiso{db} serve")
    console.print("Mở trên trình duyệt:     http://127.0.0.1:8766  (tài liệu API: http://127.0.0.1:8766/docs)")
