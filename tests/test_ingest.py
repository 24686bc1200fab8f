"""Ingest: every row stored or rejected with its reason; idempotent; newest state wins; personal data dropped."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chiso.cli.app import app
from chiso.errors import InputFileError
from chiso.workspace import Workspace

HEAD = (
    "Mã hồ sơ,Mã đơn vị,Mã thủ tục,Tên thủ tục,Kênh nộp,Ngày tiếp nhận,Ngày hẹn trả,Ngày kết thúc xử lý,Trạng thái,"
    "Họ tên\n"
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    w = Workspace(db=tmp_path / "t.duckdb")
    yield w
    w.close()


def rows_of(ws: Workspace, table: str) -> list[dict]:
    return ws.store.table(table).to_pyarrow().to_pylist()


def test_rows_read_equals_stored_plus_rejected_and_every_reject_has_a_reason(ws: Workspace, tmp_path: Path):
    f = write(
        tmp_path / "hs.csv",
        HEAD
        + "A1,X.1,1.001193.000.00.00.H59,Khai sinh,Trực tuyến,02/05/2023 08:00,05/05/2023 17:00,04/05/2023 10:00,10,"
        "Nguyễn Văn A\n"
        "A2,X.1,1.001193,Khai sinh,9,20230503090000,,,4,Trần Thị B\n"  # channel 9: rejected
        "A3,X.1,1.001193,Khai sinh,1,31/13/2023,,,2,C\n"  # month 13: rejected
        "A4,,1.001193,Khai sinh,1,01/05/2023,,,10,D\n"  # no unit, finished without end: rejected (2 reasons)
        "A5,X.1,1.001193,Khai sinh,1,01/05/2023,30/04/2023,,4,E\n"  # due before reception: rejected
        "A6,X.1,1.001193,Khai sinh,1,01/05/2023\n"  # short row: rejected as a whole
        "A7,X.1,1.001193,Khai sinh,,,,,1,F\n",  # waiting online reception: no reception date needed
    )
    [r] = ws.ingest([f])
    assert (r.rows_read, r.rows_stored, r.rows_rejected) == (7, 2, 5)
    assert r.rows_read == r.rows_stored + r.rows_rejected
    by_row = {}
    for x in r.rejects:
        by_row.setdefault(x.row, []).append(x)
    assert sorted(by_row) == [3, 4, 5, 6, 7]
    assert by_row[3][0].field == "Kênh nộp" and by_row[3][0].value == "9"
    assert "ngày không có trong lịch" in by_row[4][0].reason
    assert {x.field for x in by_row[5]} == {"Mã đơn vị", "Ngày kết thúc xử lý"}
    assert by_row[6][0].reason == "trước ngày tiếp nhận"
    assert by_row[7][0].field == "(cả dòng)"
    stored = rows_of(ws, "ingest_reject")
    assert len(stored) == r.rejects_total == 6
    assert r.rejects_csv is not None and r.rejects_csv.exists()
    with r.rejects_csv.open(encoding="utf-8-sig") as fh:
        lines = list(csv.reader(fh))
    assert lines[0] == ["Tệp", "Dòng", "Trường", "Giá trị", "Lý do"] and len(lines) == 7
    # the national base code, and no personal data anywhere
    current = {d["dossier_code"]: d for d in rows_of(ws, "dossier")}
    assert current["A1"]["procedure_code"] == "1.001193"
    assert "Họ tên" in r.dropped_personal
    dump = json.dumps([rows_of(ws, t) for t in ("dossier_version", "dossier", "ingest_reject")], default=str)
    assert "Nguyễn" not in dump and "Trần" not in dump


def test_same_file_twice_changes_nothing_and_newest_state_wins(ws: Workspace, tmp_path: Path):
    first = write(tmp_path / "a.csv", HEAD + "B1,X.1,1.001193,Khai sinh,1,02/05/2023 08:00,05/05/2023 17:00,,4,\n")
    ws.ingest([first])
    again = ws.ingest([first])
    assert again[0].skipped and again[0].duplicate_of == "a.csv"
    assert len(rows_of(ws, "dossier_version")) == 1
    later = write(
        tmp_path / "b.csv",
        HEAD + "B1,X.1,1.001193,Khai sinh,1,02/05/2023 08:00,05/05/2023 17:00,04/05/2023 09:00,10,\n",
    )
    ws.ingest([later])
    assert len(rows_of(ws, "dossier_version")) == 2  # history kept
    [d] = rows_of(ws, "dossier")
    assert d["status"] == 10 and d["end_at"] == datetime(2023, 5, 4, 2, 0, tzinfo=UTC)
    # an older state ingested afterwards does not win
    older = write(tmp_path / "c.csv", HEAD + "B1,X.1,1.001193,Khai sinh,1,02/05/2023 08:00,,,2,\n")
    ws.ingest([older])
    [d] = rows_of(ws, "dossier")
    assert d["status"] == 10


def test_file_without_a_required_column_is_refused_whole(ws: Workspace, tmp_path: Path):
    f = write(tmp_path / "x.csv", "Mã hồ sơ,Mã đơn vị,Trạng thái,Ngày tiếp nhận\nC1,X.1,4,01/05/2023\n")
    with pytest.raises(InputFileError) as info:
        ws.ingest([f])
    assert "Mã thủ tục" in info.value.message and "không được nạp" in info.value.message
    assert rows_of(ws, "ingest_run") == [] and rows_of(ws, "dossier_version") == []


@pytest.mark.parametrize(
    ("body", "message", "place"),
    [
        (b'{"data": [', "không phải JSON hợp lệ", "dòng 1, cột 11"),
        (b"\xff\xfe\x00ba", "không phải UTF-16 hợp lệ", "byte 4"),
    ],
)
def test_unreadable_json_is_refused_with_its_place(ws: Workspace, tmp_path: Path, body: bytes, message: str,
                                                   place: str):  # fmt: skip
    f = tmp_path / "dong-bo.json"
    f.write_bytes(body)
    with pytest.raises(InputFileError) as info:
        ws.ingest([f])
    assert message in info.value.message and "dong-bo.json" in info.value.message
    assert "không được nạp" in info.value.message and info.value.place == place


def test_unknown_shape_gives_a_vietnamese_message_not_a_traceback(tmp_path: Path):
    bad = write(tmp_path / "lung-tung.csv", "a,b\n1,2\n")
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "t.duckdb"), "ingest", str(bad)])
    assert result.exit_code != 0
    assert "Không nhận ra loại dữ liệu" in result.output and "Traceback" not in result.output


def sync_body() -> dict:
    return {
        "session": "s",
        "madonvi": "000.00.36.H59",
        "service": "DongBoHoSoMC",
        "data": [
            {
                "MaHoSo": "000.36.35.H59-230504-0012",
                "MaTTHC": "1.000948.000.00.00.H59",
                "TenTTHC": "Chứng thực bản sao từ bản chính",
                "KenhThucHien": "2",
                "ChuHoSo": "Nguyễn Văn A",
                "SoGiayToChuHoSo": "079123456789",
                "NgayTiepNhan": "20230504080000",
                "NgayHenTra": "20230505170000",
                "NgayKetThucXuLy": "20230505160000",
                "TrangThaiHoSo": "10",
                "DuocThanhToanTrucTuyen": "1",
                "TaiLieuNop": [{"DuocSoHoa": "1", "DuocTaiSuDung": "0", "DuocLayTuKhoDMQG": "1"}],
                "DanhSachLePhi": [{"Gia": 2000}, {"Gia": 3000}],
                "DanhSachGiayToKetQua": [{"DuongDanTepTinKetQua": "https://x/kq.pdf"}],
                "DanhSachHoSoBoSung": [{"NgayBoSung": "20230504090000", "NgayTiepNhanBoSung": "20230504110000"}],
                "QuaTrinhXuLy": [
                    {"TrangThai": "10", "ThoiDiemXuLy": "20230505150000"},
                    {"TrangThai": "9", "ThoiDiemXuLy": "20230505143000"},
                ],
            }
        ],
    }


def test_sync_json_is_flattened_with_flags_fees_supplements_and_step_end(ws: Workspace, tmp_path: Path):
    f = tmp_path / "sync.json"
    f.write_text(json.dumps(sync_body(), ensure_ascii=False), encoding="utf-8")
    reports = ws.ingest([f])
    assert [r.kind for r in reports] == ["dossiers", "steps"]
    assert all(r.rows_rejected == 0 for r in reports)
    [d] = rows_of(ws, "dossier")
    assert d["unit_code"] == "000.00.36.H59" and d["procedure_code"] == "1.000948"
    assert d["channel"] == 2 and d["paid_online"] == 1 and int(d["fee_total"]) == 5000
    assert d["digitised"] and d["from_personal_store"] and not d["reused"] and d["e_result"] and d["synced"]
    assert d["supplement_count"] == 1 and d["paused_seconds"] == 2 * 3600
    # end of processing: the 'Đã xử lý xong' step (9) wins over 'Đã trả kết quả' (10) and NgayKetThucXuLy
    assert d["end_at"] == datetime(2023, 5, 5, 7, 30, tzinfo=UTC)
    dump = json.dumps(rows_of(ws, "dossier_version"), default=str)
    assert "Nguyễn" not in dump and "079123456789" not in dump


def test_missing_deadline_is_computed_from_the_procedure(ws: Workspace, tmp_path: Path):
    procs = write(
        tmp_path / "thu-tuc.csv",
        "Mã thủ tục,Tên thủ tục,Cấp thực hiện,Thời hạn giải quyết,Đơn vị thời hạn\n"
        "1.001193,Khai sinh,Xã,3,Ngày làm việc\n",
    )
    dossiers = write(tmp_path / "hs.csv", HEAD + "D1,X.1,1.001193,Khai sinh,1,28/04/2023 16:00,,,4,\n")
    ws.ingest([dossiers, procs])
    [d] = rows_of(ws, "dossier")
    assert d["due_computed"] is True
    # Fri 28/04/2023 16:00 + 3 working days; 29/4–3/5 are days off (Giỗ Tổ, 30/4, 1/5 and the observed days)
    assert d["due_at"] == datetime(2023, 5, 8, 9, 0, tzinfo=UTC)
