"""appendix.xlsx, brief.txt, letter.pdf and ``chiso report`` end to end; a letter for every sender level."""

import json
import re
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from typer.testing import CliRunner

from chiso.cli.app import app
from chiso.domain.periods import Period
from chiso.report.brief import LIMIT, brief_text
from chiso.report.content import build_letter
from chiso.report.data import gather
from chiso.report.pdf import convert_to_pdf, find_office
from chiso.report.produce import ReportRequest, produce
from chiso.report.profile import load_profile
from chiso.report.xlsx_writer import METRICS, SUMMARY, write_xlsx
from tests.conftest import TRACKERS, need
from tests.report_helpers import ISSUED, as_estimate, go_dau_data

runner = CliRunner()


@pytest.fixture
def letter(godau_ws):
    return build_letter(go_dau_data(godau_ws), load_profile("go-dau-2023"), issued=ISSUED)


def test_appendix_workbook_has_vietnamese_headings_a_frozen_header_and_numbers(letter, tmp_path):
    wb = load_workbook(write_xlsx(letter, tmp_path / "appendix.xlsx"))
    assert wb.sheetnames == [SUMMARY, METRICS]
    ws = wb[METRICS]
    header = next(i for i in range(1, 10) if ws.cell(row=i, column=1).value == "Mã đơn vị")
    headings = [c.value for c in ws[header]]
    assert headings[:6] == ["Mã đơn vị", "Đơn vị", "Loại đơn vị", "Tổng điểm", "Xếp loại", "Hạng"]
    assert headings[10:15] == ["Tử số", "Mẫu số", "Tỷ lệ (%)", "Điểm", "Tối đa"]
    assert ws.freeze_panes == f"C{header + 1}"
    rows = [dict(zip(headings, r, strict=True)) for r in ws.iter_rows(min_row=header + 1, values_only=True)]
    assert len(rows) == len(letter.appendix.rows)
    thanh_duc = [r for r in rows if r["Đơn vị"] == "UBND xã Thạnh Đức"]
    row = next(r for r in thanh_duc if r["Mã chỉ số"] == "ORIGINAL_RESULT_AVAILABLE")
    assert row["Tỷ lệ (%)"] == 70.57 and isinstance(row["Tử số"], int) and isinstance(row["Điểm"], float)
    for r in rows:
        for key in ("Tổng điểm", "Hạng", "Tử số", "Mẫu số", "Tỷ lệ (%)", "Điểm", "Tối đa"):
            assert r[key] is None or isinstance(r[key], int | float), (key, r[key])
    summary = wb[SUMMARY]
    top = next(i for i in range(1, 10) if summary.cell(row=i, column=1).value == "Hạng")
    assert summary.freeze_panes == f"C{top + 1}"
    assert summary.cell(row=top + 1, column=3).value == "Các cơ quan chuyên môn huyện"
    assert ws.cell(row=3, column=1).value == "Số liệu tính đến thời điểm 16 giờ 30 phút ngày 31/5/2023."


PERSONAL = [re.compile(r"\b\d{12}\b"), re.compile(r"(?:\+84|\b0)\d{9}\b"), re.compile(r"\b\d{9}\b")]


def test_brief_is_short_has_score_rank_weakest_and_actions_and_no_personal_data(letter):
    text = brief_text(letter)
    assert len(text) <= LIMIT
    assert "UBND huyện Gò Dầu: 63,31/100 điểm (Trung bình), xếp thứ 4/9 huyện, thị xã, thành phố." in text
    assert "So với tháng 4/2023: +3,71 điểm, tăng 2 bậc." in text
    weakest = text.split("3 đơn vị thấp điểm nhất:\n")[1].split("\n\n")[0].splitlines()
    assert weakest == ["1. UBND xã Thanh Phước: 69,28 điểm", "2. UBND xã Bàu Đồn: 69,89 điểm",
                       "3. UBND xã Phước Trạch: 72,07 điểm"]  # fmt: skip
    actions = text.split("Việc lấy lại nhiều điểm nhất:\n")[1].split("\n\n")[0].splitlines()
    assert len(actions) == 3 and all(re.search(r"\(\+\d+(,\d+)? điểm\)$", a) for a in actions)
    assert "Tân" not in text  # no signer, no names of people
    for pattern in PERSONAL:
        assert not pattern.search(text)


def test_brief_is_cut_to_the_limit_and_marks_estimates(godau_ws):
    letter = build_letter(as_estimate(go_dau_data(godau_ws)), load_profile("go-dau-2023"), issued=ISSUED)
    assert "Số liệu tạm tính, tính đến 16 giờ 30 phút ngày 31/5/2023." in brief_text(letter)
    short = brief_text(letter, limit=400)
    assert len(short) <= 400 and "63,31/100" in short


def test_pdf_with_libreoffice(letter, tmp_path):
    need(find_office() is not None, "LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui")
    from chiso.report.docx_writer import write_docx

    outcome = convert_to_pdf(write_docx(letter, tmp_path / "letter.docx"))
    assert outcome.path is not None, outcome.note
    head = outcome.path.read_bytes()[:5]
    assert head == b"%PDF-"


def test_missing_libreoffice_gives_a_note_saying_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    outcome = convert_to_pdf(tmp_path / "letter.docx")
    assert outcome.path is None
    assert "không tìm thấy LibreOffice" in outcome.note and "apt-get install libreoffice-writer-nogui" in outcome.note


def test_cli_writes_the_four_files(godau_db, tmp_path, monkeypatch):
    monkeypatch.setattr("chiso.report.pdf.find_office", lambda: None)  # the PDF path is tested above
    out = tmp_path / "cong-van"
    result = runner.invoke(
        app,
        ["--db", str(godau_db), "report", "--period", "2023-05", "--unit", "H53.07", "--out", str(out),
         "--profile", "go-dau-2023", "--date", "2023-06-02"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["appendix.xlsx", "brief.txt", "letter.docx", "letter.pdf.txt"]
    assert "63,31/100 điểm, xếp thứ 4/9" in result.output
    assert "Số liệu tính đến thời điểm 16 giờ 30 phút ngày 31/5/2023." in result.output
    assert "E_CERTIFIED_COPY_SHARE" in result.output  # left out, with a note
    assert "không tìm thấy LibreOffice" in (out / "letter.pdf.txt").read_text("utf-8")
    heading = Document(str(out / "letter.docx")).tables[0]
    assert heading.rows[1].cells[1].paragraphs[0].text == "Gò Dầu, ngày 02 tháng 6 năm 2023"


def test_cli_json_and_default_profile_by_kind(godau_db, tmp_path):
    result = runner.invoke(
        app,
        ["--db", str(godau_db), "report", "--period", "2023-05", "--unit", "H53.07", "--out", str(tmp_path),
         "--no-pdf", "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["profile"] == "huyen" and data["estimate"] is False
    assert {Path(f).name for f in data["files"]} == {"letter.docx", "appendix.xlsx", "brief.txt"}


def test_cli_errors_are_vietnamese(godau_db, tmp_path):
    def run(*args):
        return runner.invoke(app, ["--db", str(godau_db), "report", *args])

    r = run("--period", "2023-05")
    assert r.exit_code == 2 and "Thiếu --unit, --out" in r.output
    r = run("--period", "2023-05", "--unit", "H99", "--out", str(tmp_path))
    assert r.exit_code == 2 and "Không có đơn vị 'H99'" in r.output
    bad = tmp_path / "hong.yaml"
    bad.write_text("name: hong\nlevel: quan\n", "utf-8")
    r = run("--period", "2023-05", "--unit", "H53.07", "--out", str(tmp_path / "o"), "--profile", str(bad))
    assert r.exit_code == 2 and "Tệp hồ sơ công văn" in r.output and "Traceback" not in r.output
    r = run("--period", "2023-05", "--unit", "H53.07", "--out", str(tmp_path / "o"), "--source", "local")
    assert r.exit_code == 2 and "Chưa có dữ liệu hồ sơ" in r.output and "chiso ingest" in r.output


def test_print_profile_dumps_yaml_to_copy():
    result = runner.invoke(app, ["report", "--print-profile", "huyen"])
    assert result.exit_code == 0 and result.output.startswith("# Hồ sơ công văn mẫu của UBND huyện")
    listing = runner.invoke(app, ["report", "--list-profiles"])
    assert all(name in listing.output for name in ("huyen", "tinh", "van-phong", "so", "xa", "go-dau-2023"))


LEVELS = [  # (unit, profile, recipients derived from the unit tree, heading lines)
    ("H21", "tinh", ["- Các sở, ban, ngành tỉnh;", "- UBND các xã, phường."], ["ỦY BAN NHÂN DÂN", "TỈNH GIA LAI"]),
    ("H21", "van-phong", ["- Các sở, ban, ngành tỉnh;", "- UBND các xã, phường."],
     ["ỦY BAN NHÂN DÂN TỈNH GIA LAI", "VĂN PHÒNG"]),
    ("H21.24", "so", ["- Các phòng, đơn vị thuộc Sở."],
     ["ỦY BAN NHÂN DÂN TỈNH GIA LAI", "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG"]),
    ("H21.227", "xa", ["- Trung tâm Phục vụ hành chính công;", "- Các phòng chuyên môn thuộc UBND xã."],
     ["ỦY BAN NHÂN DÂN", "XÃ VÂN CANH"]),
]  # fmt: skip


@pytest.mark.parametrize(("unit", "profile", "recipients", "issuer"), LEVELS)
def test_every_profile_writes_a_letter_for_a_sender_of_its_level(real_ws, tmp_path, unit, profile, recipients, issuer):
    real_ws.import_official([TRACKERS / "766analyze" / "provinces_2026-10-10.json"])
    outcome = produce(
        real_ws,
        ReportRequest(unit, Period.parse("2026"), tmp_path, profile=profile, issued=date(2026, 10, 12), pdf=False),
    )
    letter = outcome.letter
    assert list(letter.recipients) == recipients
    assert [x for x in (letter.issuer_parent, *letter.issuer) if x] == issuer
    assert letter.summary.rank is not None and letter.summary.total is not None
    assert letter.appendix.rows
    doc = Document(str(tmp_path / "letter.docx"))
    assert any("ngày 12 tháng 10 năm 2026" in p.text for c in doc.tables[0].rows[1].cells for p in c.paragraphs)


def test_district_profile_lists_its_agencies_and_communes(godau_ws, tmp_path):
    letter = build_letter(gather(godau_ws, "H53.07", Period.parse("2023-05")), load_profile("huyen"), issued=ISSUED)
    assert letter.recipients == ("- Các cơ quan chuyên môn thuộc UBND huyện;", "- UBND các xã, thị trấn.")
    assert letter.issuer == ("ỦY BAN NHÂN DÂN", "HUYỆN GÒ DẦU")
