"""Commands of the official layer: import-official, verify, ranking, explain, history (units: units_cmd)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from chiso import serialize
from chiso.cli.output import Format, console, err_console, print_csv, print_json, write_xlsx
from chiso.domain.periods import Period
from chiso.domain.times import parse_instant, vn_time
from chiso.domain.units import UnitKind
from chiso.errors import ChisoError
from chiso.formatting import integer, number, percent, signed
from chiso.scoring.rank import Change
from chiso.wording import (
    CAPTURE_STATUS,
    PORTAL_RANK_NOTE,
    day_change_note,
    provenance_line,
    restore_sentence,
    rule_text,
)
from chiso.workspace import Ranking, Workspace

FORMAT_HELP = "Định dạng: table (bảng), json hoặc csv."


def workspace(ctx: typer.Context) -> Workspace:
    return Workspace(db=(ctx.obj or {}).get("db"))


def short_name(name: str) -> str:
    """Drop the province suffix the portal appends: 'Sở Y tế - tỉnh Gia Lai' → 'Sở Y tế'."""
    return name.split(" - ")[0].strip()


def _period(text: str | None, ytd: bool) -> Period | None:
    return Period.parse(text, ytd=ytd) if text else None


def register(app: typer.Typer) -> None:
    app.command("import-official")(import_official)
    app.command("verify")(verify)
    app.command("ranking")(ranking)
    app.command("explain")(explain_cmd)
    app.command("history")(history)


# -- import-official ---------------------------------------------------------------------------------------
def import_official(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="Tệp kết quả của Cổng DVCQG (.json, .xlsx, .csv)."),
    period: str = typer.Option(None, "--period", help="Kỳ của số liệu khi tệp không ghi (2025-10, 2025-Q3, 2025)."),
    ytd: bool = typer.Option(False, "--ytd", help="Kỳ lũy kế từ đầu năm."),
    methodology: str = typer.Option(None, "--methodology", help="Dùng phương pháp tính này thay vì chọn theo kỳ."),
    captured_at: str = typer.Option(
        None, "--captured-at", help="Thời điểm lấy số liệu (ISO, giờ Việt Nam), khi tệp không ghi."
    ),
    fmt: Format = typer.Option(Format.TABLE, "--format", help=FORMAT_HELP),
) -> None:
    """Nhập kết quả chính thức do Cổng DVCQG công bố. Nhập lại cùng tệp không thay đổi gì."""
    ws = workspace(ctx)
    moment = None
    if captured_at:
        try:
            moment = parse_instant(captured_at)
        except ValueError as exc:
            raise ChisoError(f"Thời điểm không hợp lệ: {captured_at}", detail=str(exc)) from exc
    outcomes = ws.import_official(files, period=_period(period, ytd), methodology=methodology, captured_at=moment)
    failed = [o for o in outcomes if o.error]
    if fmt is Format.JSON:
        print_json([serialize.import_outcome(o) for o in outcomes])
    else:
        for o in outcomes:
            if o.error:
                from chiso.cli.app import report_error

                report_error(o.error)
                continue
            r = o.report
            assert r is not None
            if r.status == "duplicate":
                console.print(f"[yellow]Đã có trong kho[/] {o.path} (trùng nội dung với {r.duplicate_of}): bỏ qua.")
                continue
            if r.status == "combined":
                console.print(f"[green]Đã gộp[/] {o.path} vào cùng lần lấy số liệu với {r.duplicate_of}.")
                continue
            if r.status == "stored":
                console.print(f"[green]Đã lưu phản hồi gốc[/] {o.path} (không có điểm).")
                for w in r.warnings:
                    console.print(f"  {w}")
                continue
            if r.status == "unchanged":
                when = parse_instant(r.duplicate_of) if r.duplicate_of else None
                console.print(
                    f"[green]Số liệu không đổi[/] {o.path}: giống lần lấy lúc {vn_time(when)}; "
                    "chỉ ghi nhận thời điểm kiểm tra mới, không thêm bộ số liệu."
                )
                continue
            units = sum(s.units for s in r.snapshots)
            console.print(f"[green]Đã nhập[/] {o.path}: {len(r.snapshots)} bộ số liệu, {integer(units)} dòng đơn vị.")
            for s in r.snapshots:
                where = f"trang '{s.sheet}', " if s.sheet else ""
                console.print(
                    f"  - {where}{s.period_label}, {integer(s.units)} đơn vị thuộc {s.scope}, "
                    f"số liệu lúc {vn_time(s.captured_at)} ({_basis(s.captured_basis)}), phương pháp {s.methodology}"
                )
            for w in r.warnings:
                console.print(f"  [yellow]Cảnh báo:[/] {w}")
    if failed:
        err_console.print(f"{len(failed)}/{len(outcomes)} tệp không được nhập.")
        raise typer.Exit(2)


def _basis(basis: str) -> str:
    return {
        "file": "ghi trong tệp",
        "workbook": "thời điểm tạo bảng tính",
        "file-name": "ngày trong tên tệp",
        "user": "do người dùng nhập",
        "import": "thời điểm nhập, tệp không ghi",
    }.get(basis, basis)


# -- verify ------------------------------------------------------------------------------------------------
def verify(
    ctx: typer.Context,
    tolerance: str = typer.Option(None, "--tolerance", help="Chênh lệch chấp nhận (mặc định 0.01)."),
    period: str = typer.Option(None, "--period", help="Chỉ kiểm tra kỳ này."),
    fmt: Format = typer.Option(Format.TABLE, "--format", help=FORMAT_HELP),
) -> None:
    """Tính lại mọi điểm đã nhập từ tử số, mẫu số; thoát với mã 1 nếu có sai lệch vượt ngưỡng."""
    ws = workspace(ctx)
    tol = None
    if tolerance is not None:
        try:
            tol = Decimal(tolerance.replace(",", "."))
        except ArithmeticError as exc:
            raise ChisoError(f"Ngưỡng không hợp lệ: {tolerance}") from exc
    res = ws.verify(tolerance=tol, period=_period(period, False))
    v = res.verification
    data = serialize.verification(res)
    mismatches, unchecked = data["mismatches"], data["unchecked"]
    if fmt is Format.JSON:
        print_json(data)
    elif fmt is Format.CSV:
        print_csv(
            mismatches, ["file", "period", "unit", "metric", "level", "expected", "computed", "difference", "cause"]
        )
    else:
        console.print(
            f"Đã kiểm tra {integer(v.checked)} phép tính trên {len(res.snapshots)} bộ số liệu "
            f"(ngưỡng {number(res.tolerance)}): "
            f"[{'red' if v.mismatches else 'green'}]{len(v.mismatches)} sai lệch[/], "
            f"{len(v.unchecked)} mục không kiểm tra được."
        )
        if v.mismatches:
            t = Table(title="Sai lệch", show_lines=False)
            for h in ("Tệp", "Kỳ", "Đơn vị", "Chỉ số/nhóm", "Công bố", "Tính lại", "Nguyên nhân có thể"):
                t.add_column(h)
            for x in mismatches:
                t.add_row(
                    str(x["file"]),
                    str(x["period"]),
                    x["unit"],
                    x["metric"],
                    number(x["expected"]),
                    number(x["computed"]),
                    x["cause"],
                )
            console.print(t)
        if unchecked:
            summary: dict[tuple[str, str], list[str]] = {}
            for u in v.unchecked:
                key = (u.item, u.reason.split(":")[0])
                summary.setdefault(key, []).append(u.unit or f"{u.count} đơn vị")
            t = Table(title="Không kiểm tra được (không bỏ qua âm thầm)")
            for h in ("Mục", "Lý do", "Số đơn vị", "Ví dụ"):
                t.add_column(h)
            for (item, reason), units_ in sorted(summary.items()):
                t.add_row(item, reason, str(len(units_)), ", ".join(units_[:4]))
            console.print(t)
    if v.mismatches:
        raise typer.Exit(1)


# -- ranking -----------------------------------------------------------------------------------------------
RANK_COLUMNS = [
    "rank", "unit", "name", "kind", "total", "band", "value", "score_change", "rank_change",
    "previous_score", "previous_rank", "day_score_change", "day_rank_change", "portal_rank", "portal_group_rank",
]  # fmt: skip


def ranking(
    ctx: typer.Context,
    period: str = typer.Option(None, "--period", help="Kỳ (2025-10, 2025-Q3, 2025); mặc định kỳ mới nhất."),
    ytd: bool = typer.Option(False, "--ytd", help="Kỳ lũy kế từ đầu năm."),
    parent: str = typer.Option(None, "--parent", help="Mã đơn vị cha (H01; VN cho các tỉnh)."),
    kind: str = typer.Option(
        "apart", "--kind", help="agency, commune, district, province, all (chung một bảng) hoặc apart (tách theo loại)."
    ),
    by: str = typer.Option("total", "--by", help="Xếp theo total (tổng điểm) hoặc mã nhóm (TDGQ, MDSH...)."),
    compare: str = typer.Option(
        "auto",
        "--compare",
        help="So sánh với: auto, period (kỳ trước), snapshot (lần cập nhật trước), none, hoặc một kỳ.",
    ),
    fmt: str = typer.Option("table", "--format", help="table, json, csv hoặc xlsx."),
    out: Path = typer.Option(None, "--out", help="Tệp kết quả (cho xlsx/csv/json)."),
    source: str = typer.Option("official", "--source", help="official (Cổng DVCQG) hoặc local (tạm tính từ hồ sơ)."),
) -> None:
    """Xếp hạng các đơn vị theo tổng điểm hoặc theo nhóm; điểm bằng nhau cùng hạng."""
    ws = workspace(ctx)
    if source == "local":
        r = ws.local_ranking(period=_period(period, ytd), parent=parent, kind=kind.lower())
    else:
        r = ws.ranking(period=_period(period, ytd), parent=parent, kind=kind.lower(), by=by, compare=compare)
    rows = serialize.ranking_rows(r)
    fmt = fmt.lower()
    if fmt == "json":
        _emit_text(out, rows, json_=True)
    elif fmt == "csv":
        flat = [{**x, **{f"group_{k}": v for k, v in x["groups"].items()}} for x in rows]
        _emit_text(out, flat, columns=RANK_COLUMNS + [f"group_{g}" for g in r.group_codes])
    elif fmt == "xlsx":
        path = out or Path(f"xep-hang-{r.parent}-{r.period.key}.xlsx")
        write_xlsx(
            path,
            _ranking_sheets(r),
            title=f"Xếp hạng Bộ chỉ số phục vụ người dân, doanh nghiệp — {r.period.label}",
            number_formats=dict.fromkeys(
                ["Tổng điểm", *r.group_codes, "Thay đổi điểm", "Thay đổi điểm so với lần lấy trước"], "0.00"
            ),
        )
        console.print(f"Đã ghi {path}")
    else:
        _print_ranking(r)


def _emit_text(
    out: Path | None, rows: list[dict[str, Any]], *, json_: bool = False, columns: list[str] | None = None
) -> None:
    if out is None:
        print_json(rows) if json_ else print_csv(rows, columns or [])
        return
    import io
    import sys
    from contextlib import redirect_stdout

    buffer = io.StringIO()
    with redirect_stdout(buffer):
        print_json(rows) if json_ else print_csv(rows, columns or [])
    out.write_text(buffer.getvalue(), encoding="utf-8")
    sys.stderr.write(f"Đã ghi {out}\n")


def _ranking_sheets(r: Ranking) -> list[tuple[str, list[str], list[list[Any]]]]:
    sheets = []
    for table in r.tables:
        headings = [
            "Hạng",
            "Mã đơn vị",
            "Đơn vị",
            "Tổng điểm",
            "Xếp loại",
            *r.group_codes,
            "Thay đổi điểm",
            "Thay đổi hạng",
            "Thay đổi điểm so với lần lấy trước",
            "Thay đổi hạng so với lần lấy trước",
            "Hạng trên Cổng",
        ]
        rows = [
            [
                row.rank,
                row.unit,
                row.name,
                row.total,
                row.band.label if row.band else None,
                *[row.groups.get(g) for g in r.group_codes],
                row.change.score if row.change else None,
                row.change.rank if row.change else None,
                row.day_change.score if row.day_change else None,
                row.day_change.rank if row.day_change else None,
                row.portal_order,
            ]
            for row in table.rows
        ]
        sheets.append((table.title, headings, rows))
    return sheets


def _changes(c: Change | None) -> list[str]:
    return [
        signed(c.score) if c else "",
        signed(Decimal(c.rank), 0) if c and c.rank is not None else "",
    ]


def _print_ranking(r: Ranking) -> None:
    by = "tổng điểm" if r.by == "total" else f"nhóm {r.by}"
    for table in r.tables:
        t = Table(title=f"{table.title} thuộc {r.parent} — {r.period.label} (xếp theo {by})", title_justify="left")
        day = ["±Điểm ngày", "±Hạng ngày"] if table.day_columns else []
        for h in ("Hạng", "Mã", "Đơn vị", "Tổng", "Xếp loại", *r.group_codes, "±Điểm", "±Hạng", *day, "Hạng Cổng"):
            t.add_column(h, justify="right" if h not in ("Mã", "Đơn vị", "Xếp loại") else "left")
        for row in table.rows:
            t.add_row(
                str(row.rank or "—"),
                row.unit,
                row.name,
                number(row.total, trim=False),
                row.band.label if row.band else "—",
                *[number(row.groups.get(g)) for g in r.group_codes],
                *_changes(row.change),
                *(_changes(row.day_change) if day else []),
                str(row.portal_order or ""),
            )
        console.print(t)
        notes = [f"Số liệu lúc {vn_time(table.captured_at)}"]
        if table.baseline:
            notes.append(f"thay đổi {table.baseline}")
        if day_note := day_change_note(table.day_baseline if day else None, table.checked_at):
            notes.append(day_note)
        console.print("[dim]" + "; ".join(notes) + ".[/]")
        console.print(f"[dim]{PORTAL_RANK_NOTE}[/]")


# -- explain -----------------------------------------------------------------------------------------------
def explain_cmd(
    ctx: typer.Context,
    unit: str = typer.Option(..., "--unit", help="Mã đơn vị (ví dụ H21.227)."),
    metric: str = typer.Option(None, "--metric", help="Chỉ một chỉ số (ví dụ ON_TIME)."),
    period: str = typer.Option(None, "--period", help="Kỳ; mặc định kỳ mới nhất của đơn vị."),
    ytd: bool = typer.Option(False, "--ytd", help="Kỳ lũy kế từ đầu năm."),
    fmt: Format = typer.Option(Format.TABLE, "--format", help=FORMAT_HELP),
    source: str = typer.Option("official", "--source", help="official (Cổng DVCQG) hoặc local (tạm tính từ hồ sơ)."),
    dossiers: bool = typer.Option(False, "--dossiers", help="Liệt kê các hồ sơ làm mất điểm của chỉ số (--metric)."),
    page: int = typer.Option(1, "--page", min=1, help="Trang của danh sách hồ sơ."),
    page_size: int = typer.Option(50, "--page-size", min=1, max=1000, help="Số hồ sơ mỗi trang."),
    all_rows: bool = typer.Option(False, "--all", help="Toàn bộ danh sách (không phân trang), ví dụ để xuất CSV."),
    out: Path = typer.Option(None, "--out", help="Ghi danh sách hồ sơ ra tệp CSV."),
) -> None:
    """Điểm bị mất theo từng chỉ số, sắp theo số điểm mất, và cách lấy lại; --dossiers: các hồ sơ phía sau."""
    ws = workspace(ctx)
    if dossiers:
        from chiso.cli.local_cmds import print_dossiers

        if not metric:
            raise ChisoError("Cần chọn chỉ số bằng --metric khi dùng --dossiers", hint="Ví dụ: --metric ON_TIME")
        listing = ws.dossiers(unit.strip(), period=_period(period, ytd), metric=metric, page=page,
                              page_size=None if (all_rows or out) else page_size)  # fmt: skip
        print_dossiers(listing, fmt, out)
        return
    x = ws.explain(unit.strip(), period=_period(period, ytd), metric=metric, source=source)
    metrics = [serialize.explanation_line(e) for e in x.explanations]
    v = x.view
    if fmt is Format.JSON:
        print_json(serialize.explanation(x))
        return
    if fmt is Format.CSV:
        print_csv(
            metrics,
            ["group", "code", "name", "numerator", "denominator", "ratio", "target", "score", "max", "lost", "status",
             "basis", "restore"],
        )  # fmt: skip
        return
    kind = UnitKind(v.kind).label if v.kind in UnitKind._value2member_map_ else v.kind
    console.print(f"[bold]{v.name}[/] ({v.unit}) — {Period.parse(v.origin.period).label}")
    source = "số liệu tạm tính" if v.origin.is_estimate else "số liệu Cổng DVCQG"
    console.print(
        f"Tổng điểm {number(v.total, trim=False)}/100"
        + (f", xếp loại {v.band.label}" if v.band else "")
        + (f", hạng {v.rank}/{v.peers} {kind}" if v.rank else "")
        + f"; {source} lúc {vn_time(v.origin.cutoff)}; phương pháp {x.methodology.name}."
    )
    t = Table(show_lines=True)
    for h in ("Nhóm", "Chỉ số", "Tử số/Mẫu số", "Tỷ lệ", "Quy tắc", "Điểm", "Tối đa", "Mất", "Cách lấy lại điểm"):
        t.add_column(h, overflow="fold")
    for e, m in zip(x.explanations, metrics, strict=True):
        counts = (
            f"{integer(int(e.line.numerator))}/{integer(int(e.line.denominator))}"
            if e.line.numerator is not None and e.line.denominator is not None
            else "—"
        )
        t.add_row(
            e.line.group,
            f"{e.line.name}\n[dim]{e.line.code}; {provenance_line(e)}[/]",
            counts,
            percent(m["ratio"]) if m["ratio"] is not None else "—",
            rule_text(e),
            number(e.line.score) if e.line.score is not None else e.line.status.label or "—",
            number(e.line.max),
            number(e.lost) if e.lost is not None else "—",
            restore_sentence(e),
        )
    console.print(t)
    console.print(f"Tổng số điểm bị mất: {number(x.lost_total)}.")


# -- history ----------------------------------------------------------------------------------------
def history(ctx: typer.Context, fmt: Format = typer.Option(Format.TABLE, "--format", help=FORMAT_HELP)) -> None:
    """Lịch sử nhập: các tệp và bộ số liệu đã lưu (không bao giờ bị ghi đè)."""
    ws = workspace(ctx)
    snaps = ws.snapshots()
    rows = serialize.snapshot_rows(snaps)
    runs = ws.captures()
    if fmt is Format.JSON:
        print_json({"files": ws.files(), "snapshots": rows, "captures": [serialize.capture_row(c) for c in runs]})
    elif fmt is Format.CSV:
        print_csv(rows, list(rows[0]) if rows else ["snapshot"])
    else:
        t = Table(title=f"{len(ws.files())} tệp, {len(rows)} bộ số liệu")
        for h in ("Tệp", "Trang", "Kỳ", "Phạm vi", "Số đơn vị", "Số liệu lúc", "Phương pháp"):
            t.add_column(h)
        for r in rows:
            t.add_row(
                r["file"],
                r["sheet"] or "",
                r["period"],
                r["scope"],
                str(r["units"]),
                vn_time(r["captured_at"]),
                r["methodology"],
            )
        console.print(t)
        if runs:
            _print_captures(runs)


def _print_captures(runs: list[dict[str, Any]]) -> None:
    """The portal captures (fetch runs and raw imports): what each published, or what it lacked."""
    t = Table(title=f"{len(runs)} lần lấy số liệu từ Cổng DVCQG", show_lines=True)
    for h in ("Lúc", "Cách lấy", "Tỉnh", "Kỳ", "Kết quả", "Số phản hồi", "Thiếu hoặc lưu ý"):
        t.add_column(h, overflow="fold")
    for c in runs:
        notes = (c["missing"] or "").splitlines() + (c["warnings"] or "").splitlines()
        t.add_row(
            vn_time(c["captured_at"]),
            "tự lấy" if c["source"] == "fetch" else "nhập tệp",
            c["scope"],
            Period.parse(c["period"]).label,
            CAPTURE_STATUS.get(c["status"], c["status"]),
            str(c["responses"] or 0),
            "\n".join(notes[:6]) + (f"\n… và {len(notes) - 6} dòng khác" if len(notes) > 6 else ""),
        )
    console.print(t)
