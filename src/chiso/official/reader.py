"""Open an official results file: JSON, XLSX or CSV, into data the shape parsers read."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chiso.errors import InputFileError
from chiso.jsonfile import load_json
from chiso.official.listing import Sheet

SUPPORTED = (".json", ".xlsx", ".xlsm", ".csv")


def read_json(data: bytes, file: str) -> Any:
    return load_json(data, file)


def read_workbook(data: bytes, file: str) -> tuple[list[Sheet], datetime | None]:
    """All sheets as rows of cell values, and the workbook's creation time (its capture time) if recorded."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputFileError(
            f"Tệp {file} không phải bảng tính Excel (.xlsx) đọc được. Tệp không được nhập.",
            file=file,
            place="toàn tệp",
            expected="bảng tính .xlsx",
            detail=f"{type(exc).__name__}: {exc}",
        ) from exc
    try:
        sheets = [Sheet(ws.title, [list(r) for r in ws.iter_rows(values_only=True)]) for ws in wb.worksheets]
        created = wb.properties.created if wb.properties else None
    finally:
        wb.close()
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=UTC)  # openpyxl reads W3CDTF 'Z' times as naive UTC
    return sheets, created


def read_csv(data: bytes, file: str) -> list[Sheet]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"Tệp {file} không phải văn bản UTF-8. Hãy lưu lại bảng tính dạng CSV UTF-8. Tệp không được nhập.",
            file=file,
            place=f"byte {exc.start}",
            expected="CSV mã hóa UTF-8",
            detail=str(exc),
        ) from exc
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    return [Sheet(None, rows)]


def json_rows_as_sheet(records: list[dict[str, Any]]) -> Sheet:
    """A JSON list of flat objects (the list service's rows) as a table."""
    keys: list[str] = []
    for rec in records:
        for k in rec:
            if k not in keys:
                keys.append(k)
    return Sheet(None, [keys, *[[rec.get(k) for k in keys] for rec in records]])


def suffix_of(path: Path) -> str:
    return path.suffix.lower()
