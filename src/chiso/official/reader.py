"""Open an official results file: JSON, XLSX or CSV, into data the shape parsers read.

Official files are refused as a whole at the first problem, so damaged text (a bad UTF-8 sequence, half of a
UTF-16 pair) is refused with its place rather than replaced. Text encodings and CSV delimiters are detected as
for dossier files (``chiso.textfile``); a workbook is checked against the XLSX limits before it is parsed.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chiso.errors import InputFileError
from chiso.jsonfile import load_json
from chiso.official.listing import Sheet
from chiso.textfile import decode, sniff_delimiter
from chiso.xlsxfile import XlsxLimits, check_archive

SUPPORTED = (".json", ".xlsx", ".xlsm", ".csv")


def read_json(data: bytes, file: str) -> Any:
    return load_json(data, file)


def _damaged(file: str, where: str, exc: Exception) -> InputFileError:
    return InputFileError(
        f"Tệp {file} không phải bảng tính Excel (.xlsx) đọc được"
        + (f": {where} bị hỏng" if where != "toàn tệp" else "") + ". Tệp không được nhập.",
        file=file,
        place=where,
        expected="bảng tính .xlsx",
        detail=f"{type(exc).__name__}: {exc}"[:500],
        hint="Mở tệp bằng Excel hoặc LibreOffice và lưu lại dạng .xlsx.",
    )


def read_workbook(data: bytes, file: str, limits: XlsxLimits | None = None) -> tuple[list[Sheet], datetime | None]:
    """All sheets as rows of cell values, and the workbook's creation time (its capture time) if recorded."""
    from openpyxl import load_workbook

    check_archive(data, file, action="nhập", limits=limits)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors on damaged parts
        raise _damaged(file, "toàn tệp", exc) from exc
    try:
        sheets = []
        for ws in wb.worksheets:
            try:
                sheets.append(Sheet(ws.title, [list(r) for r in ws.iter_rows(values_only=True)]))
            except Exception as exc:  # a damaged sheet part (bad XML, bad cell values)
                raise _damaged(file, f"trang tính '{ws.title}'", exc) from exc
        created = wb.properties.created if wb.properties else None
    finally:
        wb.close()
    if not isinstance(created, datetime):
        created = None
    elif created.tzinfo is None:
        created = created.replace(tzinfo=UTC)  # openpyxl reads W3CDTF 'Z' times as naive UTC
    return sheets, created


def read_csv(data: bytes, file: str) -> list[Sheet]:
    text = decode(data, file, action="nhập").text
    if "\x00" in text:  # no store keeps a NUL in text: the whole file is refused, at its line
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InputFileError(
            f"Tệp {file} có ký tự NUL (mã 0) ở dòng {line}. Tệp không được nhập.",
            file=file,
            place=f"dòng {line}",
            expected="văn bản không chứa ký tự NUL",
        )
    reader = csv.reader(io.StringIO(text), delimiter=sniff_delimiter(text))
    try:
        rows = list(reader)
    except csv.Error as exc:
        too_large = "field larger" in str(exc)
        raise InputFileError(
            f"Tệp {file} " + ("có ô quá lớn" if too_large else "không đọc được dạng CSV")
            + f" ở dòng {reader.line_num}. Tệp không được nhập.",
            file=file,
            place=f"dòng {reader.line_num}",
            expected="CSV: dòng đầu là tiêu đề cột" + (", mỗi ô không quá "
                                                       f"{csv.field_size_limit():,} ký tự".replace(",", ".")
                                                       if too_large else ""),
            detail=str(exc),
        ) from exc  # fmt: skip
    return [Sheet(None, rows)]


def json_rows_as_sheet(records: list[dict[str, Any]], file: str = "") -> Sheet:
    """A JSON list of flat objects (the list service's rows) as a table; any other item refuses the file."""
    keys: list[str] = []
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise InputFileError(
                f"Tệp {file} có phần tử thứ {i + 1} của danh sách không phải một đơn vị (đối tượng JSON). "
                "Tệp không được nhập.",
                file=file,
                place=f"phần tử thứ {i + 1}",
                expected="danh sách các đối tượng {MA_COQUAN, TEN, …}",
                detail=f"item {i} is {type(rec).__name__}",
            )
        for k in rec:
            if k not in keys:
                keys.append(k)
    return Sheet(None, [keys, *[[rec.get(k) for k in keys] for rec in records]])


def suffix_of(path: Path) -> str:
    return path.suffix.lower()
