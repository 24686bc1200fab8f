"""The command line run end to end, as a user would, with its JSON and CSV contracts."""

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from chiso.cli.app import app
from tests.conftest import REAL_FILES, TRACKERS

runner = CliRunner()


def run(db, *args):
    return runner.invoke(app, ["--db", str(db), *map(str, args)])


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "cli.duckdb"
    result = run(path, "import-official", *REAL_FILES)
    assert result.exit_code == 0, result.output
    return path


def test_import_reports_what_it_stored(db):
    result = run(db, "import-official", *REAL_FILES)
    assert result.exit_code == 0
    assert result.output.count("Đã có trong kho") == 4


def test_verify_json_contract(db):
    result = run(db, "verify", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["checked"] > 3000 and data["mismatches"] == []
    assert data["unchecked"] and {"unit", "item", "reason"} <= set(data["unchecked"][0])


def test_verify_exits_1_on_a_mismatch(tmp_path):
    path = tmp_path / "bad.duckdb"
    run(path, "import-official", TRACKERS / "crawler766" / "agencies_detail_GiaLai_24092026.json")
    result = run(path, "verify", "--format", "json")
    assert result.exit_code == 1
    mismatch = json.loads(result.output)["mismatches"][0]
    assert {"unit", "metric", "expected", "computed", "cause"} <= set(mismatch)
    assert run(path, "verify", "--tolerance", "0.5").exit_code == 0  # 18.28 - 18 is within 0.5


def test_ranking_json_contract(db):
    result = run(db, "ranking", "--period", "2025", "--parent", "H01", "--kind", "commune", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 102
    first = rows[0]
    assert {"unit", "name", "kind", "total", "band", "rank", "groups"} <= set(first)
    assert first["unit"] == "H01.187" and first["total"] == 93.21 and first["band"] == "Xuất sắc"
    assert set(first["groups"]) == {"CKMB", "TDGQ", "CLGQ", "TTTT", "MDHL", "MDSH"}


def test_ranking_csv_and_xlsx(db, tmp_path):
    result = run(db, "ranking", "--parent", "H21", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == 24 and rows[0]["unit"] == "H21.17" and rows[0]["group_TDGQ"] == "19.97"
    out = tmp_path / "r.xlsx"
    result = run(db, "ranking", "--parent", "H21", "--format", "xlsx", "--out", out)
    assert result.exit_code == 0 and out.stat().st_size > 0


def test_ranking_table(db):
    result = run(db, "ranking", "--period", "2025-10", "--parent", "H01")
    assert result.exit_code == 0
    assert "Thanh tra tỉnh An Giang" in result.output and "30,21" in result.output


def test_explain_json_contract(db):
    result = run(db, "explain", "--unit", "H21.227", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["unit"] == "H21.227" and data["total"] == 75.34 and data["source"] == "official"
    m = {x["code"]: x for x in data["metrics"]}
    assert {"code", "numerator", "denominator", "ratio", "score", "max"} <= set(m["ON_TIME"])
    assert m["ON_TIME"]["numerator"] == 2541 and m["ON_TIME"]["ratio"] == 97.06


def test_explain_table_speaks_vietnamese(db):
    result = run(db, "explain", "--unit", "H21.227")
    assert "Cách lấy lại điểm" in result.output and "Cần thêm" in result.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["explain", "--unit", "H99"], "Không có đơn vị 'H99'"),
        (["ranking", "--period", "2025-13"], "Tháng không hợp lệ: 13"),
        (["ranking", "--period", "hôm qua"], "Không hiểu kỳ báo cáo"),
        (["import-official", "/no/such/file.json"], "Không tìm thấy tệp"),
    ],
)
def test_errors_are_vietnamese_without_traceback(db, args, needle):
    result = run(db, *args)
    assert result.exit_code == 2
    assert needle in result.output
    assert "Traceback" not in result.output


def test_bad_file_message_names_file_and_place(tmp_path):
    bad = tmp_path / "hong.json"
    bad.write_text('{"communesDetail": [{"departmentCode": "H21.1", "totalScore": "x"}]', encoding="utf-8")
    result = run(tmp_path / "e.duckdb", "import-official", bad)
    assert result.exit_code == 2
    assert "hong.json" in result.output and "dòng 1" in result.output and "Traceback" not in result.output


def test_methodology_commands():
    result = runner.invoke(app, ["methodology", "show", "dvcqg-live"])
    assert result.exit_code == 0 and "khớp số liệu Cổng DVCQG" in result.output and "giả định" in result.output
    listed = json.loads(runner.invoke(app, ["methodology", "list", "--format", "json"]).output)
    assert [x["name"] for x in listed] == ["qd766-2022", "dvcqg-live"]
    assert "≥ 50%" in runner.invoke(app, ["methodology", "targets"]).output


def test_history_and_units(db):
    data = json.loads(run(db, "history", "--format", "json").output)
    assert len(data["files"]) == 4 and len(data["snapshots"]) == 14
    units = json.loads(run(db, "units", "--format", "json").output)
    assert any(u["unit_code"] == "H21.227" for u in units)


def test_demo_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the demo writes its letter to ./demo-output
    result = run(tmp_path / "demo.duckdb", "demo")
    assert result.exit_code == 0, result.output
    assert "0 sai lệch" in result.output and "UBND xã Vân Canh" in result.output
    letter = tmp_path / "demo-output" / "go-dau-2023-05"
    assert {"letter.docx", "appendix.xlsx", "brief.txt"} <= {p.name for p in letter.iterdir()}
    assert "63,31/100 điểm, xếp thứ 4/9" in result.output
