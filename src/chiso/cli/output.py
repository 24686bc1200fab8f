"""Printing results: Rich tables for people, JSON and CSV for programs, XLSX for offices."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from rich.console import Console

from chiso.cells import csv_value, put
from chiso.errors import ChisoError
from chiso.serialize import to_jsonable


def _console(stderr: bool = False) -> Console:
    """A console that keeps tables whole when output goes to a file or a pipe (Rich assumes 80 columns)."""
    probe = Console(stderr=stderr)
    width = None if probe.is_terminal or os.environ.get("COLUMNS") else 200
    return Console(stderr=stderr, highlight=False, width=width)


console = _console()
err_console = _console(stderr=True)


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(data), ensure_ascii=False, indent=2) + "\n")


def csv_text(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writerow({k: csv_value(k) for k in columns})  # headings pass through the same rule
    for row in rows:
        writer.writerow({k: csv_value(row.get(k)) for k in columns})
    return buffer.getvalue()


def print_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> None:
    sys.stdout.write(csv_text(rows, columns))


def write_xlsx(
    path: Path,
    sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]]]],
    *,
    title: str | None = None,
    number_formats: dict[str, str] | None = None,
) -> Path:
    """Write sheets (name, headings, rows) with a bold frozen header; numbers stay numbers, no text becomes a
    formula (``chiso.cells.put``)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for name, headings, rows in sheets:
        ws = wb.create_sheet(name[:31])
        start = 1
        if title:
            put(ws, 1, 1, title).font = Font(bold=True, size=13)
            start = 3
        for j, h in enumerate(headings, start=1):
            c = put(ws, start, j, h)
            c.font = Font(bold=True, color="FFFFFF")
            c.fill = PatternFill("solid", fgColor="1F4E79")
            c.alignment = Alignment(wrap_text=True, vertical="center")
        for i, row in enumerate(rows, start=start + 1):
            for j, value in enumerate(row, start=1):
                cell = put(ws, i, j, value)
                fmt = (number_formats or {}).get(headings[j - 1])
                if fmt and isinstance(value, int | float | Decimal):
                    cell.number_format = fmt
        ws.freeze_panes = ws.cell(row=start + 1, column=1)
        for j, h in enumerate(headings, start=1):
            width = max([len(str(h))] + [len(str(r[j - 1])) for r in rows[:200] if r[j - 1] is not None])
            ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), 60)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        wb.save(path)
    except OSError as exc:
        raise ChisoError(f"Không ghi được tệp {path}", detail=str(exc)) from exc
    return path


def fmt_or(value: Any, formatter: Callable[[Any], str], missing: str = "—") -> str:
    return missing if value is None else formatter(value)
