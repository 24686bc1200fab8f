"""The web's local-layer pages and API: dossiers behind a number, due soon, local beside official, uploads."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from chiso.cli.app import app as cli_app
from chiso.web import WebOptions, create_app
from tests.web_support import LOCAL_HEAD, csrf_of, login

runner = CliRunner()


@pytest.fixture
def db(web_local_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "local.duckdb"
    shutil.copy(web_local_db, copy)
    return copy


@pytest.fixture
def app(db: Path, tmp_path: Path):
    application = create_app(WebOptions(db=str(db), data_dir=tmp_path / "data"))
    yield application
    application.state.web.close()


@pytest.fixture
def as_user(app):
    def make(name: str) -> TestClient:
        return login(TestClient(app, follow_redirects=False), name)

    return make


def cli_json(db: Path, *args: str):
    result = runner.invoke(cli_app, ["--db", str(db), *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_dossiers_behind_a_metric_equal_the_cli(db, as_user):
    staff = as_user("vanphong")
    api = staff.get("/api/v1/units/H21.227/dossiers", params={"metric": "ON_TIME"}).json()
    assert api == cli_json(db, "explain", "--unit", "H21.227", "--metric", "ON_TIME", "--dossiers")
    assert api["total"] == 2 and {r["dossier_code"] for r in api["rows"]} == {"VC-2", "VC-3"}
    assert api["reason"]
    everything = staff.get("/api/v1/units/H21", params={}).json()
    assert everything["unit"] == "H21"
    wider = staff.get("/api/v1/units/H21/dossiers", params={"metric": "ON_TIME", "page_size": 1}).json()
    assert wider["total"] == 4 and len(wider["rows"]) == 1  # the province's list includes its units'


def test_dossier_page_filters_paginates_and_exports_csv(app, as_user):
    staff = as_user("vanphong")
    page = staff.get("/units/H21.227/dossiers?metric=ON_TIME")
    assert page.status_code == 200 and "VC-2" in page.text and "Số liệu tạm tính" in page.text
    assert "VC-1" not in page.text  # on time: costs no points
    every = staff.get("/units/H21.227/dossiers?metric=ON_TIME&gap_only=false")
    assert "VC-1" in every.text
    found = staff.get("/units/H21.227/dossiers?metric=ON_TIME&search=VC-3")
    assert "VC-3" in found.text and "VC-2" not in found.text
    csv = staff.get("/api/v1/units/H21.227/dossiers.csv?metric=ON_TIME")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Mã hồ sơ,") and len(lines) == 3 and "Trực tiếp" in lines[1]
    assert ("vanphong", "export") in [(r["username"], r["action"]) for r in app.state.web.accounts.audit_log()]
    unit = staff.get("/units/H21.227").text
    assert "/units/H21.227/dossiers?metric=ON_TIME" in unit  # drill-down link from the metric line


def test_due_soon_per_unit(db, as_user):
    staff = as_user("vanphong")
    items = staff.get("/api/v1/units/H21/due-soon").json()
    assert {i["dossier_code"] for i in items} == {"VC-3", "VC-4", "CV-2"}
    assert {i["state"] for i in items} == {"quá hạn", "sắp đến hạn"}
    cli = cli_json(db, "due", "--unit", "H21")
    assert [i["dossier_code"] for i in items] == [i["dossier_code"] for i in cli]
    page = staff.get("/due?unit=H21")
    assert "Vân Canh" in page.text and "Canh Vinh" in page.text and "VC-3" in page.text


def test_local_figures_are_marked_and_compared_with_official(db, as_user):
    staff = as_user("vanphong")
    page = staff.get("/units/H21.227?source=local")
    assert page.status_code == 200 and "Số liệu tạm tính" in page.text and "dữ liệu đến" in page.text
    api = staff.get("/api/v1/units/H21.227/explain", params={"source": "local"}).json()
    assert api["source"] == "local"
    assert api == cli_json(db, "explain", "--unit", "H21.227", "--source", "local")
    compare = staff.get("/api/v1/units/H21.227/compare").json()
    assert compare == cli_json(db, "compare", "--unit", "H21.227")
    assert compare[0]["code"] == "TOTAL"
    rows = staff.get("/api/v1/results", params={"parent": "H21", "source": "local"}).json()
    assert rows and all(r["provisional"] for r in rows)


def test_viewer_scope_holds_for_dossiers_due_and_exports(as_user):
    commune = as_user("vancanh")
    own = commune.get("/api/v1/units/H21.227/dossiers", params={"metric": "ON_TIME"}).json()
    assert {r["unit_code"] for r in own["rows"]} == {"H21.227"}
    for path in ["/api/v1/units/H21/dossiers", "/api/v1/units/H21/dossiers.csv", "/api/v1/units/H21/due-soon",
                 "/api/v1/units/H21.228/dossiers", "/api/v1/units/H21.228/due-soon", "/api/v1/units/H21.228/compare",
                 "/units/H21.228/dossiers", "/due?unit=H21"]:  # fmt: skip
        response = commune.get(path)
        assert response.status_code == 403, path
        assert "CV-" not in response.text, path
    due = commune.get("/api/v1/units/H21.227/due-soon").json()
    assert {i["dossier_code"] for i in due} == {"VC-3", "VC-4"}
    page = commune.get("/due")
    assert "VC-3" in page.text and "CV-2" not in page.text and "Canh Vinh" not in page.text
    province = as_user("gialai")
    assert {i["unit_code"] for i in province.get("/api/v1/units/H21/due-soon").json()} == {"H21.227", "H21.228"}


def test_upload_dossier_file_reports_stored_and_rejected_rows(app, as_user, tmp_path):
    staff = as_user("vanphong")
    token = csrf_of(staff.get("/uploads").text)
    body = LOCAL_HEAD + (
        "UP-1,H21.227,P1,2,01/11/2026 08:00,04/11/2026 17:00,03/11/2026 10:00,10,0,,,1,0,0,1,1,0,0,0\n"
        "UP-2,H21.227,P1,2,không phải ngày,04/11/2026 17:00,,4,0,,,1,0,0,1,1,0,0,0\n"
    )
    files = {"files": ("ho-so-moi.csv", body.encode("utf-8"), "text/csv")}
    page = staff.post("/uploads", data={"csrf": token, "kind": "auto"}, files=files)
    assert page.status_code == 200, page.text
    assert "1 dòng được lưu" in page.text and "1 dòng bị từ chối" in page.text
    assert "không phải ngày" in page.text  # the rejected value and its reason are shown
    api = staff.post("/api/v1/uploads", data={"kind": "dossiers"}, files=files, headers={"X-CSRF-Token": token})
    assert api.json()[0]["skipped"] is True  # same bytes again
    assert ("vanphong", "upload") in [(r["username"], r["action"]) for r in app.state.web.accounts.audit_log()]
    history = staff.get("/api/v1/history").json()["ingests"]
    assert history[0]["file_name"] == "ho-so-moi.csv"
    assert "ho-so-moi.csv" in staff.get("/history").text


def test_upload_page_warns_of_codes_the_catalogues_do_not_know(as_user):
    staff = as_user("vanphong")
    rows = [f"UK-{i},H21.999,{proc},2,01/11/2026 08:00,04/11/2026 17:00,03/11/2026 10:00,10,0,,,1,0,0,1,1,0,0,0\n"
            for i, proc in enumerate(["P1", "P9"])]  # fmt: skip
    page = staff.post("/uploads", data={"csrf": csrf_of(staff.get("/uploads").text), "kind": "auto"},
                      files={"files": ("ma-la.csv", (LOCAL_HEAD + "".join(rows)).encode(), "text/csv")})  # fmt: skip
    assert page.status_code == 200, page.text
    assert "2 dòng được lưu" in page.text and "Mã chưa có trong danh mục" in page.text
    assert "H21.999 (2)" in page.text and "P9 (1)" in page.text
    assert page.text.count("chưa có trong danh mục đơn vị") == 0  # the table, not the sentence, says it once
