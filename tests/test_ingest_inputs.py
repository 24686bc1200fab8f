"""Malformed and unusual dossier files: each is read, or refused with a Vietnamese message naming its place and the
real cause (issue 10: encodings, delimiters, damaged bytes and parts, limits, impossible values, unknown codes)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from chiso.cli.app import app
from chiso.errors import InputFileError
from chiso.ingest.parse import NO_SUCH_DAY
from chiso.settings import Settings
from chiso.workspace import Workspace
from tests.fuzz_mutations import cp1258

HEADINGS = ["Mã hồ sơ", "Mã đơn vị", "Mã thủ tục", "Tên thủ tục", "Kênh nộp", "Ngày tiếp nhận", "Ngày hẹn trả",
            "Ngày kết thúc xử lý", "Trạng thái", "Phí, lệ phí", "Loại đối tượng"]  # fmt: skip
ROW = ["A1", "X.1", "1.001193", "Đăng ký khai sinh", "1", "02/05/2023 08:00", "05/05/2023 17:00", "04/05/2023 10:00",
       "10", "5000", "1"]  # fmt: skip


def table(*rows: list[str], delimiter: str = ",", headings: list[str] = HEADINGS) -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows([headings, *rows])
    return buf.getvalue()


def row(**changes: str) -> list[str]:
    out = list(ROW)
    for name, value in changes.items():
        out[{"code": 0, "unit": 1, "proc": 2, "name": 3, "received": 5, "due": 6, "finished": 7, "status": 8,
             "fee": 9, "applicant": 10}[name]] = value  # fmt: skip
    return out


@pytest.fixture
def ws(tmp_path: Path):
    w = Workspace(db=tmp_path / "t.duckdb")
    yield w
    w.close()


def ingest_one(ws: Workspace, path: Path):
    [report] = ws.ingest([path])
    assert report.rows_read == report.rows_stored + report.rows_rejected
    return report


def reason_of(report, row: int, field: str) -> str:
    [reason] = [x.reason for x in report.rejects if x.row == row and x.field == field]
    return reason


def reasons(report) -> dict[int, list[tuple[str, str]]]:
    out: dict[int, list[tuple[str, str]]] = {}
    for x in report.rejects:
        out.setdefault(x.row, []).append((x.field, x.reason))
    return out


# -- encodings ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["cp1258", "utf-16", "utf-8-sig"])
def test_vietnamese_files_in_other_encodings_are_read(ws, tmp_path, encoding):
    text = table(ROW)
    path = tmp_path / "hs.csv"
    path.write_bytes(cp1258(text) if encoding == "cp1258" else text.encode(encoding))
    report = ingest_one(ws, path)
    assert report.rows_stored == 1
    [d] = ws.store.table("dossier").to_pyarrow().to_pylist()
    assert d["procedure_name"] == "Đăng ký khai sinh"  # NFC, as written
    if encoding == "cp1258":
        assert any("Windows-1258" in w for w in report.warnings)


def test_a_latin_1_export_is_read(ws, tmp_path):
    headings = ["MaHoSo", "MaDonVi", "MaTTHC", "TenTTHC", "KenhThucHien", "NgayTiepNhan", "NgayHenTra",
                "NgayKetThucXuLy", "TrangThaiHoSo", "TongPhi", "LoaiDoiTuong"]  # fmt: skip
    path = tmp_path / "hs.csv"
    path.write_bytes(table(row(name="Khai sinh (ban sao) – é"), headings=headings).encode("cp1252"))
    report = ingest_one(ws, path)
    assert report.rows_stored == 1 and any("Windows-1252" in w for w in report.warnings)
    assert ws.store.table("dossier").to_pyarrow().to_pylist()[0]["procedure_name"] == "Khai sinh (ban sao) – é"


def test_one_bad_utf8_sequence_rejects_its_row_only(ws, tmp_path):
    good = table(ROW, row(code="A2"), row(code="A3")).encode()
    damaged = good.replace("A2,X.1,1.001193,Đăng ký".encode(), b"A2,X.1,1.001193,\xff\xfe ng k\xc3")
    path = tmp_path / "hs.csv"
    path.write_bytes(damaged)
    report = ingest_one(ws, path)
    assert (report.rows_read, report.rows_stored, report.rows_rejected) == (3, 2, 1)
    [(field, reason)] = reasons(report)[3]
    assert field == "Tên thủ tục" and "ký tự hỏng" in reason


# -- delimiters, headings, shape ----------------------------------------------------------------------------
@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_semicolon_tab_and_bar_files_with_the_standard_headings_are_read(ws, tmp_path, delimiter):
    path = tmp_path / "hs.csv"
    path.write_text(table(ROW, row(code="A2"), delimiter=delimiter), encoding="utf-8")
    assert "Phí, lệ phí" in path.read_text(encoding="utf-8")  # a comma inside a heading
    report = ingest_one(ws, path)
    assert report.rows_stored == 2
    assert int(ws.store.table("dossier").to_pyarrow().to_pylist()[0]["fee_total"]) == 5000


def test_title_lines_above_the_heading_are_skipped_and_rows_keep_their_line(ws, tmp_path):
    path = tmp_path / "hs.csv"
    path.write_text("BÁO CÁO HỒ SƠ THÁNG 5\nĐơn vị: X.1\n" + table(row(status="99")), encoding="utf-8")
    report = ingest_one(ws, path)
    assert list(reasons(report)) == [4]  # heading on line 3, the row on line 4


def test_a_heading_below_row_10_is_refused_saying_where_it_is(ws, tmp_path):
    path = tmp_path / "hs.csv"
    path.write_text("BÁO CÁO\n" * 11 + table(ROW), encoding="utf-8")
    with pytest.raises(InputFileError) as info:
        ws.ingest([path])
    assert "dòng 12, dưới dòng 10" in info.value.message and info.value.place == "dòng 12"


@pytest.mark.parametrize(("text", "says"), [("", "rỗng"), (table(), "chỉ có dòng tiêu đề")])
def test_empty_and_header_only_files_are_refused_saying_so(ws, tmp_path, text, says):
    path = tmp_path / "hs.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError) as info:
        ws.ingest([path])
    assert says in info.value.message and "không được nạp" in info.value.message


def test_giant_cells_and_nul_bytes_reject_their_row(ws, tmp_path):
    path = tmp_path / "hs.csv"
    path.write_text(table(row(name="x" * 3_000_000), row(code="A2", name="Khai\x00sinh"), row(code="A3")),
                    encoding="utf-8")  # fmt: skip
    report = ingest_one(ws, path)
    found = reasons(report)
    assert report.rows_stored == 1
    assert found[2] == [("Tên thủ tục", "ô quá lớn (hơn 32.767 ký tự)")]
    assert found[3] == [("Tên thủ tục", "có ký tự NUL (mã 0)")]
    assert max(len(x.value) for x in report.rejects) <= 200  # the report keeps the start of a giant value


# -- values -------------------------------------------------------------------------------------------------
def test_impossible_dates_years_numbers_and_negative_amounts_are_rejected_with_their_reason(ws, tmp_path):
    path = tmp_path / "hs.csv"
    path.write_text(
        table(
            row(code="B1", received="31/04/2023 08:00", due="", finished=""),
            row(code="B2", received="29/02/2023", due="", finished=""),
            row(code="B3", received="02/05/2023 25:61"),
            row(code="B4", finished="04/05/9999 10:00"),
            row(code="B5", received="02/05/0001 08:00", due="", finished=""),
            row(code="B6", fee="-5"),
            row(code="B7", fee="1e30"),
            row(code="B8", applicant="999"),
            row(code="B9", fee="1234,56789"),
        ),
        encoding="utf-8",
    )
    report = ingest_one(ws, path)
    found = reasons(report)
    assert reason_of(report, 2, "Ngày tiếp nhận") == NO_SUCH_DAY  # 31/04 never becomes 01/05
    assert reason_of(report, 3, "Ngày tiếp nhận") == NO_SUCH_DAY  # 29/02/2023 never becomes 01/03
    assert reason_of(report, 4, "Ngày tiếp nhận") == "giờ không hợp lệ (giờ 0–23, phút và giây 0–59)"
    assert reason_of(report, 5, "Ngày kết thúc xử lý").startswith("năm ngoài khoảng hợp lệ 2000–")
    assert reason_of(report, 6, "Ngày tiếp nhận").startswith("năm ngoài khoảng hợp lệ")
    assert found[7] == [("Phí, lệ phí", "không được âm")]
    assert found[8] == [("Phí, lệ phí", "số quá lớn (tối đa 99.999.999.999.999.9999)")]
    assert found[9] == [("Loại đối tượng", "số quá lớn (tối đa 127)")]
    assert report.rows_stored == 1  # B9: a decimal comma, kept to four places
    [d] = ws.store.table("dossier").to_pyarrow().to_pylist()
    assert str(d["fee_total"]) == "1234.5679"
    cutoff = ws.local_status()["cutoff"]
    assert cutoff is not None and cutoff.year == 2023  # never 9999


# -- sync JSON ----------------------------------------------------------------------------------------------
def sync(items: list) -> dict:
    return {"service": "DongBoHoSoMC", "madonvi": "X.1", "data": items}


def dossier(i: int, **extra) -> dict:
    return {"MaHoSo": f"H{i}", "MaTTHC": "1.001193", "NgayTiepNhan": "20230504080000", "TrangThaiHoSo": "4", **extra}


def test_a_non_object_after_item_100_rejects_that_item_only(ws, tmp_path):
    items = [dossier(i) for i in range(120)]
    items.insert(105, 42)
    items.insert(110, ["H-x"])
    path = tmp_path / "sync.json"
    path.write_text(json.dumps(sync(items)), encoding="utf-8")
    report = ingest_one(ws, path)
    assert (report.rows_read, report.rows_stored, report.rows_rejected) == (122, 120, 2)
    found = reasons(report)
    assert found[106] == [("(cả dòng)", "phần tử thứ 106 của danh sách không phải một hồ sơ (object JSON)")]
    assert 111 in found


def test_lists_where_values_belong_negative_fees_and_pauses_and_mixed_zones(ws, tmp_path):
    items = [
        dossier(0, MaTTHC={"a": 1}),
        dossier(1, DanhSachLePhi=[{"Gia": -5}, {"Gia": 1000}]),
        dossier(2, DanhSachHoSoBoSung=[{"NgayBoSung": "20230504100000", "NgayTiepNhanBoSung": "20230504090000"}]),
        dossier(3, DanhSachHoSoBoSung=[
            {"NgayBoSung": "2023-05-04T09:00:00+07:00", "NgayTiepNhanBoSung": "20230504110000"},
            {"NgayBoSung": "2023-05-04T01:30:00Z"},
        ]),
        dossier(4, DanhSachHoSoBoSung=[{"NgayBoSung": "20230431090000"}]),
        dossier(5, MaHoSo="H5\ud800"),
    ]
    path = tmp_path / "sync.json"
    path.write_text(json.dumps(sync(items)), encoding="utf-8")
    report = ingest_one(ws, path)
    found = reasons(report)
    assert found[1][0] == ("MaTTHC", "cần một giá trị, gặp object")
    assert found[2] == [("DanhSachLePhi[0].Gia", "số tiền không được âm")]
    assert found[3] == [("DanhSachHoSoBoSung[0].NgayTiepNhanBoSung",
                         "trước ngày yêu cầu bổ sung (thời gian tạm dừng âm)")]  # fmt: skip
    assert "ngày không có trong lịch" in found[5][0][1]
    assert found[6][0][1].startswith("có ký tự hỏng")
    assert report.rows_stored == 1
    [d] = ws.store.table("dossier").to_pyarrow().to_pylist()
    assert d["dossier_code"] == "H3" and d["paused_seconds"] == 2 * 3600  # +07:00 and Z read as the same clock
    assert d["supplement_first_at"].isoformat() == "2023-05-04T01:30:00+00:00"


# -- XLSX ---------------------------------------------------------------------------------------------------
def workbook(rows: list[list], title_rows: int = 0) -> bytes:
    wb = Workbook()
    sheet = wb.active
    sheet.title = "Hồ sơ"
    for _ in range(title_rows):
        sheet.append(["BÁO CÁO"])
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_an_xlsx_over_the_row_limit_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "hs.xlsx"
    path.write_bytes(workbook([HEADINGS, ROW, row(code="A2"), row(code="A3")]))
    small = Workspace(settings=Settings(db=str(tmp_path / "t.duckdb"), xlsx_max_rows=3))
    try:
        with pytest.raises(InputFileError) as info:
            small.ingest([path])
        assert "Trang tính 'Hồ sơ'" in info.value.message and "4 dòng" in info.value.message
        assert "xlsx_max_rows" in (info.value.hint or "")
    finally:
        small.close()


def test_an_xlsx_that_expands_beyond_the_size_limit_is_refused(tmp_path):
    padded = workbook([HEADINGS, ROW, ["x" * 30000] * 40] * 3)
    path = tmp_path / "hs.xlsx"
    path.write_bytes(padded)
    small = Workspace(settings=Settings(db=str(tmp_path / "t.duckdb"), xlsx_max_mb=1))
    try:
        with pytest.raises(InputFileError) as info:
            small.ingest([path])
        assert "khi giải nén có" in info.value.message and "quá giới hạn 1 MB" in info.value.message
    finally:
        small.close()


def test_damaged_xlsx_parts_are_refused_naming_the_sheet(ws, tmp_path):
    good = workbook([HEADINGS, ROW])
    src = zipfile.ZipFile(io.BytesIO(good))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            body = src.read(name)
            dst.writestr(name, body[: len(body) // 2] if name.endswith("sheet1.xml") else body)
    path = tmp_path / "hs.xlsx"
    path.write_bytes(out.getvalue())
    with pytest.raises(InputFileError) as info:
        ws.ingest([path])
    assert "trang tính 'Hồ sơ' bị hỏng" in info.value.message
    path.write_bytes(good[:-40])  # a cut file: its zip directory is gone
    with pytest.raises(InputFileError) as info:
        ws.ingest([path])
    assert "tệp nén bị hỏng" in info.value.message


def test_xlsx_heading_below_row_10_and_header_only_sheets_say_so(ws, tmp_path):
    path = tmp_path / "hs.xlsx"
    path.write_bytes(workbook([HEADINGS, ROW], title_rows=12))
    with pytest.raises(InputFileError) as info:
        ws.ingest([path])
    assert "ở dòng 13 của trang tính 'Hồ sơ', dưới dòng 10" in info.value.message
    path.write_bytes(workbook([HEADINGS]))
    with pytest.raises(InputFileError) as info:
        ws.ingest([path])
    assert "chỉ có dòng tiêu đề" in info.value.message


# -- unknown codes --------------------------------------------------------------------------------------------
def test_codes_the_catalogues_do_not_know_are_warned_with_counts_in_cli_json_and_upload_page(tmp_path):
    units = tmp_path / "don-vi.csv"
    units.write_text("Mã đơn vị,Tên đơn vị,Loại\nX.1,UBND xã Một,xã\n", encoding="utf-8")
    procs = tmp_path / "thu-tuc.csv"
    procs.write_text("Mã thủ tục,Tên thủ tục\n1.001193,Đăng ký khai sinh\n", encoding="utf-8")
    dossiers = tmp_path / "hs.csv"
    dossiers.write_text(table(ROW, row(code="A2", unit="X.9"), row(code="A3", unit="X.9", proc="2.000001"),
                              row(code="A4", unit="Y.7")), encoding="utf-8")  # fmt: skip
    db = str(tmp_path / "t.duckdb")
    runner = CliRunner()
    result = runner.invoke(app, ["--db", db, "ingest", str(units), str(procs), str(dossiers), "--format", "json"])
    assert result.exit_code == 0, result.output
    [report] = [r for r in json.loads(result.output) if r["file"] == "hs.csv"]
    by_field = {u["field"]: u for u in report["unknown_codes"]}
    assert by_field["unit_code"]["codes"] == 2 and by_field["unit_code"]["rows"] == 3
    assert by_field["unit_code"]["examples"] == [{"code": "X.9", "rows": 2}, {"code": "Y.7", "rows": 1}]
    assert by_field["procedure_code"]["codes"] == 1 and by_field["procedure_code"]["examples"][0]["code"] == "2.000001"
    assert by_field["unit_code"]["sentence"] in report["warnings"]
    assert report["rows_stored"] == 4  # warned, not rejected
    other = tmp_path / "hs2.csv"
    other.write_text(table(row(code="C1", unit="Z.5")), encoding="utf-8")
    shown = runner.invoke(app, ["--db", db, "ingest", str(other)], env={"COLUMNS": "200"})
    assert "Cảnh báo — hs2.csv: 1 mã đơn vị chưa có trong danh mục đơn vị" in shown.output


def test_a_broken_row_is_shown_by_its_first_cell_never_its_personal_data(ws, tmp_path):
    path = tmp_path / "hs.csv"
    path.write_text(table(ROW, [*row(code="A2")[:5], "Nguyễn Văn A"], headings=HEADINGS), encoding="utf-8")
    report = ingest_one(ws, path)
    [broken] = report.rejects
    assert (broken.row, broken.field, broken.value) == (3, "(cả dòng)", "A2")
    stored = ws.store.table("ingest_reject").to_pyarrow().to_pylist()
    assert "Nguyễn" not in json.dumps(stored, ensure_ascii=False) and "Nguyễn" not in report.rejects_csv.read_text(
        encoding="utf-8-sig")


def test_an_xlsx_zip_bomb_is_refused_before_it_is_parsed(ws, tmp_path):
    good = workbook([HEADINGS, ROW])
    src = zipfile.ZipFile(io.BytesIO(good))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            body = src.read(name)
            if name.endswith("sheet1.xml"):  # one cell of 30 MB: a few tens of KB once compressed
                body = body.replace(b"</sheetData>", b'<row r="3"><c r="A3" t="inlineStr"><is><t>'
                                    + b"x" * 30_000_000 + b"</t></is></c></row></sheetData>")  # fmt: skip
            dst.writestr(name, body)
    path = tmp_path / "bom.xlsx"
    path.write_bytes(out.getvalue())
    assert path.stat().st_size < 200_000
    with pytest.raises(InputFileError) as info:
        ws.ingest([path])
    assert "nén bất thường" in info.value.message and "28 MB" in info.value.message
