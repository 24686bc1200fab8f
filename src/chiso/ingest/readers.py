"""Read an input file into raw text tables: headings, string columns and the file row of each record.

* CSV (UTF-8, delimiter ``,`` ``;`` or tab) through pyarrow's multi-threaded reader, every column as text;
* XLSX through openpyxl (first sheet with a recognisable heading row);
* JSON: the portal's sync body (``DongBoHoSoMC`` / ``CapNhatTienDoHoSoMC`` envelopes, or a bare list of
  dossier objects) flattened per dossier by ``chiso.ingest.sync_json``, or a list of flat objects.

The row number reported to users is the file's line for CSV (heading = 1), the sheet row for XLSX and the
1-based position in the ``data`` list for JSON.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from chiso.errors import InputFileError
from chiso.ingest.fields import KIND_FIELDS, score_headings
from chiso.jsonfile import load_json


@dataclass
class RawTable:
    kind: str | None  # recognised kind, or None
    headings: list[str]
    columns: list[pa.Array]  # string arrays
    rows: pa.Array  # int64: file row of each record
    sheet: str | None = None
    defaults: dict[str, str] = field(default_factory=dict)  # e.g. the envelope's unit code, synced=1
    derived: list[str] = field(default_factory=list)  # flattened fields computed by the reader
    problems: list[tuple[int, str, str, str]] = field(default_factory=list)  # (row, field, value, reason)

    @property
    def length(self) -> int:
        return len(self.rows)


def guess_kind(headings: list[str]) -> str | None:
    scores = {kind: score_headings(headings, fields) for kind, fields in KIND_FIELDS.items()}
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] >= 10 else None


def _text_cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_csv(path: Path) -> RawTable:
    data = path.read_bytes()
    head = data[:65536].decode("utf-8-sig", errors="replace")
    try:
        delimiter = csv.Sniffer().sniff(head.split("\n", 1)[0] + "\n", delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    broken: list[tuple[int, str, str, str]] = []

    def skip_row(row: Any) -> str:  # a row whose number of cells differs from the heading: reject it, go on
        broken.append(
            (row.number if row.number is not None else -1, "(cả dòng)", (row.text or "")[:200],
             f"dòng có {row.actual_columns} cột, dòng tiêu đề có {row.expected_columns} cột")
        )  # fmt: skip
        return "skip"

    def attempt(threads: bool) -> pa.Table:
        return pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(encoding="utf8", autogenerate_column_names=False, use_threads=threads),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=None if threads else skip_row
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={}, strings_can_be_null=True, quoted_strings_can_be_null=False, auto_dict_encode=False
            ),
        )

    try:
        try:
            table = attempt(threads=True)
        except pa.ArrowInvalid as first:
            if "columns" not in str(first):
                raise
            table = attempt(threads=False)  # single-threaded so that skipped rows have their line number
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise InputFileError(
            f"Tệp {path.name} không phải CSV UTF-8 đọc được. Tệp không được nạp.",
            file=str(path),
            place="toàn tệp",
            expected="CSV mã hóa UTF-8, dòng đầu là tiêu đề cột",
            detail=str(exc),
        ) from exc
    headings = [str(h).lstrip("\ufeff") for h in table.column_names]
    columns = [table.column(i).combine_chunks().cast(pa.string()) for i in range(table.num_columns)]
    if not broken:
        rows = pa.array(range(2, table.num_rows + 2), type=pa.int64())
        return RawTable(guess_kind(headings), headings, columns, rows)
    # File rows of the records kept: every line number except the skipped ones (rows may span lines only
    # inside quotes, which pyarrow reports with the line where the row starts).
    skipped = {b[0] for b in broken}
    kept = [n for n in range(2, table.num_rows + len(broken) + 2) if n not in skipped][: table.num_rows]
    # skipped rows become all-null records so that they are counted as read and reported as rejected
    n_all = table.num_rows + len(broken)
    order = sorted([(n, i) for i, n in enumerate(kept)] + [(b[0], -1) for b in broken])
    take = pa.array([i if i >= 0 else None for _, i in order], type=pa.int64())
    columns = [pc.take(c, take) for c in columns]
    rows = pa.array([n for n, _ in order], type=pa.int64())
    assert len(rows) == n_all
    return RawTable(guess_kind(headings), headings, columns, rows, problems=broken)


def read_xlsx(path: Path) -> RawTable:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputFileError(
            f"Tệp {path.name} không phải bảng tính Excel (.xlsx) đọc được. Tệp không được nạp.",
            file=str(path),
            place="toàn tệp",
            expected="bảng tính .xlsx",
            detail=f"{type(exc).__name__}: {exc}",
        ) from exc
    try:
        for ws in wb.worksheets:
            rows_iter = ws.iter_rows(values_only=True)
            prefix: list[tuple[Any, ...]] = []
            for _ in range(10):
                row = next(rows_iter, None)
                if row is None:
                    break
                prefix.append(row)
            for i, row in enumerate(prefix):
                headings = [str(c) if c is not None else "" for c in row]
                kind = guess_kind(headings)
                if kind is None:
                    continue
                body = [list(r) for r in prefix[i + 1 :]] + [list(r) for r in rows_iter]
                width = len(headings)
                columns = [
                    pa.array([_text_cell(r[j]) if j < len(r) else None for r in body], type=pa.string())
                    for j in range(width)
                ]
                rows = pa.array(range(i + 2, i + 2 + len(body)), type=pa.int64())
                return RawTable(kind, headings, columns, rows, sheet=ws.title)
    finally:
        wb.close()
    return RawTable(None, [], [], pa.array([], type=pa.int64()))


def read_json(path: Path) -> list[RawTable]:
    from chiso.ingest import sync_json

    content = load_json(path.read_bytes(), str(path), name=path.name, action="nạp")
    return sync_json.tables(content, str(path))


def read(path: Path) -> list[RawTable]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return [read_csv(path)]
    if suffix in (".xlsx", ".xlsm"):
        return [read_xlsx(path)]
    if suffix == ".json":
        return read_json(path)
    raise InputFileError(
        f"Định dạng tệp {path.suffix or '(không có đuôi)'} không được hỗ trợ: {path.name}",
        file=str(path),
        place="đuôi tệp",
        expected=".json (đồng bộ DongBoHoSoMC), .csv hoặc .xlsx",
    )
