"""``chiso generate``: synthetic one-stop data (units, procedures, dossiers, steps, petitions) for trying chiso out."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from chiso.cli.output import console
from chiso.errors import ChisoError
from chiso.formatting import integer
from chiso.generate import FORMATS, PRESETS, GenerateSpec, generate, write

KIND_LABELS = {
    "units": "đơn vị",
    "procedures": "thủ tục",
    "dossiers": "hồ sơ",
    "steps": "quá trình xử lý",
    "petitions": "phản ánh, kiến nghị",
    "manifest": "mô tả bộ dữ liệu",
}


PRESET_HELP = "Bộ mẫu: " + "; ".join(f"{k}: {v}" for k, v in PRESETS.items())


def register(app: typer.Typer) -> None:
    app.command("generate")(generate_cmd)


def _day(text: str | None, option: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ChisoError(
            f"Ngày không hợp lệ cho {option}: {text}", detail=str(exc), hint="Dùng dạng yyyy-mm-dd, ví dụ 2023-05-31."
        ) from exc


def generate_cmd(
    preset: str = typer.Option("go-dau-2023", "--preset", help=PRESET_HELP),
    province: str = typer.Option(None, "--province", help="Tỉnh cho province-2025: mã Cổng (H21), tên (gia-lai)."),
    dossiers: int = typer.Option(None, "--dossiers", min=0, help="Tổng số hồ sơ (mặc định: khối lượng tự nhiên)."),
    start: str = typer.Option(None, "--from", help="Ngày đầu kỳ (yyyy-mm-dd)."),
    end: str = typer.Option(None, "--to", help="Ngày cuối kỳ (yyyy-mm-dd); số liệu chốt cuối ngày này."),
    seed: int = typer.Option(7, "--seed", help="Hạt giống ngẫu nhiên: cùng hạt giống cho cùng dữ liệu."),
    fmt: str = typer.Option("csv", "--format", help="Định dạng tệp hồ sơ: " + ", ".join(FORMATS) + "."),
    steps: bool = typer.Option(False, "--steps", help="Sinh cả quá trình xử lý (CapNhatTienDoHoSoMC)."),
    bad_rows: float = typer.Option(0.0, "--bad-rows", help="Tỷ lệ dòng lỗi cố ý (ví dụ 0.001) để thử báo cáo loại."),
    out: Path = typer.Option(..., "--out", help="Thư mục ghi các tệp."),
) -> None:
    """Sinh dữ liệu giả lập của hệ thống một cửa (đơn vị, thủ tục, hồ sơ, PAKN) để dùng thử chiso ingest."""
    if fmt not in FORMATS:
        raise ChisoError(f"Định dạng không được hỗ trợ: {fmt}", hint="Dùng --format csv, xlsx hoặc json.")
    spec = GenerateSpec(
        preset=preset,
        province=province,
        dossiers=dossiers,
        start=_day(start, "--from"),
        end=_day(end, "--to"),
        seed=seed,
        steps=steps,
        bad_rows=bad_rows,
    )
    with console.status("Đang sinh dữ liệu…"):
        generated = generate(spec)
        files = write(generated, out, fmt)
    m = generated.manifest
    period = generated.period
    console.print(
        f"[bold]Bộ mẫu {spec.preset}[/]"
        + (f" — tỉnh {m['province']}" if m.get("province") else "")
        + f", kỳ {period.start:%d/%m/%Y}–{period.end:%d/%m/%Y}, chốt số liệu {period.cutoff:%H:%M} ngày "
        f"{period.cutoff:%d/%m/%Y}, hạt giống {spec.seed}."
    )
    table = Table(title=f"Đã ghi vào {out}", show_lines=False)
    table.add_column("Tệp")
    table.add_column("Nội dung")
    table.add_column("Số dòng", justify="right")
    for kind in dict.fromkeys(f.kind for f in files):
        group = [f for f in files if f.kind == kind]
        name = group[0].path.name if len(group) == 1 else f"{group[0].path.name} … {group[-1].path.name}"
        label = KIND_LABELS.get(kind, kind) + ("" if len(group) == 1 else f" ({len(group)} tệp)")
        table.add_row(name, label, integer(sum(f.rows for f in group)) if kind != "manifest" else "")
    console.print(table)
    counts = m["counts"]
    console.print(
        f"{integer(counts['dossiers'])} hồ sơ của {integer(counts['units_with_dossiers'])} đơn vị "
        f"({integer(counts['received'])} đã tiếp nhận), {integer(counts['petitions'])} phản ánh, kiến nghị."
    )
    if counts["bad_rows"]:
        total = sum(counts["bad_rows"].values())
        console.print(f"Có {integer(total)} dòng lỗi cố ý (xem manifest.json) để thử báo cáo dòng bị loại khi nạp.")
    inputs = " ".join(str(out / p) for p in ("units.csv", "procedures.csv", f"dossiers*.{fmt}", "petitions.csv"))
    console.print("Đây là dữ liệu giả lập, không phải số liệu thật. Nạp thử: chiso ingest " + inputs)
