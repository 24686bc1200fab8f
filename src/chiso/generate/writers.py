"""Write a generated data set as the files ``chiso ingest`` reads (docs/ingest-formats.md).

CSV and XLSX use the contract's canonical Vietnamese headings and ``dd/MM/yyyy HH:mm:ss`` Vietnam times; JSON uses
the portal's sync envelopes (``DongBoHoSoMC``, ``CapNhatTienDoHoSoMC``) with ``yyyyMMddHHmmss`` times. Everything is
written in chunks of rows, with text built column by column (no Python loop per dossier except in XLSX, whose
library writes cell by cell). The same data give the same bytes.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from chiso.cells import FORMULA_START_PATTERN, PLAIN_NUMBER_PATTERN, QUOTE, xlsx_row
from chiso.errors import ChisoError
from chiso.generate.extras import BAD_DATE_TEXT

if TYPE_CHECKING:
    from chiso.generate import Generated

CSV_DATE = "%d/%m/%Y %H:%M:%S"
SYNC_DATE = "%Y%m%d%H%M%S"
XLSX_MAX_ROWS = 1_048_575
FAKE_APPLICANT = "Nguyễn Văn A"  # obviously fake: proves that ingest drops personal data
RESULT_URL = "https://ketqua.example.vn/"

# (our field, canonical heading) — the headings of docs/ingest-formats.md §1.2
DOSSIER_HEADINGS: tuple[tuple[str, str], ...] = (
    ("dossier_code", "Mã hồ sơ"),
    ("unit_code", "Mã đơn vị"),
    ("unit_name", "Đơn vị xử lý"),
    ("procedure_code", "Mã thủ tục"),
    ("procedure_name", "Tên thủ tục"),
    ("field_code", "Mã lĩnh vực"),
    ("channel", "Kênh nộp"),
    ("applicant_type", "Loại đối tượng"),
    ("submitted_at", "Ngày nộp"),
    ("received_at", "Ngày tiếp nhận"),
    ("due_at", "Ngày hẹn trả"),
    ("finished_at", "Ngày kết thúc xử lý"),
    ("returned_at", "Ngày trả kết quả"),
    ("rejected_at", "Ngày từ chối"),
    ("status", "Trạng thái"),
    ("supplement_count", "Số lần yêu cầu bổ sung"),
    ("supplement_first_at", "Ngày yêu cầu bổ sung đầu tiên"),
    ("paused_seconds", "Thời gian tạm dừng (giờ)"),
    ("digitised", "Số hóa thành phần"),
    ("reused", "Tái sử dụng"),
    ("from_personal_store", "Lấy từ kho dữ liệu"),
    ("vneid", "Xác thực VNeID"),
    ("citizen_db", "Kết nối CSDL dân cư"),
    ("e_result", "Kết quả điện tử"),
    ("result_to_personal_store", "Đồng bộ kho cá nhân"),
    ("synced", "Đồng bộ DVCQG"),
    ("certified_copy", "Hồ sơ chứng thực"),
    ("e_certified", "Chứng thực điện tử"),
    ("dissatisfied", "Không hài lòng"),
    ("paid_online", "Thanh toán trực tuyến"),
    ("fee_total", "Phí, lệ phí"),
    ("fee_items", "Số khoản phí"),
)
UNIT_HEADINGS = ("Mã đơn vị", "Tên đơn vị", "Loại", "Mã đơn vị cha")
PROCEDURE_HEADINGS = (
    "Mã thủ tục", "Tên thủ tục", "Mã lĩnh vực", "Tên lĩnh vực", "Cấp thực hiện", "Mức độ", "Đủ điều kiện toàn trình",
    "Có phí", "Mức phí", "Kết quả là giấy tờ", "Thời hạn giải quyết", "Đơn vị thời hạn", "Đối tượng cá nhân",
)  # fmt: skip
PETITION_HEADINGS = (
    "Mã PAKN", "Mã đơn vị", "Ngày tiếp nhận", "Hạn xử lý", "Ngày xử lý xong", "Trạng thái", "Phân loại",
    "Số lượt hài lòng", "Số lượt không hài lòng", "Phản ánh lại",
)  # fmt: skip
PETITION_STATUS_TEXT = {"open": "đang xử lý", "handled": "đã xử lý", "rejected": "từ chối"}
CATEGORY_TEXT = {"tthc": "TTHC", "staff": "CBCCVC", "other": "khác"}
LEVEL_TEXT = {"tinh": "Tỉnh", "huyen": "Huyện", "xa": "Xã"}
TIME_UNIT_TEXT = {"working_day": "Ngày làm việc", "day": "Ngày", "hour": "Giờ", "month": "Tháng"}


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    kind: str  # units | procedures | dossiers | steps | petitions | manifest
    rows: int


# -- text columns ------------------------------------------------------------------------------------------------


def _local_text(col: pa.Array | pa.ChunkedArray, fmt: str) -> pa.Array:
    """UTC timestamps → Vietnam local time text; null stays null."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    seconds = pc.divide(pc.add(arr.cast(pa.int64()), 7 * 3600 * 1_000_000), 1_000_000)  # whole seconds (> 1970)
    return pc.strftime(seconds.cast(pa.timestamp("s")), format=fmt)


def _text(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(pa.string())
    if pa.types.is_boolean(arr.type):
        arr = arr.cast(pa.int8())
    if pa.types.is_decimal(arr.type):
        arr = arr.cast(pa.int64())
    return arr.cast(pa.string())


def _blank(col: pa.Array) -> pa.Array:
    return pc.fill_null(col, "")


def _rows_in(faults: pa.Table, kind: str, start: int, stop: int) -> np.ndarray:
    rows = faults.column("row").to_numpy()
    kinds = np.array(faults.column("kind").to_pylist(), dtype=object)
    picked = rows[(kinds == kind) & (rows >= start) & (rows < stop)] - start
    return picked.astype(np.int64)


def _with_bad_dates(text: pa.Array, rows: np.ndarray) -> pa.Array:
    if not len(rows):
        return text
    mask = np.zeros(len(text), dtype=bool)
    mask[rows] = True
    return pc.if_else(pa.array(mask), pa.scalar(BAD_DATE_TEXT), text)


def dossier_text(g: Generated, start: int, stop: int, date_format: str = CSV_DATE) -> pa.Table:
    """Rows ``start:stop`` of the dossiers as text columns under the canonical headings."""
    t = g.dossiers.slice(start, stop - start)
    names = dict(zip(g.units.column("unit_code").to_pylist(), g.units.column("unit_name").to_pylist(), strict=True))
    columns: list[pa.Array] = []
    for field, _ in DOSSIER_HEADINGS:
        if field == "unit_name":
            codes = _text(t.column("unit_code"))
            keys = pc.unique(codes).to_pylist()
            lookup = pa.array([names.get(k) for k in keys], pa.string())
            columns.append(pc.take(lookup, pc.index_in(codes, pa.array(keys))))
        elif field == "paused_seconds":
            hours = pc.round(pc.divide(t.column(field).cast(pa.float64()), 3600.0), 4)
            none = pc.equal(t.column("supplement_count"), 0)
            columns.append(pc.if_else(none, pa.scalar(None, pa.string()), hours.cast(pa.string())).combine_chunks())
        elif pa.types.is_timestamp(t.schema.field(field).type):
            text = _local_text(t.column(field), date_format)
            if field == "received_at":
                text = _with_bad_dates(text, _rows_in(g.faults, "bad_date", start, stop))
            columns.append(text)
        else:
            columns.append(_text(t.column(field)))
    return pa.table(columns, names=[h for _, h in DOSSIER_HEADINGS])


def units_text(g: Generated) -> pa.Table:
    u = g.units
    return pa.table([u.column(c) for c in ("unit_code", "unit_name", "kind_text", "parent_code")], names=UNIT_HEADINGS)


def procedures_text(g: Generated) -> pa.Table:
    p = g.procedures

    def yes_no(name: str) -> pa.Array:
        return pc.if_else(p.column(name), "Có", "Không")

    levels = [
        "; ".join(LEVEL_TEXT[x] for x in v.split("#")) for v in p.column("levels").to_pylist()
    ]
    return pa.table(
        [
            p.column("procedure_code"),
            p.column("name"),
            p.column("field_code"),
            p.column("field_name"),
            pa.array(levels, pa.string()),
            _text(p.column("online_level")),
            yes_no("full_online_eligible"),
            yes_no("has_fee"),
            _text(p.column("fee_amount")),
            yes_no("paper_result"),
            pc.cast(p.column("processing_time"), pa.string()),
            pa.array([TIME_UNIT_TEXT[x] for x in p.column("time_unit").to_pylist()], pa.string()),
            yes_no("citizen_target"),
        ],
        names=PROCEDURE_HEADINGS,
    )


def petitions_text(g: Generated) -> pa.Table:
    p = g.petitions
    status = pc.take(pa.array(list(PETITION_STATUS_TEXT.values())),
                     pc.index_in(_text(p.column("status")), pa.array(list(PETITION_STATUS_TEXT))))  # fmt: skip
    category = pc.take(pa.array(list(CATEGORY_TEXT.values())),
                       pc.index_in(_text(p.column("category")), pa.array(list(CATEGORY_TEXT))))  # fmt: skip
    return pa.table(
        [
            p.column("petition_code"),
            _text(p.column("unit_code")),
            _local_text(p.column("received_at"), CSV_DATE),
            _local_text(p.column("due_at"), CSV_DATE),
            _local_text(p.column("handled_at"), CSV_DATE),
            status,
            category,
            _text(p.column("likes")),
            _text(p.column("dislikes")),
            pc.if_else(p.column("reraised"), "Có", "Không"),
        ],
        names=PETITION_HEADINGS,
    )


# -- CSV ---------------------------------------------------------------------------------------------------------


def _safe_text(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """``chiso.cells.safe_text``'s quoting, vectorised: text that a spreadsheet could read as a formula gets a
    leading single quote (the generator's own words never do; the rule holds for every CSV chiso writes)."""
    risky = pc.and_(
        pc.match_substring_regex(column, FORMULA_START_PATTERN),
        pc.invert(pc.match_substring_regex(column, PLAIN_NUMBER_PATTERN)),
    )
    if not pc.any(risky).as_py():
        return column
    return pc.if_else(risky, pc.binary_join_element_wise(QUOTE, column, ""), column)


def _write_csv(path: Path, tables: Callable[[], Any], headings: Sequence[str]) -> int:
    """Write UTF-8 CSV (with BOM, for spreadsheet programs) from an iterator of text tables; returns the rows."""
    rows = 0
    with path.open("wb") as fh:
        fh.write(b"\xef\xbb\xbf")
        schema = pa.schema([(h, pa.string()) for h in headings])
        with pacsv.CSVWriter(fh, schema, write_options=pacsv.WriteOptions(quoting_style="needed")) as writer:
            for table in tables():
                table = table.cast(schema)
                writer.write_table(pa.table([_safe_text(c) for c in table.columns], schema=schema))
                rows += table.num_rows
    return rows


def _chunks(n: int, size: int) -> list[tuple[int, int]]:
    return [(i, min(i + size, n)) for i in range(0, n, size)] or [(0, 0)]


# -- JSON (sync envelopes) ---------------------------------------------------------------------------------------


def _json_string(values: pa.Array) -> pa.Array:
    """Text → JSON string literal (quoted, escaped); null → ""."""
    text = pc.fill_null(values, "")
    text = pc.replace_substring(text, "\\", "\\\\")
    text = pc.replace_substring(text, '"', '\\"')
    return pc.binary_join_element_wise('"', text, '"', "")


def _kv(key: str, values: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(f'"{key}": ', _json_string(values), "")


def _if(mask: pa.Array, yes: pa.Array | str, no: str) -> pa.Array:
    return pc.if_else(mask, yes, no)


def dossier_json_rows(g: Generated, rows: np.ndarray) -> pa.Array:
    """The JSON objects (one text per dossier) of the given rows, as the portal's ``DongBoHoSoMC`` items."""
    idx = pa.array(rows, pa.int64())
    t = g.dossiers.take(idx)
    s = g.supplements.take(idx)
    names = dict(zip(g.units.column("unit_code").to_pylist(), g.units.column("unit_name").to_pylist(), strict=True))

    def col(name: str) -> pa.Array:
        return t.column(name).combine_chunks()

    def sync_date(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
        return _local_text(arr, SYNC_DATE)

    code = _blank(_text(col("dossier_code")))  # a missing code (a fault on purpose) stays an empty string
    unit = _text(col("unit_code"))
    keys = pc.unique(unit).to_pylist()
    unit_name = pc.take(pa.array([names.get(k) for k in keys], pa.string()), pc.index_in(unit, pa.array(keys)))
    received = sync_date(col("received_at"))
    bad_rows = _rows_in(g.faults, "bad_date", 0, g.dossiers.num_rows)
    received = _with_bad_dates(received, np.flatnonzero(np.isin(rows, bad_rows)))

    def flag(name: str) -> pa.Array:
        return _text(col(name))

    serial = pc.utf8_lpad(pa.array(rows + 1).cast(pa.string()), width=6, padding="0")
    parts = pc.binary_join_element_wise(
        '[{"TepDinhKemId": ', _json_string(pc.binary_join_element_wise(code, "-TP1", "")),
        ', "TenTepDinhKem": "to-khai.pdf", "IsDeleted": "False", "MaThanhPhanHoSo": "", "DuocSoHoa": ',
        _json_string(flag("digitised")), ', "DuocTaiSuDung": ', _json_string(flag("reused")),
        ', "DuocLayTuKhoDMQG": ', _json_string(flag("from_personal_store")), "}]", "",
    )  # fmt: skip
    fee = _text(col("fee_total"))
    fees = _if(
        pc.greater(col("fee_items"), 0),
        pc.binary_join_element_wise(
            '[{"TenPhiLePhi": "Phí, lệ phí", "MaPhiLePhi": "", "HinhThucThu": "", "Gia": ', fee,
            ', "LoaiPhiLePhi": "1"}]', "",
        ),
        "[]",
    )
    results = _if(
        col("e_result"),
        pc.binary_join_element_wise(
            '[{"TenGiayTo": "Kết quả giải quyết thủ tục hành chính", "MaThanhPhanHoSo": "", "GiayToId": "", '
            '"DuongDanTepTinKetQua": "', RESULT_URL, code, '.pdf", "MaGiayToKetQua": ""}]', "",
        ),
        "[]",
    )

    def supplement(req: str, ret: str) -> pa.Array:
        return pc.binary_join_element_wise(
            '{"NgayBoSung": ', _json_string(sync_date(s.column(req))), ', "NgayTiepNhanBoSung": ',
            _json_string(sync_date(s.column(ret))), ', "NoiDungBoSung": "Bổ sung giấy tờ"}', "",
        )  # fmt: skip

    count = col("supplement_count")
    first, second = supplement("req1", "ret1"), supplement("req2", "ret2")
    sups = pc.if_else(
        pc.equal(count, 0),
        "[]",
        pc.if_else(
            pc.equal(count, 1),
            pc.binary_join_element_wise("[", first, "]", ""),
            pc.binary_join_element_wise("[", first, ", ", second, "]", ""),
        ),
    )
    fields = [
        _kv("MaHoSo", code),
        _kv("MaTTHC", _text(col("procedure_code"))),
        _kv("TenTTHC", _text(col("procedure_name"))),
        _kv("MaLinhVuc", _text(col("field_code"))),
        _kv("KenhThucHien", _text(col("channel"))),
        _kv("LoaiDoiTuong", _text(col("applicant_type"))),
        _kv("ChuHoSo", pa.repeat(pa.scalar(FAKE_APPLICANT), len(rows))),
        _kv("SoGiayToChuHoSo", pc.binary_join_element_wise("000000", serial, "")),
        _kv("NgayNopHoSo", sync_date(col("submitted_at"))),
        _kv("NgayTiepNhan", received),
        _kv("NgayHenTra", sync_date(col("due_at"))),
        _kv("TrangThaiHoSo", _text(col("status"))),
        _kv("NgayKetThucXuLy", sync_date(col("finished_at"))),
        _kv("NgayTra", sync_date(col("returned_at"))),
        _kv("NgayTuChoi", sync_date(col("rejected_at"))),
        _kv("DonViXuLy", unit_name),
        _kv("NoiNopHoSo", pa.repeat(pa.scalar("2"), len(rows))),
        _kv("HoSoCoThanhPhanSoHoa", flag("digitised")),
        _kv("TaiKhoanDuocXacThucVoiVNeID", flag("vneid")),
        _kv("DuocThanhToanTrucTuyen", _text(col("paid_online"))),
        _kv("TrangThaiDongBoDVC", flag("synced")),
        _kv("DongBoKhoDuLieuCaNhan", flag("result_to_personal_store")),
        _kv("LaHoSoChungThuc", flag("certified_copy")),
        _kv("DaChungThucDienTu", flag("e_certified")),
        _kv("KhongHaiLong", flag("dissatisfied")),
        pc.binary_join_element_wise('"TaiLieuNop": ', parts, ""),
        pc.binary_join_element_wise('"DSKetNoiCSDL": ', _if(col("citizen_db"), '[{"MaCSDL": "7"}]', "[]"), ""),
        pc.binary_join_element_wise('"DanhSachLePhi": ', fees, ""),
        pc.binary_join_element_wise('"DanhSachGiayToKetQua": ', results, ""),
        pc.binary_join_element_wise('"DanhSachHoSoBoSung": ', sups, ""),
    ]
    body = pc.binary_join_element_wise(*fields, ", ")
    return pc.binary_join_element_wise("    {", body, "}", "")


def _envelope(service: str, unit: str, items: pa.Array) -> bytes:
    head = json.dumps({"session": "", "madonvi": unit, "service": service, "isUpdating": False}, ensure_ascii=False)
    items = items.combine_chunks() if isinstance(items, pa.ChunkedArray) else items
    lists = pa.ListArray.from_arrays(pa.array([0, len(items)], pa.int32()), items)
    joined = pc.binary_join(lists, ",\n")[0].as_py() if len(items) else ""
    return (head[:-1] + ', "data": [\n' + joined + "\n]}\n").encode("utf-8")


def _names(prefix: str, count: int) -> list[str]:
    if count == 1:
        return [f"{prefix}.json"]
    width = max(3, len(str(count)))
    return [f"{prefix}-{i:0{width}d}.json" for i in range(1, count + 1)]


def _by_unit(unit_codes: pa.Array | pa.ChunkedArray, chunk: int) -> list[tuple[str, np.ndarray]]:
    """Row groups (unit, rows) in unit-code order, each at most ``chunk`` rows."""
    codes = np.array(_text(unit_codes).to_pylist(), dtype=object)
    out: list[tuple[str, np.ndarray]] = []
    for unit in sorted(set(codes.tolist())):
        rows = np.flatnonzero(codes == unit)
        out += [(unit, rows[i : i + chunk]) for i in range(0, len(rows), chunk)]
    return out


def write_dossiers_json(g: Generated, out: Path, chunk: int) -> list[WrittenFile]:
    groups = _by_unit(g.dossiers.column("unit_code"), chunk)
    files = []
    for name, (unit, rows) in zip(_names("dossiers", len(groups)), groups, strict=True):
        path = out / name
        path.write_bytes(_envelope("DongBoHoSoMC", unit, dossier_json_rows(g, rows)))
        files.append(WrittenFile(path, "dossiers", len(rows)))
    return files


def write_steps_json(g: Generated, out: Path, chunk: int) -> list[WrittenFile]:
    """The progress steps as ``CapNhatTienDoHoSoMC`` envelopes of at most ``chunk`` steps each."""
    assert g.steps is not None
    steps = g.steps
    items = pc.binary_join_element_wise(
        '    {"MaHoSo": ', _json_string(_text(steps.column("dossier_code"))),
        ', "TrangThai": ', _json_string(_text(steps.column("status"))),
        ', "ThoiDiemXuLy": ', _json_string(_local_text(steps.column("at"), SYNC_DATE)),
        ', "PhongBanXuLy": ', _json_string(_text(steps.column("department"))),
        ', "NoiDungXuLy": ', _json_string(_text(steps.column("content"))), "}", "",
    )  # fmt: skip
    root = g.units.column("unit_code")[0].as_py() if g.units.num_rows else ""
    parts = _chunks(steps.num_rows, chunk)
    files = []
    for name, (start, stop) in zip(_names("steps", len(parts)), parts, strict=True):
        path = out / name
        path.write_bytes(_envelope("CapNhatTienDoHoSoMC", root, items.slice(start, stop - start)))
        files.append(WrittenFile(path, "steps", stop - start))
    return files


# -- XLSX --------------------------------------------------------------------------------------------------------


def _fixed_zip(path: Path) -> None:
    """Rewrite an XLSX with fixed timestamps, so that the same data give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z", data)
            dst.writestr(fixed, data)
    path.write_bytes(buffer.getvalue())


def write_dossiers_xlsx(g: Generated, path: Path, chunk: int) -> WrittenFile:
    from openpyxl import Workbook

    n = g.dossiers.num_rows
    if n > XLSX_MAX_ROWS:
        raise ChisoError(
            f"Tệp Excel chỉ chứa được {XLSX_MAX_ROWS:,} dòng; đã yêu cầu {n:,} hồ sơ.".replace(",", "."),
            hint="Dùng --format csv hoặc json cho dữ liệu lớn.",
        )
    wb = Workbook(write_only=True)
    fixed = datetime(2000, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "chiso generate"
    ws = wb.create_sheet("Hồ sơ")
    ws.append(xlsx_row(h for _, h in DOSSIER_HEADINGS))
    for start, stop in _chunks(n, chunk):
        table = dossier_text(g, start, stop)
        for row in zip(*(c.to_pylist() for c in table.columns), strict=True):
            ws.append(xlsx_row(row))
    wb.save(path)
    _fixed_zip(path)
    return WrittenFile(path, "dossiers", n)


# -- all files ---------------------------------------------------------------------------------------------------


def write_all(g: Generated, out_dir: Path, fmt: str, chunk_rows: int = 500_000, json_chunk: int = 50_000
              ) -> list[WrittenFile]:  # fmt: skip
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ChisoError(f"Không tạo được thư mục {out_dir}", detail=str(exc)) from exc
    files: list[WrittenFile] = []
    files.append(WrittenFile(out_dir / "units.csv", "units", _write_csv(out_dir / "units.csv", lambda: [units_text(g)],
                                                                        UNIT_HEADINGS)))  # fmt: skip
    if g.procedures.num_rows:
        rows = _write_csv(out_dir / "procedures.csv", lambda: [procedures_text(g)], PROCEDURE_HEADINGS)
        files.append(WrittenFile(out_dir / "procedures.csv", "procedures", rows))
    n = g.dossiers.num_rows
    if fmt == "csv":
        path = out_dir / "dossiers.csv"
        rows = _write_csv(path, lambda: (dossier_text(g, a, b) for a, b in _chunks(n, chunk_rows)),
                          [h for _, h in DOSSIER_HEADINGS])  # fmt: skip
        files.append(WrittenFile(path, "dossiers", rows))
    elif fmt == "xlsx":
        files.append(write_dossiers_xlsx(g, out_dir / "dossiers.xlsx", chunk_rows))
    elif fmt == "json":
        files += write_dossiers_json(g, out_dir, json_chunk)
    else:
        raise ChisoError(f"Định dạng không được hỗ trợ: {fmt}", hint="Dùng csv, xlsx hoặc json.")
    if g.steps is not None:
        files += write_steps_json(g, out_dir, max(json_chunk * 20, 1))
    if g.petitions is not None:
        rows = _write_csv(out_dir / "petitions.csv", lambda: [petitions_text(g)], PETITION_HEADINGS)
        files.append(WrittenFile(out_dir / "petitions.csv", "petitions", rows))
    manifest = dict(g.manifest)
    manifest["format"] = fmt
    manifest["files"] = [{"name": f.path.name, "kind": f.kind, "rows": f.rows} for f in files]
    path = out_dir / "manifest.json"
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    files.append(WrittenFile(path, "manifest", 0))
    return files
