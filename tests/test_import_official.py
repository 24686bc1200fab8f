import json
from decimal import Decimal
from pathlib import Path

import pytest

from chiso.errors import InputFileError, StoreError
from chiso.official.importer import parse_file, store_file
from chiso.store import queries as q
from tests.conftest import ANGIANG_T10, ANGIANG_THANG10, GIALAI_AGENCIES, GIALAI_COMMUNES, REAL_FILES, TRACKERS

TABLES = ("official_file", "official_snapshot", "official_unit", "official_group", "official_metric")


def counts(ws) -> dict[str, int]:
    return {t: ws.store.table(t).count().execute() for t in TABLES}


def test_real_files_import(ws):
    outcomes = ws.import_official(REAL_FILES)
    assert [o.error for o in outcomes] == [None] * 4
    by_name = {Path(o.path).name: o.report for o in outcomes}
    t10 = by_name["bao_cao_T10_2025.xlsx"]
    sheets = [(s.sheet, s.period, s.units) for s in t10.snapshots]
    assert ("Điểm năm", "2025", 34) in sheets
    assert ("Điểm tháng", "2025-10", 34) in sheets
    assert ("Sở Ban", "2025-10", 15) in sheets
    assert ("Xã Phường", "2025", 102) in sheets
    assert ("Xu hướng quý", "2025-Q4", 1) in sheets
    assert t10.snapshots[0].captured_basis == "workbook"
    gl = by_name["gialai-communes-2026-10-10.sample.json"].snapshots[0]
    assert (gl.period, gl.scope, gl.units, gl.captured_basis) == ("2026", "H21", 13, "file")
    c = counts(ws)
    assert c["official_file"] == 4 and c["official_snapshot"] == 14


def test_unit_records_keep_kind_parent_and_portal_order(ws):
    ws.import_official([GIALAI_COMMUNES, ANGIANG_T10])
    units = {u["unit_code"]: u for u in ws.units()}
    assert units["H21.227"]["kind"] == "commune" and units["H21.227"]["parent_code"] == "H21"
    assert units["H01.13"]["kind"] == "agency" and units["H01.13"]["parent_code"] == "H01"
    assert units["H05"]["kind"] == "province" and units["H05"]["parent_code"] == "VN"
    # a province published with the older 4-part code is still a province under VN
    assert units["000.00.00.H37"]["parent_code"] == "VN"


def test_metrics_are_stored_with_their_source(ws):
    ws.import_official([GIALAI_COMMUNES])
    snap = ws.snapshots()[0]
    unit = q.published_units(ws.store, [snap.snapshot_id], units=["H21.227"])[0]
    metrics = {m.code: m for m in unit.metrics}
    assert metrics["ON_TIME"].numerator == 2541 and metrics["ON_TIME"].denominator == 2618
    assert metrics["ON_TIME"].source_field == "TDGQ_TienDoGiaiQuyet.totalOnTime/totalReceived"
    assert metrics["PAY_DOSSIERS"].numerator == 2352 and metrics["PAY_DOSSIERS"].score is None
    assert metrics["DOSSIER_SYNC"].data_quality == "TEMP_NATIONAL_REPORT_DENOMINATOR"
    assert metrics["REUSED_DIGITIZED_DATA"].score == Decimal("1.47")
    assert unit.group("CLGQ").score == Decimal("6.31")  # 'ONLINE' in the file


def test_importing_twice_changes_nothing(ws, tmp_path):
    ws.import_official(REAL_FILES)
    before = counts(ws)
    again = ws.import_official(REAL_FILES)
    assert all(o.report.status == "duplicate" for o in again)
    renamed = tmp_path / "same-content-other-name.json"
    renamed.write_bytes(GIALAI_AGENCIES.read_bytes())
    (o,) = ws.import_official([renamed])
    assert o.report.status == "duplicate" and o.report.duplicate_of == GIALAI_AGENCIES.name
    assert counts(ws) == before


def test_history_is_kept_across_captures(ws):
    ws.import_official([TRACKERS / "crawler766" / "agencies_detail_GiaLai_24092026.json"])
    ws.import_official([TRACKERS / "crawler766" / "agencies_detail_GiaLai_10102026.json"])
    rows = q.unit_snapshots(ws.store, ["H21.17"])
    assert [r["captured_at"].day for r in rows] == [24, 10]
    assert len({r["snapshot_id"] for r in rows}) == 2


def _broken_copy(tmp_path: Path, mutate) -> Path:
    data = json.loads(GIALAI_COMMUNES.read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_bad_value_refuses_the_whole_file(ws, tmp_path):
    def spoil(d):
        d["communesDetail"][5]["componentIndicators"]["MDSH_SoHoaHoSo"]["metrics"][2]["score"] = "một"

    (o,) = ws.import_official([_broken_copy(tmp_path, spoil)])
    assert isinstance(o.error, InputFileError)
    assert "communesDetail[5].componentIndicators.MDSH_SoHoaHoSo.metrics[2]" in o.error.place
    assert "broken.json" in o.error.message and "không được nhập" in o.error.message
    assert all(v == 0 for v in counts(ws).values())


def test_missing_unit_code_names_the_record(ws, tmp_path):
    (o,) = ws.import_official([_broken_copy(tmp_path, lambda d: d["communesDetail"][3].pop("departmentCode"))])
    assert o.error is not None and o.error.place == "communesDetail[3].departmentCode"


def test_duplicate_unit_is_refused(ws, tmp_path):
    def dup(d):
        d["communesDetail"][1]["departmentCode"] = d["communesDetail"][0]["departmentCode"]

    (o,) = ws.import_official([_broken_copy(tmp_path, dup)])
    assert o.error is not None and "không trùng" in o.error.message


def test_a_failure_while_writing_leaves_nothing(ws, monkeypatch):
    parsed = parse_file(GIALAI_COMMUNES)
    real_insert = ws.store.insert

    def failing(name, rows):
        if name == "official_metric":
            raise RuntimeError("disk full")
        return real_insert(name, rows)

    monkeypatch.setattr(ws.store, "insert", failing)
    with pytest.raises(StoreError, match="ổ đĩa đã đầy"):  # told in Vietnamese, and that nothing was stored
        store_file(ws.store, parsed)
    monkeypatch.undo()
    assert all(v == 0 for v in counts(ws).values())


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"foo": 1}', "Không nhận ra dạng dữ liệu"),
        (b'{"communesDetail": [', "không phải JSON hợp lệ"),
        ('{"communesDetail": "Hồ sơ'.encode()[:-2] + b'\xff"}', "không đúng mã UTF-8"),
        (b"\xff\xfe\x00ba", "không phải UTF-16 hợp lệ"),
    ],
)
def test_unreadable_json(ws, tmp_path, content, expected):
    path = tmp_path / "x.json"
    path.write_bytes(content)
    (o,) = ws.import_official([path])
    assert o.error is not None and expected in o.error.message


def test_unknown_extension_and_missing_file(ws, tmp_path):
    path = tmp_path / "x.pdf"
    path.write_bytes(b"%PDF")
    (bad, missing) = ws.import_official([path, tmp_path / "none.json"])
    assert "không được hỗ trợ" in bad.error.message
    assert "Không tìm thấy tệp" in missing.error.message


def test_corrupt_workbook(ws, tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    (o,) = ws.import_official([path])
    assert o.error is not None and "bảng tính Excel" in o.error.message


def test_list_shape_as_csv_and_json(ws, tmp_path):
    csv_path = tmp_path / "xa-phuong.csv"
    csv_path.write_text(
        "MA_COQUAN;TEN;LOAI_COQUAN;TDGQ;MDHL;MDSH;TTTT;CLGQ;CKMB;TONG_SCORE;ROW_STT\n"
        "H01.187;UBND xã Đông Thái;3;19,81;18;20,75;8,55;8,1;18;93,21;2\n"
        "H01.174;UBND xã Tân Hội;3;19.94;18;20.59;8.6;8.06;18;93.19;3\n",
        encoding="utf-8",
    )
    json_path = tmp_path / "tinh.json"
    json_path.write_text(
        json.dumps([{"MA_COQUAN": "H05", "TEN": "UBND tỉnh Bắc Ninh", "LOAI_COQUAN": "1", "TDGQ": "19.05",
                     "MDHL": "17.86", "MDSH": "20.79", "TTTT": "10", "CLGQ": "8.36", "CKMB": "15.64",
                     "TONG_SCORE": "91.7", "ROW_STT": "1"}]),
        encoding="utf-8",
    )  # fmt: skip
    from chiso.domain.periods import Period

    outcomes = ws.import_official([csv_path, json_path], period=Period.parse("2025"))
    assert [o.error for o in outcomes] == [None, None]
    assert ws.verify().verification.ok
    ranking = ws.ranking(period=Period.parse("2025"), parent="H01")
    assert [r.total for r in ranking.tables[0].rows] == [Decimal("93.21"), Decimal("93.19")]


def test_list_without_a_period_asks_for_one(ws, tmp_path):
    path = tmp_path / "danh-sach.csv"
    path.write_text("MA_COQUAN,TEN,TONG_SCORE\nH01.187,UBND xã Đông Thái,93.21\n", encoding="utf-8")
    (o,) = ws.import_official([path])
    assert o.error is not None and "--period" in o.error.expected


def test_list_with_a_bad_score_names_row_and_column(ws, tmp_path):
    path = tmp_path / "t10_2025.csv"
    path.write_text("MA_COQUAN,TEN,TONG_SCORE\nH01.187,UBND xã Đông Thái,abc\n", encoding="utf-8")
    (o,) = ws.import_official([path])
    assert o.error is not None and o.error.place == "bảng, dòng 2, cột TONG_SCORE"


def test_list_without_required_columns(ws, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Mã,Điểm\nH01,50\n", encoding="utf-8")
    (o,) = ws.import_official([path])
    assert o.error is not None and "MA_COQUAN" in o.error.expected


@pytest.mark.parametrize(
    ("name", "period", "units"),
    [
        ("crawler766/agencies_GiaLai_10102026.json", "2026", 15),  # 14 agencies + the province overview
        ("crawler766/agencies_GiaLai_23092026.json", "2026-03", 15),  # a monthly capture, per metadata
        ("crawler766/scores_GiaLai_10102026.json", "2026", 150),
        ("crawler766/communes_detail_GiaLai_10102026.json", "2026", 57),
        ("crawler766/catalog/provinces.json", "2026", 2),
        ("hanoi/2026-10-10.excerpt.json", "2026", 1),
        ("766analyze/provinces_2026-10-10.json", "2026", 34),
    ],
)
def test_other_published_shapes(ws, name, period, units):
    (o,) = ws.import_official([TRACKERS / name])
    assert o.error is None, o.error
    (snap,) = o.report.snapshots
    assert (snap.period, snap.units) == (period, units)


def test_angiang_second_workbook_is_the_year(ws):
    (o,) = ws.import_official([ANGIANG_THANG10])
    assert [(s.sheet, s.period) for s in o.report.snapshots] == [("Báo cáo 766", "2025")]


def test_captured_at_given_by_the_user_wins(ws):
    from chiso.domain.times import parse_instant

    moment = parse_instant("2026-10-10T16:30")
    (o,) = ws.import_official([GIALAI_COMMUNES], captured_at=moment)
    (snap,) = o.report.snapshots
    assert (snap.captured_at, snap.captured_basis) == (moment, "user")
    (o,) = ws.import_official([ANGIANG_THANG10], captured_at=moment)
    assert {s.captured_basis for s in o.report.snapshots} == {"user"}


def test_units_under_a_district_hang_from_it(godau_ws):
    """Before 07/2025 a district had its own units: a three-part code's parent is the district (H53.07.02 → H53.07)."""
    district = godau_ws.find_unit("H53.07")
    assert (district.kind, district.parent) == ("district", "H53")
    children = godau_ws.unit_tree().children("H53.07")
    assert len(children) == 10
    assert {c.kind for c in children} == {"agency", "commune"}
    assert godau_ws.verify().verification.mismatches == []
