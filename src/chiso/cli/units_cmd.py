"""``chiso units``: every unit of the store (official and local), its codes, how the two code systems met; and
``chiso units link FILE``: the mapping file that links codes and sets kinds (docs/units.md)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from chiso import serialize
from chiso.cli.official_cmds import FORMAT_HELP, workspace
from chiso.cli.output import Format, console, print_csv, print_json
from chiso.domain.unittree import UnitTree
from chiso.formatting import integer

units_app = typer.Typer(
    help="Các đơn vị trong kho, các mã của chúng (mã Cổng DVCQG, mã một cửa) và tệp ánh xạ mã.",
    invoke_without_command=True,
    no_args_is_help=False,
)
COLUMNS = ["unit_code", "aliases", "unit_name", "kind", "parent_code", "state"]


def register(app: typer.Typer) -> None:
    app.add_typer(units_app, name="units")


@units_app.callback()
def units(
    ctx: typer.Context,
    fmt: Format = typer.Option(Format.TABLE, "--format", help=FORMAT_HELP),
    mapping: bool = typer.Option(False, "--mapping", help="In tệp ánh xạ (CSV) để sửa, rồi: chiso units link TỆP."),
    out: Path = typer.Option(None, "--out", help="Ghi tệp ánh xạ vào tệp này (cùng --mapping)."),
    matching: bool = typer.Option(False, "--matching", help="Chỉ in kết quả ghép mã (tự khớp, trùng tên, còn lại)."),
) -> None:
    """Các đơn vị có trong kho: mã, mã khác, tên, loại, đơn vị cha, nguồn (Cổng, hồ sơ, cả hai)."""
    if ctx.invoked_subcommand is not None:
        return
    ws = workspace(ctx)
    if mapping:
        text = ws.directory.mapping_csv()
        if out is not None:
            out.write_text("\ufeff" + text, encoding="utf-8")
            lines = integer(text.count("\n") - 1)
            console.print(f"Đã ghi {lines} dòng vào {out}. Sửa rồi nhập: chiso units link {out}")
        else:
            typer.echo(text, nl=False)
        return
    tree = ws.unit_tree()
    if matching:
        if fmt is Format.JSON:
            print_json({**serialize.unit_matching(tree.report), "problems": tree.problems})
        else:
            print_matching(tree)
        return
    rows = ws.units()
    if fmt is Format.JSON:
        print_json(rows)
        return
    if fmt is Format.CSV:
        print_csv([{**r, "aliases": ";".join(r["aliases"]), "state": r["state"].label} for r in rows], COLUMNS)
        return
    official = sum(1 for r in rows if r["official"])
    local = sum(1 for r in rows if r["local"])
    t = Table(title=f"{integer(len(rows))} đơn vị ({integer(official)} có kết quả chính thức, {integer(local)} có "
                    "dữ liệu hồ sơ)")  # fmt: skip
    for h in ("Mã", "Mã khác", "Tên", "Loại", "Đơn vị cha", "Nguồn"):
        t.add_column(h, overflow="fold")
    for r in rows:
        t.add_row(r["unit_code"], ", ".join(r["aliases"]), r["unit_name"], r["kind"].label, r["parent_code"] or "",
                  r["state"].label)  # fmt: skip
    console.print(t)
    print_matching(tree)


def _table(title: str, headings: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    t = Table(title=title)
    for h in headings:
        t.add_column(h, overflow="fold")
    for row in rows:
        t.add_row(*row)
    console.print(t)


def print_matching(tree: UnitTree) -> None:
    """How the portal's codes and the one-stop system's identifiers met: matched, ambiguous, left alone."""
    r = tree.report
    console.print(
        f"Liên kết theo tệp ánh xạ: {integer(len(r.linked))}; tự khớp theo tên: {integer(len(r.matched))}; "
        f"trùng tên, cần chọn: {integer(len(r.ambiguous))}; chỉ có kết quả chính thức: {integer(len(r.official_only))};"
        f" chỉ có dữ liệu hồ sơ: {integer(len(r.local_only))}."
    )
    if r.ambiguous:
        _table("Trùng tên dưới cùng đơn vị cha: không tự khớp, hãy ghi vào tệp ánh xạ",
               ("Đơn vị cha", "Tên", "Mã Cổng DVCQG", "Mã một cửa"),
               [(a.parent or "", a.name, ", ".join(a.official), ", ".join(a.local)) for a in r.ambiguous])  # fmt: skip
    for problem in tree.problems:
        console.print(f"[yellow]Lưu ý:[/] {problem}")
    if r.ambiguous or r.local_only:
        console.print("Sửa: chiso units --mapping --out don-vi.csv, điền mã, rồi chiso units link don-vi.csv")


@units_app.command("link")
def link(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="Tệp ánh xạ (CSV hoặc XLSX): Mã Cổng DVCQG, Mã một cửa, Đặt loại…"),
) -> None:
    """Nhập tệp ánh xạ: liên kết mã Cổng DVCQG với mã một cửa, đặt loại hoặc đơn vị cha của đơn vị."""
    ws = workspace(ctx)
    outcome = ws.directory.link_file(file, by="cli")
    f = outcome.file
    console.print(
        f"{file.name}: {integer(f.rows)} dòng; ghi {integer(outcome.links_written)} liên kết, "
        f"{integer(outcome.overrides_written)} dòng đặt loại/đơn vị cha; {integer(len(f.rejected))} dòng bị từ chối."
    )
    if f.rejected:
        _table("Dòng bị từ chối (không ghi)", ("Dòng", "Cột", "Giá trị", "Lý do"),
               [(str(x.row), x.column, x.value, x.reason) for x in f.rejected])  # fmt: skip
    print_matching(ws.unit_tree())
