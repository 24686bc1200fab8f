"""Commands of the local layer: ingest, compute, compare, due (dossiers close to their deadline)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from chiso import serialize
from chiso.cli.official_cmds import FORMAT_HELP, _period, short_name, workspace
from chiso.cli.output import Format, console, csv_text, print_csv, print_json
from chiso.domain.times import parse_instant, vn_time
from chiso.domain.units import UnitKind
from chiso.formatting import integer, number, percent, signed
from chiso.wording import DOSSIER_HEADINGS, dossier_cell
from chiso.workspace import DossierPage, ResultSet

PROVISIONAL = "số liệu tạm tính"
LIST_HEADINGS = DOSSIER_HEADINGS


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("compute")(compute)
    app.command("compare")(compare)
    app.command("due")(due)


def ingest(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="Tệp hồ sơ (JSON đồng bộ, CSV, XLSX), thủ tục, đơn vị, PAKN."),
    kind: str = typer.Option(None, "--kind", help="Ép loại dữ liệu: dossiers, procedures, units, petitions, steps."),
    mapping: Path = typer.Option(None, "--mapping", help="Tệp YAML ánh xạ tên cột {tên cột: trường}."),
    rejects_dir: Path = typer.Option(None, "--rejects-dir", help="Thư mục ghi các tệp dòng bị loại (.rejects.csv)."),
    fmt: Format = typer.Option(Format.TABLE, "--format", help=FORMAT_HELP),
) -> None:
    """Nạp dữ liệu của hệ thống một cửa; báo cáo từng dòng bị loại (tệp, dòng, trường, giá trị, lý do)."""
    ws = workspace(ctx)
    reports = ws.ingest(files, kind=kind, mapping=mapping, rejects_dir=rejects_dir)
    rows = [serialize.ingest_report(r) for r in reports]
    if fmt is Format.JSON:
        print_json(rows)
        return
    if fmt is Format.CSV:
        print_csv(rows, ["file", "kind", "format", "rows_read", "rows_stored", "rows_rejected", "skipped",
                         "rejects_csv"])  # fmt: skip
        return
    t = Table(title="Kết quả nạp dữ liệu")
    for h in ("Tệp", "Loại", "Đọc", "Lưu", "Loại bỏ", "Ghi chú"):
        t.add_column(h, overflow="fold")
    for r in reports:
        codes = {u.sentence(r.kind_label) for u in r.unknown_codes}  # printed below the table
        notes = [w for w in r.warnings if w not in codes]
        note = f"đã nạp trước đó ({r.duplicate_of})" if r.skipped else "; ".join(notes)
        t.add_row(r.file_name, r.kind_label, integer(r.rows_read), integer(r.rows_stored), integer(r.rows_rejected),
                  note)  # fmt: skip
    console.print(t)
    for r in reports:  # codes the catalogues do not know: counts and examples (the rows are kept)
        for u in r.unknown_codes:
            console.print(f"[bold]Cảnh báo[/] — {r.file_name}: {u.sentence(r.kind_label)}")
    for r in reports:
        if not r.rejects:
            continue
        rt = Table(title=f"Dòng bị loại — {r.file_name} ({integer(r.rows_rejected)} dòng)")
        for h in ("Dòng", "Trường", "Giá trị", "Lý do"):
            rt.add_column(h, overflow="fold")
        for x in r.rejects[:20]:
            rt.add_row(str(x.row), x.field, x.value[:60], x.reason)
        console.print(rt)
        more = f" (còn {integer(r.rejects_total - 20)} lỗi nữa)" if r.rejects_total > 20 else ""
        console.print(f"Toàn bộ danh sách{more}: {r.rejects_csv}")
    status = ws.local_status()
    console.print(
        f"Kho có {integer(status['dossiers'])} hồ sơ, {integer(status['units'])} đơn vị, "
        f"{integer(status['procedures'])} thủ tục, {integer(status['petitions'])} PAKN; "
        f"dữ liệu mới nhất đến {vn_time(status['cutoff'])}."
    )


def result_json(rs: ResultSet) -> list[dict[str, Any]]:
    """The compute/explain JSON contract (design.md): unit objects with groups and metrics."""
    return serialize.result_set(rs)


def compute(
    ctx: typer.Context,
    period: str = typer.Option(None, "--period", help="Kỳ: 2023-05, 2023-Q2, 2023, 2023-05-01..2023-05-20."),
    ytd: bool = typer.Option(False, "--ytd", help="Lũy kế từ đầu năm (như Cổng công bố)."),
    unit: str = typer.Option(None, "--unit", help="Mã đơn vị: đơn vị đó và các đơn vị trực thuộc."),
    rule: str = typer.Option(None, "--on-time-rule", help="portal (mặc định), date (theo ngày) hoặc session."),
    as_of: str = typer.Option(None, "--as-of", help="Tính như tại thời điểm này (ISO), mặc định bây giờ."),
    fmt: Format = typer.Option(Format.TABLE, "--format", help=FORMAT_HELP),
) -> None:
    """Tính tạm thời mọi chỉ số từ hồ sơ đã nạp, cho từng đơn vị và đơn vị cha."""
    ws = workspace(ctx)
    rs = ws.compute(
        _period(period, ytd) or ws.latest_local_period(), unit=unit, rule=rule,
        as_of=parse_instant(as_of) if as_of else None,
    )  # fmt: skip
    if fmt is Format.JSON:
        print_json(result_json(rs))
        return
    if fmt is Format.CSV:
        flat = [{k: v for k, v in x.items() if k not in ("metrics", "groups", "extras")}
                | {f"group_{c}": s for c, s in x["groups"].items()} for x in result_json(rs)]  # fmt: skip
        print_csv(flat, list(flat[0]) if flat else [])
        return
    print_local(rs)


def print_local(rs: ResultSet) -> None:
    run_notes = rs.origin
    console.print(
        f"[bold]Kết quả tạm tính[/] {rs.period.label} — {PROVISIONAL.upper()}, dữ liệu hồ sơ đến "
        f"{vn_time(run_notes.cutoff)}; phương pháp {rs.methodology.name}."
    )
    groups = [g.code for g in rs.methodology.groups]
    t = Table()
    for h in ("Hạng", "Đơn vị", "Loại", "Tổng", "Xếp loại", *groups, "Mất nhiều nhất"):
        t.add_column(h, overflow="fold")
    for v in rs.units:
        lost = sorted((ln for ln in v.lines if ln.lost), key=lambda ln: -(ln.lost or 0))[:2]
        kind = UnitKind(v.kind).label if v.kind in UnitKind._value2member_map_ else v.kind
        t.add_row(
            f"{v.rank}/{v.peers}" if v.rank else "—", short_name(v.name), kind, number(v.total, trim=False),
            v.band.label if v.band else "—", *[number(v.groups[g].score) for g in groups],
            "; ".join(f"{ln.code} −{number(ln.lost)}" for ln in lost),
        )  # fmt: skip
    console.print(t)


def print_dossiers(page: DossierPage, fmt: Format, out: Path | None) -> None:
    columns = page.columns
    if out is not None or fmt is Format.CSV:
        rows = [{LIST_HEADINGS.get(c, c): _cell(c, r[c]) for c in columns} for r in page.rows]
        text = csv_text(rows, [LIST_HEADINGS.get(c, c) for c in columns])
        if out is not None:
            out.write_text(text, encoding="utf-8-sig")
            console.print(f"Đã ghi {integer(len(rows))} hồ sơ vào {out}")
        else:
            typer.echo(text, nl=False)
        return
    if fmt is Format.JSON:
        print_json(serialize.dossier_page(page))
        return
    pages = max(1, -(-page.total // page.page_size)) if page.page_size else 1
    console.print(
        f"[bold]{integer(page.total)} hồ sơ[/] {page.reason} ({page.metric}, {page.period.label}; {PROVISIONAL}) — "
        f"trang {page.page}/{pages}"
    )
    t = Table()
    shown = ["dossier_code", "unit_code", "procedure_name", "channel", "received_at", "due_at", "end_at", "status"]
    for c in shown:
        t.add_column(LIST_HEADINGS[c], overflow="fold")
    for r in page.rows:
        t.add_row(*[_cell(c, r[c]) for c in shown])
    console.print(t)
    if page.page < pages:
        console.print(f"Trang sau: thêm --page {page.page + 1}; xuất tất cả: --out hosodanhsach.csv")


_cell = dossier_cell


def compare(
    ctx: typer.Context,
    unit: str = typer.Option(..., "--unit", help="Mã đơn vị."),
    period: str = typer.Option(None, "--period", help="Kỳ; mặc định tháng mới nhất của dữ liệu hồ sơ."),
    ytd: bool = typer.Option(False, "--ytd", help="Lũy kế từ đầu năm (như Cổng công bố)."),
    fmt: Format = typer.Option(Format.TABLE, "--format", help=FORMAT_HELP),
) -> None:
    """Đặt số liệu tạm tính bên cạnh số liệu chính thức của Cổng, từng chỉ số, kèm nguyên nhân có thể."""
    ws = workspace(ctx)
    lines = ws.compare(unit.strip(), period=_period(period, ytd))
    rows = [serialize.compare_line(x) for x in lines]
    if fmt is Format.JSON:
        print_json(rows)
        return
    if fmt is Format.CSV:
        print_csv(rows, list(rows[0]))
        return
    node = ws.find_unit(unit)
    t = Table(title=f"Tạm tính ({PROVISIONAL}) và chính thức — {node.name} ({', '.join(node.codes)})")
    for h in ("Chỉ số", "Tạm tính", "Chính thức", "Chênh lệch", "Tỷ lệ tạm tính", "Tỷ lệ chính thức", "Nguyên nhân"):
        t.add_column(h, overflow="fold")
    for x in lines:
        t.add_row(
            f"{x.name}\n[dim]{x.code}[/]", number(x.local), number(x.official),
            signed(x.difference) if x.difference is not None else "—",
            percent(x.local_ratio) if x.local_ratio is not None else "—",
            percent(x.official_ratio) if x.official_ratio is not None else "—", x.cause,
        )  # fmt: skip
    console.print(t)


def due(
    ctx: typer.Context,
    unit: str = typer.Option(..., "--unit", help="Mã đơn vị (gồm các đơn vị trực thuộc)."),
    within: float = typer.Option(16, "--within", help="Sắp đến hạn: còn tối đa bấy nhiêu giờ làm việc."),
    now: str = typer.Option(None, "--now", help="Thời điểm xét (ISO), mặc định bây giờ."),
    fmt: Format = typer.Option(Format.TABLE, "--format", help=FORMAT_HELP),
) -> None:
    """Hồ sơ đang xử lý đã quá hạn hoặc sắp đến hạn, để kịp gửi phiếu xin lỗi và hẹn lại ngày trả."""
    ws = workspace(ctx)
    items = ws.due_soon(unit.strip(), now=parse_instant(now) if now else None, within_hours=within)
    rows = [serialize.due_item(i) for i in items]
    if fmt is Format.JSON:
        print_json(rows)
        return
    if fmt is Format.CSV:
        print_csv(rows, list(rows[0]) if rows else ["dossier_code"])
        return
    late = sum(1 for i in items if i.state == "quá hạn")
    console.print(f"{integer(late)} hồ sơ quá hạn, {integer(len(items) - late)} hồ sơ sắp đến hạn (≤ {number(within)} "
                  "giờ làm việc).")  # fmt: skip
    t = Table()
    for h in ("Mã hồ sơ", "Đơn vị", "Thủ tục", "Tiếp nhận", "Hẹn trả", "Tình trạng", "Giờ làm việc còn lại"):
        t.add_column(h, overflow="fold")
    for i in items[:200]:
        t.add_row(i.dossier_code, i.unit_code, i.procedure_name or i.procedure_code or "", vn_time(i.received_at),
                  vn_time(i.due_at), i.state, number(i.hours_left))  # fmt: skip
    console.print(t)
