"""Read an input file into raw text tables: headings, string columns and the file row of each record.

* CSV through pyarrow's multi-threaded reader, every column as text. The encoding is detected
  (``chiso.textfile``: UTF-8 with or without BOM, UTF-16 with BOM, Windows-1258, Windows-1252) and the
  delimiter (``, ; tab |``) is found from the data rows. The heading may follow up to 9 title lines;
* XLSX through openpyxl (first sheet with a recognisable heading row in its first 10 rows), after the archive's
  size and row count are checked (``chiso.xlsxfile``);
* JSON: the portal's sync body (``DongBoHoSoMC`` / ``CapNhatTienDoHoSoMC`` envelopes, or a bare list of
  dossier objects) flattened per dossier by ``chiso.ingest.sync_json``, or a list of flat objects.

The row number reported to users is the file's line for CSV (heading = its line), the sheet row for XLSX and
the 1-based position in the ``data`` list for JSON. A file that cannot be read at all, holds no data rows, or
whose heading sits below row 10 is refused with ``InputFileError`` saying so.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from chiso.errors import InputFileError
from chiso.formatting import fold
from chiso.ingest.fields import KIND_FIELDS, KIND_LABELS, PERSONAL, score_headings
from chiso.jsonfile import load_json
from chiso.textfile import DELIMITER_NAMES, decode, sniff_delimiter
from chiso.xlsxfile import XlsxLimits, check_archive

WHOLE_ROW = "(cả dòng)"
HEADING_ROWS = 10  # the heading must be in the first 10 rows
LOOK_FURTHER = 200  # rows searched for a heading further down, to say where it is
MAX_SHOWN = 200  # characters of a whole rejected row kept in the report


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
    notes: list[str] = field(default_factory=list)  # what the reader did that users should know (encoding…)
    encoding: str | None = None  # the legacy encoding the file was converted from, if any

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


def _refuse(path: Path, message: str, place: str, expected: str, detail: str | None = None,
            hint: str | None = None) -> InputFileError:  # fmt: skip
    return InputFileError(f"Tệp {path.name} {message}. Tệp không được nạp.", file=str(path), place=place,
                          expected=expected, detail=detail, hint=hint)  # fmt: skip


def _no_rows(path: Path, where: str = "") -> InputFileError:
    return _refuse(path, f"chỉ có dòng tiêu đề, không có dòng dữ liệu nào{where}", "sau dòng tiêu đề",
                   "ít nhất một dòng dữ liệu dưới dòng tiêu đề")  # fmt: skip


def _late_heading(path: Path, row: int, kind: str, sheet: str | None = None) -> InputFileError:
    where = f"dòng {row}" + (f" của trang tính '{sheet}'" if sheet else "")
    return _refuse(
        path, f"có dòng tiêu đề ({KIND_LABELS[kind]}) ở {where}, dưới dòng {HEADING_ROWS}", where,
        f"dòng tiêu đề trong {HEADING_ROWS} dòng đầu",
        hint=f"Xóa các dòng tiêu đề phụ phía trên để dòng tên cột nằm trong {HEADING_ROWS} dòng đầu.",
    )  # fmt: skip


def _heading_start(text: str, delimiter: str, path: Path) -> tuple[int, int]:
    """(character offset, 1-based line) of the heading: the first of the first rows that names a kind's fields."""
    sample = text[: 1 << 20]
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
    consumed = 0  # lines before the current record
    try:
        for index, record in enumerate(reader):
            if index >= LOOK_FURTHER:
                break
            kind = guess_kind(record)
            if kind is not None:
                if index >= HEADING_ROWS:
                    raise _late_heading(path, consumed + 1, kind)
                offset = 0
                for _ in range(consumed):
                    offset = text.index("\n", offset) + 1
                return offset, consumed + 1
            consumed = reader.line_num
    except (csv.Error, ValueError):
        pass  # the heading search is a courtesy: pyarrow reports what is wrong with the file itself
    return 0, 1


def read_csv(path: Path) -> RawTable:
    data = path.read_bytes()
    decoded = decode(data, str(path), name=path.name, action="nạp", allow_damage=True)
    if not decoded.text.strip():
        raise _refuse(path, "rỗng (không có nội dung)", "toàn tệp", "dòng tiêu đề và các dòng dữ liệu")
    delimiter = sniff_delimiter(decoded.text)
    offset, heading_line = _heading_start(decoded.text, delimiter, path)
    body = decoded.utf8 if (offset == 0 and decoded.utf8 is not None) else decoded.text[offset:].encode("utf-8")
    broken: list[tuple[int, str, str, str]] = []

    def skip_row(row: Any) -> str:  # a row whose number of cells differs from the heading: reject it, go on
        number = row.number + heading_line - 1 if row.number is not None else -1
        broken.append((number, WHOLE_ROW, (row.text or "")[:MAX_SHOWN],
                       f"dòng có {row.actual_columns} cột, dòng tiêu đề có {row.expected_columns} cột"))  # fmt: skip
        return "skip"

    def attempt(threads: bool, block_size: int | None = None) -> pa.Table:
        return pacsv.read_csv(
            io.BytesIO(body),
            read_options=pacsv.ReadOptions(encoding="utf8", autogenerate_column_names=False, use_threads=threads,
                                           **({"block_size": block_size} if block_size else {})),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=None if threads else skip_row
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={}, strings_can_be_null=True, quoted_strings_can_be_null=False, auto_dict_encode=False
            ),
        )  # fmt: skip

    try:
        try:
            table = attempt(threads=True)
        except pa.ArrowInvalid as first:
            message = str(first)
            if "straddling" in message or "block" in message:  # a cell larger than a read block: one block
                broken.clear()
                table = attempt(threads=False, block_size=len(body) + 1)
            elif "columns" in message:
                broken.clear()
                table = attempt(threads=False)  # single-threaded so that skipped rows have their line number
            else:
                raise
    except pa.ArrowInvalid as exc:
        raise _refuse(
            path, f"không đọc được dạng CSV ({DELIMITER_NAMES[delimiter]} phân cách cột)", "toàn tệp",
            "CSV: dòng đầu là tiêu đề cột, các ô phân cách bằng dấu phẩy, chấm phẩy hoặc tab", str(exc),
        ) from exc  # fmt: skip
    headings = [str(h).lstrip("\ufeff") for h in table.column_names]
    columns = [table.column(i).combine_chunks().cast(pa.string()) for i in range(table.num_columns)]
    notes = []
    legacy = decoded.label if decoded.converted else None
    if decoded.converted:
        notes.append(f"Tệp mã hóa {decoded.label}: đã đọc và chuyển sang Unicode.")
    if decoded.damaged:
        notes.append(f"Tệp có {decoded.damaged} chỗ không đúng mã UTF-8: các dòng chứa chúng bị loại.")
    if heading_line > 1:
        notes.append(f"Bỏ qua {heading_line - 1} dòng phía trên dòng tiêu đề (dòng {heading_line}).")
    if table.num_rows == 0 and not broken:
        raise _no_rows(path)
    first_row = heading_line + 1
    if not broken:
        rows = pa.array(range(first_row, table.num_rows + first_row), type=pa.int64())
        return RawTable(guess_kind(headings), headings, columns, rows, notes=notes, encoding=legacy)
    # File rows of the records kept: every line number except the skipped ones (rows may span lines only
    # inside quotes, which pyarrow reports with the line where the row starts).
    skipped = {b[0] for b in broken}
    kept = [n for n in range(first_row, table.num_rows + len(broken) + first_row) if n not in skipped]
    kept = kept[: table.num_rows]
    # skipped rows become all-null records so that they are counted as read and reported as rejected
    order = sorted([(n, i) for i, n in enumerate(kept)] + [(b[0], -1) for b in broken])
    take = pa.array([i if i >= 0 else None for _, i in order], type=pa.int64())
    columns = [pc.take(c, take) for c in columns]
    rows = pa.array([n for n, _ in order], type=pa.int64())
    # a broken row is shown by its first cell only: its other cells may be personal data (decision 0004)
    first_personal = bool(headings) and fold(headings[0]) in PERSONAL
    shown = [(n, f, "" if first_personal else _first_cell(text, delimiter), r) for n, f, text, r in broken]
    return RawTable(guess_kind(headings), headings, columns, rows, problems=shown, notes=notes, encoding=legacy)


def _first_cell(text: str, delimiter: str) -> str:
    try:
        cells = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    except csv.Error:
        cells = [text.split(delimiter, 1)[0]]
    return (cells[0] if cells else "")[:60]


def _damaged_workbook(path: Path, sheet: str | None, exc: Exception) -> InputFileError:
    where = f"trang tính '{sheet}'" if sheet else "toàn tệp"
    return _refuse(
        path, "không phải bảng tính Excel (.xlsx) đọc được" + (f": {where} bị hỏng" if sheet else ""), where,
        "bảng tính .xlsx", f"{type(exc).__name__}: {exc}"[:500],
        hint="Mở tệp bằng Excel hoặc LibreOffice và lưu lại dạng .xlsx.",
    )  # fmt: skip


def _sheet_table(ws: Any, path: Path) -> RawTable | None:
    """The sheet's records under its heading row, or None when the sheet has no recognisable heading."""
    rows_iter = ws.iter_rows(values_only=True)
    prefix: list[tuple[Any, ...]] = []
    for _ in range(LOOK_FURTHER):
        row = next(rows_iter, None)
        if row is None:
            break
        prefix.append(row)
    for i, row in enumerate(prefix):
        headings = [_text_cell(c) or "" for c in row]
        kind = guess_kind(headings)
        if kind is None:
            continue
        if i >= HEADING_ROWS:
            raise _late_heading(path, i + 1, kind, ws.title)
        body = [list(r) for r in prefix[i + 1 :]] + [list(r) for r in rows_iter]
        while body and not any(c not in (None, "") for c in body[-1]):
            body.pop()  # empty rows at the end of a sheet are not data
        if not body:
            raise _no_rows(path, f" (trang tính '{ws.title}')")
        columns = [
            pa.array([_text_cell(r[j]) if j < len(r) else None for r in body], type=pa.string())
            for j in range(len(headings))
        ]
        rows = pa.array(range(i + 2, i + 2 + len(body)), type=pa.int64())
        return RawTable(kind, headings, columns, rows, sheet=ws.title)
    return None


def read_xlsx(path: Path, limits: XlsxLimits | None = None) -> RawTable:
    from openpyxl import load_workbook

    check_archive(path, str(path), name=path.name, action="nạp", limits=limits)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors on damaged parts
        raise _damaged_workbook(path, None, exc) from exc
    try:
        for ws in wb.worksheets:
            try:
                table = _sheet_table(ws, path)
            except InputFileError:
                raise
            except Exception as exc:  # a damaged sheet part (bad XML, bad cell values)
                raise _damaged_workbook(path, ws.title, exc) from exc
            if table is not None:
                return table
    finally:
        wb.close()
    return RawTable(None, [], [], pa.array([], type=pa.int64()))


def read_json(path: Path) -> list[RawTable]:
    from chiso.ingest import sync_json

    content = load_json(path.read_bytes(), str(path), name=path.name, action="nạp", damaged="replace")
    return sync_json.tables(content, str(path))


def read(path: Path, *, limits: XlsxLimits | None = None) -> list[RawTable]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return [read_csv(path)]
    if suffix in (".xlsx", ".xlsm"):
        return [read_xlsx(path, limits)]
    if suffix == ".json":
        return read_json(path)
    raise InputFileError(
        f"Định dạng tệp {path.suffix or '(không có đuôi)'} không được hỗ trợ: {path.name}",
        file=str(path),
        place="đuôi tệp",
        expected=".json (đồng bộ DongBoHoSoMC), .csv hoặc .xlsx",
    )
