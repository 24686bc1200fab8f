"""The appendix as a workbook: a summary sheet and every unit's component metrics, with Vietnamese headings, a
frozen header, numbers stored as numbers (formatted) and the data cut-off written above the table. Every cell
goes through ``chiso.cells.put``: names from imported files never become formulas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from chiso.cells import put
from chiso.report.content import ESTIMATE_MARK, LetterContent
from chiso.report.files import save

SUMMARY = "Tổng hợp"
METRICS = "Chỉ số thành phần"
INTEGER = "#,##0"
SCORE = "0.00"
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")

# (heading, width, number format)
METRIC_COLUMNS: tuple[tuple[str, int, str | None], ...] = (
    ("Mã đơn vị", 12, None),
    ("Đơn vị", 32, None),
    ("Loại đơn vị", 22, None),
    ("Tổng điểm", 10, SCORE),
    ("Xếp loại", 11, None),
    ("Hạng", 7, INTEGER),
    ("Số đơn vị cùng loại", 10, INTEGER),
    ("Nhóm", 8, None),
    ("Mã chỉ số", 26, None),
    ("Chỉ số", 60, None),
    ("Tử số", 10, INTEGER),
    ("Mẫu số", 10, INTEGER),
    ("Tỷ lệ (%)", 10, SCORE),
    ("Điểm", 8, SCORE),
    ("Tối đa", 8, SCORE),
    ("Ghi chú", 22, None),
)


def write_xlsx(letter: LetterContent, path: Path) -> Path:
    a = letter.appendix
    s = letter.summary
    lines = [f"{a.title}: {a.subtitle}", a.reference]
    cutoff = f"Số liệu{' tạm tính' if letter.estimate else ''} tính đến thời điểm {s.cutoff}." if s.cutoff else ""
    if cutoff:
        lines.append(cutoff)
    wb = Workbook()
    summary = wb.active
    summary.title = SUMMARY
    groups = [code for code, _ in a.groups]
    names = dict(a.groups)
    headings: list[tuple[str, int, str | None]] = [
        ("Hạng", 7, INTEGER),
        ("Mã đơn vị", 12, None),
        ("Đơn vị", 32, None),
        ("Loại đơn vị", 22, None),
        ("Tổng điểm", 10, SCORE),
        ("Xếp loại", 11, None),
        *[(f"{code} – {names[code]}", 14, SCORE) for code in groups],
    ]
    rows = [[u.rank, u.code, u.name, u.kind, u.total, u.band, *[u.groups.get(g) for g in groups]] for u in a.units]
    _sheet(summary, lines, headings, rows)
    metrics = wb.create_sheet(METRICS)
    rows = [
        [r.unit_code, r.unit_name, r.kind, r.total, r.band, r.rank, r.peers, r.group, r.metric_code, r.metric_name,
         r.numerator, r.denominator, r.ratio, r.score, r.max, r.note or None]
        for r in a.rows
    ]  # fmt: skip
    _sheet(metrics, lines, METRIC_COLUMNS, rows)
    wb.properties.title = f"{a.title} — {a.subtitle}"
    wb.properties.keywords = ESTIMATE_MARK if letter.estimate else "số liệu chính thức"
    return save(path, wb.save)


def _sheet(
    ws: Worksheet, lines: list[str], columns: Any, rows: list[list[Any]]
) -> None:
    for i, text in enumerate(lines, start=1):
        put(ws, i, 1, text).font = Font(bold=i == 1, italic=i > 1, size=13 if i == 1 else 11)
    top = len(lines) + 2
    for j, (title, width, _) in enumerate(columns, start=1):
        c = put(ws, top, j, title)
        c.font = Font(bold=True, color="FFFFFF")
        c.fill = HEADER_FILL
        c.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        ws.column_dimensions[get_column_letter(j)].width = width
    for i, row in enumerate(rows, start=top + 1):
        for j, value in enumerate(row, start=1):
            cell = put(ws, i, j, value)
            fmt = columns[j - 1][2]
            if fmt and isinstance(cell.value, int | float):
                cell.number_format = INTEGER if fmt == INTEGER and float(cell.value).is_integer() else fmt
            if columns[j - 1][1] >= 30:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = ws.cell(row=top + 1, column=3)
    ws.auto_filter.ref = f"A{top}:{get_column_letter(len(columns))}{top + max(len(rows), 1)}"

