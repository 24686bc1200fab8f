"""``chiso methodology``: list the shipped methodologies and show one, with the provenance of every rule."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from chiso.cli.output import Format, console, print_json
from chiso.formatting import number, percent
from chiso.methodology import available, load_methodology, load_targets
from chiso.methodology.model import Evidence, Metric

sub = typer.Typer(help="Phương pháp tính: nhóm, chỉ số, quy tắc và nguồn gốc của từng quy tắc.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(sub, name="methodology")


def _rule(m: Metric) -> str:
    kind = m.rule.kind
    if kind == "threshold":
        return f"đủ điểm từ {percent(m.target * 100)}"
    return {"linear": "tuyến tính", "monitor": "theo dõi, 0 điểm", "unknown": "chưa công bố"}[kind]


def _empty(m: Metric) -> str:
    return {"full": "điểm tối đa", "zero": "0 điểm", "not_applicable": "không áp dụng"}[str(m.on_empty)]


def _ev(e: Evidence | None) -> dict[str, Any] | None:
    return None if e is None else e.model_dump(mode="json", exclude_none=True)


@sub.command("list")
def list_cmd(fmt: Format = typer.Option(Format.TABLE, "--format")) -> None:
    """Các phương pháp tính có sẵn và thời gian áp dụng."""
    rows = []
    for name in available():
        m = load_methodology(name)
        rows.append(
            {
                "name": m.name,
                "title": m.title,
                "effective_from": m.effective_from,
                "effective_to": m.effective_to,
                "groups": len(m.groups),
                "metrics": len(m.metrics()),
                "scored": sum(1 for _, x in m.metrics() if x.scored),
            }
        )
    if fmt is Format.JSON:
        print_json(rows)
        return
    t = Table(title="Phương pháp tính")
    for h in ("Tên", "Mô tả", "Áp dụng từ", "đến", "Nhóm", "Chỉ số (tính điểm)"):
        t.add_column(h)
    for r in rows:
        t.add_row(
            r["name"],
            r["title"],
            f"{r['effective_from']:%d/%m/%Y}",
            f"{r['effective_to']:%d/%m/%Y}" if r["effective_to"] else "nay",
            str(r["groups"]),
            f"{r['metrics']} ({r['scored']})",
        )
    console.print(t)


@sub.command("show")
def show_cmd(
    name: str = typer.Argument("dvcqg-live", help="Tên phương pháp hoặc đường dẫn tệp YAML."),
    fmt: Format = typer.Option(Format.TABLE, "--format"),
) -> None:
    """Các nhóm và chỉ số, điểm tối đa, quy tắc quy đổi và nguồn gốc (công bố / khớp số liệu / giả định)."""
    m = load_methodology(name)
    if fmt is Format.JSON:
        print_json(m.model_dump(mode="json"))
        return
    console.print(f"[bold]{m.title}[/] ({m.name})")
    console.print(m.description)
    for g in m.groups:
        t = Table(
            title=f"{g.code} — {g.name}: {number(g.max)} điểm" + (f"  [{g.formula}]" if g.formula else ""),
            title_justify="left",
            show_lines=True,
        )
        for h in ("Mã", "Chỉ số", "Tối đa", "Quy tắc", "Mẫu số = 0", "Nguồn gốc"):
            t.add_column(h, overflow="fold")
        for x in g.metrics:
            ev = x.evidence
            t.add_row(
                x.code,
                x.name,
                number(x.max),
                _rule(x),
                _empty(x),
                f"điểm tối đa: {ev.max.label.label}; định nghĩa: {ev.definition.label.label}; "
                f"quy tắc: {ev.rule.label.label}" + (f" — {ev.rule.note}" if ev.rule.note else ""),
            )
        console.print(t)


@sub.command("targets")
def targets_cmd(
    file: str = typer.Option(None, "--file", help="Tệp chỉ tiêu của địa phương (YAML); mặc định tệp mẫu."),
    fmt: Format = typer.Option(Format.TABLE, "--format"),
) -> None:
    """Chỉ tiêu theo dõi của địa phương (không tính điểm)."""
    ts = load_targets(file)
    if fmt is Format.JSON:
        print_json(ts.model_dump(mode="json"))
        return
    t = Table(title=ts.title, show_lines=True)
    for h in ("Mã", "Chỉ tiêu", "Ngưỡng", "Căn cứ", "Nguồn gốc"):
        t.add_column(h, overflow="fold")
    for x in ts.targets:
        t.add_row(x.code, x.name, x.threshold_label, x.basis, x.evidence.label.label)
    console.print(t)
