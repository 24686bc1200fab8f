"""The web API and pages: every endpoint, every access rule, CSRF, session expiry, audit log (issue 5)."""

from __future__ import annotations

import base64
import json
import unicodedata
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from chiso.cli.app import app as cli_app
from chiso.web import WebOptions, create_app, letters
from tests.conftest import GIALAI_AGENCIES, TRACKERS
from tests.web_support import PASSWORD, csrf_of, login

runner = CliRunner()


@pytest.fixture
def app(web_copy: Path, tmp_path: Path):
    application = create_app(WebOptions(db=str(web_copy), data_dir=tmp_path / "data"))
    yield application
    application.state.web.close()


@pytest.fixture
def as_user(app):
    def make(name: str | None) -> TestClient:
        client = TestClient(app, follow_redirects=False)
        return login(client, name) if name else client

    return make


def audit_actions(app) -> list[tuple[str, str]]:
    return [(r["username"], r["action"]) for r in app.state.web.accounts.audit_log()]


def cli_json(db: Path, *args: str):
    result = runner.invoke(cli_app, ["--db", str(db), *args, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


# -- login, sessions, CSRF ---------------------------------------------------------------------------------
def test_anonymous_pages_redirect_to_login_and_api_answers_401(as_user):
    anon = as_user(None)
    response = anon.get("/units/H21.227?period=2026")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/units/H21.227")
    assert anon.get("/api/v1/ranking").status_code == 401
    assert anon.get("/api/v1/units/H21.227/explain").status_code == 401


def test_login_and_failed_login_are_audited(app, as_user):
    anon = as_user(None)
    page = anon.get("/login")
    bad = anon.post("/login", data={"username": "vanphong", "password": "sai", "csrf": csrf_of(page.text)})
    assert bad.status_code == 401 and "không đúng" in bad.text
    login(anon, "vanphong")
    assert anon.get("/").status_code == 200
    actions = audit_actions(app)
    assert ("vanphong", "login_failed") in actions and ("vanphong", "login") in actions
    logout = anon.post("/logout", data={"csrf": csrf_of(anon.get("/").text)})
    assert logout.status_code == 303
    assert anon.get("/").status_code == 303
    assert ("vanphong", "logout") in audit_actions(app)


def test_forms_without_the_csrf_token_are_refused(as_user):
    anon = as_user(None)
    anon.get("/login")
    assert anon.post("/login", data={"username": "vanphong", "password": PASSWORD}).status_code == 403
    staff = as_user("vanphong")
    files = {"files": (GIALAI_AGENCIES.name, GIALAI_AGENCIES.read_bytes(), "application/json")}
    assert staff.post("/uploads", data={"kind": "official"}, files=files).status_code == 403
    assert staff.post("/uploads", data={"kind": "official", "csrf": "forged"}, files=files).status_code == 403
    assert staff.post("/logout", data={}).status_code == 403
    # the API with the session cookie needs the token in a header; Basic authentication needs none
    assert staff.post("/api/v1/uploads", data={"kind": "official"}, files=files).status_code == 403
    token = csrf_of(staff.get("/").text)
    ok = staff.post("/api/v1/uploads", data={"kind": "official"}, files=files, headers={"X-CSRF-Token": token})
    assert ok.status_code == 200, ok.text


def test_sessions_expire_when_idle_and_after_the_maximum(app, as_user):
    staff = as_user("vanphong")
    web = app.state.web
    start = web.clock()
    web.clock = lambda: start + 29 * 60
    assert staff.get("/").status_code == 200  # used within 30 minutes: still alive, and refreshed
    web.clock = lambda: start + 29 * 60 + 31 * 60
    response = staff.get("/")
    assert response.status_code == 303 and "expired=1" in response.headers["location"]
    assert staff.get("/api/v1/me").status_code == 401
    login(staff, "vanphong")
    now = web.clock()
    for step in range(1, 26):  # used every 29 minutes, but 12 hours after login it ends
        web.clock = lambda step=step: now + step * 29 * 60
        if step * 29 * 60 > 12 * 3600:
            assert staff.get("/").status_code == 303
            break
        assert staff.get("/").status_code == 200


def test_http_basic_for_scripts(as_user):
    anon = as_user(None)
    good = base64.b64encode(f"vanphong:{PASSWORD}".encode()).decode()
    bad = base64.b64encode(b"vanphong:sai").decode()
    assert anon.get("/api/v1/me", headers={"Authorization": f"Basic {good}"}).json()["role"] == "staff"
    assert anon.get("/api/v1/me", headers={"Authorization": f"Basic {bad}"}).status_code == 401


def test_a_disabled_user_loses_the_session(app, as_user):
    staff = as_user("vanphong")
    accounts = app.state.web.accounts
    accounts.save("vanphong", role="staff", active=False)
    assert staff.get("/").status_code == 303


# -- same figures as the CLI -------------------------------------------------------------------------------
def test_ranking_explain_verify_equal_the_cli_json(web_copy, as_user):
    staff = as_user("vanphong")
    api = staff.get("/api/v1/ranking", params={"parent": "H01", "period": "2025", "kind": "commune"}).json()
    assert api == cli_json(web_copy, "ranking", "--parent", "H01", "--period", "2025", "--kind", "commune")
    api = staff.get("/api/v1/units/H21.227/explain").json()
    assert api == cli_json(web_copy, "explain", "--unit", "H21.227")
    assert staff.get("/api/v1/verify").json() == cli_json(web_copy, "verify")
    history = staff.get("/api/v1/history").json()
    assert history["snapshots"] == cli_json(web_copy, "history")["snapshots"]


def test_results_carry_groups_and_metrics(as_user):
    rows = as_user("vanphong").get("/api/v1/results", params={"parent": "H21"}).json()
    assert len(rows) == 24
    row = next(r for r in rows if r["unit"] == "H21.227")
    assert {"unit", "name", "kind", "total", "band", "rank", "groups", "metrics"} <= set(row)
    assert {"code", "numerator", "denominator", "ratio", "score", "max"} <= set(row["metrics"][0])


def test_every_read_endpoint_answers_staff(as_user):
    staff = as_user("vanphong")
    for path in [
        "/api/v1/me", "/api/v1/units", "/api/v1/units/H21", "/api/v1/units/H21.227/trend", "/api/v1/methodology",
        "/api/v1/methodology/dvcqg-live", "/api/v1/letters", "/api/v1/openapi.json", "/docs",
    ]:  # fmt: skip
        assert staff.get(path).status_code == 200, path
    unit = staff.get("/api/v1/units/H21").json()
    assert len(unit["children"]) == 24 and unit["periods"] == ["2025", "2025-10"]  # as a province among 34
    assert staff.get("/api/v1/units/H99.999").status_code == 404
    assert staff.get("/api/v1/methodology/khong-co").status_code == 404
    assert staff.get("/api/v1/audit").status_code == 403  # administrators only
    assert staff.get("/api/v1/users").status_code == 403


def test_admin_endpoints(app, as_user):
    admin = as_user("quantri")
    assert {u["username"] for u in admin.get("/api/v1/users").json()} >= {"quantri", "vancanh"}
    assert any(r["action"] == "login" for r in admin.get("/api/v1/audit").json())
    page = admin.get("/admin/users")
    made = admin.post(
        "/admin/users",
        data={"username": "moi", "role": "viewer", "unit": "H21.228", "password": "mot-mat-khau", "active": "1",
              "csrf": csrf_of(page.text)},
    )  # fmt: skip
    assert made.status_code == 200 and "Đã lưu người dùng moi" in made.text
    refused = admin.post(
        "/admin/users", data={"username": "x", "role": "viewer", "unit": "", "password": "12345678",
                              "csrf": csrf_of(page.text)},
    )  # fmt: skip
    assert refused.status_code == 400
    assert ("quantri", "user") in audit_actions(app)
    assert admin.get("/admin/audit?action=login").status_code == 200


# -- access rules ------------------------------------------------------------------------------------------
OTHER_UNIT_PATHS = [
    "/api/v1/units/{u}", "/api/v1/units/{u}/explain", "/api/v1/units/{u}/trend", "/api/v1/units/{u}/compare",
    "/api/v1/units/{u}/dossiers", "/api/v1/units/{u}/dossiers.csv", "/api/v1/units/{u}/due-soon",
    "/units/{u}", "/units/{u}/dossiers", "/?unit={u}", "/due?unit={u}",
]  # fmt: skip


@pytest.mark.parametrize(("viewer", "other"), [("vancanh", "H21.228"), ("vancanh", "H21"), ("gialai", "H01"),
                                          ("sonoivu", "H01.02"), ("sonoivu", "H21.227")])  # fmt: skip
def test_a_viewer_never_gets_another_units_data(as_user, viewer, other):
    client = as_user(viewer)
    for template in OTHER_UNIT_PATHS:
        path = template.format(u=other)
        response = client.get(path)
        assert response.status_code in (403, 404), (path, response.status_code)
        assert other not in response.text.replace(f"đơn vị {other}", ""), path  # only named in the refusal


def test_a_viewer_sees_their_own_unit_and_sub_units(as_user):
    commune = as_user("vancanh")
    assert commune.get("/api/v1/units/H21.227/explain").json()["unit"] == "H21.227"
    assert commune.get("/units/H21.227").status_code == 200
    assert [u["unit_code"] for u in commune.get("/api/v1/units").json()] == ["H21.227"]
    assert commune.get("/api/v1/units/H21.227").json()["parent"] is None  # the parent is not theirs
    province = as_user("gialai")
    codes = {u["unit_code"] for u in province.get("/api/v1/units").json()}
    assert "H21" in codes and "H21.227" in codes and len(codes) == 25 and not any(c.startswith("H01") for c in codes)
    assert province.get("/units/H21.228").status_code == 200


def test_rankings_and_results_are_cut_to_the_viewers_scope(as_user):
    commune = as_user("vancanh")
    rows = commune.get("/api/v1/ranking", params={"parent": "H21"}).json()
    assert [r["unit"] for r in rows] == ["H21.227"] and rows[0]["rank"] is not None
    assert [r["unit"] for r in commune.get("/api/v1/results", params={"parent": "H21"}).json()] == ["H21.227"]
    assert commune.get("/api/v1/ranking", params={"parent": "VN"}).json() == []
    page = commune.get("/ranking?parent=H21")
    assert page.status_code == 200 and "H21.227" in page.text and "H21.228" not in page.text
    overview = commune.get("/")
    assert overview.status_code == 200 and "Vân Canh" in overview.text and "H21.228" not in overview.text
    province = as_user("gialai")
    assert len(province.get("/api/v1/ranking", params={"parent": "H21"}).json()) == 24


def test_viewers_cannot_write_or_administer(as_user):
    viewer = as_user("gialai")
    token = csrf_of(viewer.get("/").text)
    files = {"files": (GIALAI_AGENCIES.name, GIALAI_AGENCIES.read_bytes(), "application/json")}
    for path in ["/uploads", "/history", "/admin/users", "/admin/audit", "/api/v1/verify", "/api/v1/history",
                 "/api/v1/audit", "/api/v1/users"]:  # fmt: skip
        assert viewer.get(path).status_code == 403, path
    assert viewer.post("/uploads", data={"csrf": token, "kind": "official"}, files=files).status_code == 403
    api = viewer.post("/api/v1/uploads", data={"kind": "official"}, files=files, headers={"X-CSRF-Token": token})
    assert api.status_code == 403
    letter = viewer.post("/api/v1/letters", data={"unit": "H21", "period": "2026"}, headers={"X-CSRF-Token": token})
    assert letter.status_code == 403


# -- uploads -----------------------------------------------------------------------------------------------
def test_upload_official_results_shows_the_report_and_is_audited(app, as_user, tmp_path):
    staff = as_user("vanphong")
    token = csrf_of(staff.get("/uploads").text)
    sample = TRACKERS / "crawler766" / "agencies_GiaLai_23092026.json"
    files = {"files": (sample.name, sample.read_bytes(), "application/json")}
    response = staff.post("/uploads", data={"csrf": token, "kind": "official"}, files=files)
    assert response.status_code == 200 and "Đã nhập 1 bộ số liệu" in response.text
    again = staff.post("/uploads", data={"csrf": token, "kind": "official"}, files=files)
    assert "Đã có trong kho" in again.text
    broken = {"files": ("hong.json", b'{"khong": "dung"}', "application/json")}
    refused = staff.post("/uploads", data={"csrf": token, "kind": "official"}, files=broken)
    assert "Tệp bị từ chối" in refused.text
    assert ("vanphong", "import") in audit_actions(app)
    wrong_type = {"files": ("virus.exe", b"MZ", "application/octet-stream")}
    assert staff.post("/uploads", data={"csrf": token, "kind": "official"}, files=wrong_type).status_code == 400
    assert list((tmp_path / "data" / "uploads").rglob("*.json"))


# -- letters -----------------------------------------------------------------------------------------------
@pytest.fixture
def fake_report(monkeypatch):
    """Stand-in for chiso.report.build_report until the report module is merged (same signature)."""

    def build(ws, period, unit, out_dir, source):
        ws.explain(unit, period=period)  # unknown unit or period fails as the real one would
        (out_dir / "letter.docx").write_bytes(b"PK docx")
        (out_dir / "brief.txt").write_text(f"{unit} {period.key} {source}", encoding="utf-8")

    monkeypatch.setattr(letters, "builder", lambda: build)


def test_letters_are_generated_listed_downloaded_and_audited(app, as_user, fake_report):
    staff = as_user("vanphong")
    token = csrf_of(staff.get("/letters").text)
    page = staff.post("/letters", data={"csrf": token, "unit": "H21.227", "period": "2026", "source": "official"})
    assert page.status_code == 200 and "letter.docx" in page.text
    made = staff.get("/api/v1/letters").json()[0]
    assert made["unit"] == "H21.227" and made["files"] == ["brief.txt", "letter.docx"]
    download = staff.get(f"/api/v1/letters/{made['id']}/brief.txt")
    assert download.status_code == 200 and download.text == "H21.227 2026 official"
    assert staff.get(f"/api/v1/letters/{made['id']}/../meta.json").status_code == 404
    assert staff.get(f"/api/v1/letters/{made['id']}/meta.json").status_code == 404
    assert ("vanphong", "letter") in audit_actions(app)
    # the unit's own viewer may download it; another unit's viewer may not, nor see it listed
    assert as_user("vancanh").get(f"/api/v1/letters/{made['id']}/letter.docx").status_code == 200
    other = as_user("sonoivu")
    assert other.get(f"/api/v1/letters/{made['id']}/letter.docx").status_code == 403
    assert other.get("/api/v1/letters").json() == []
    via_api = staff.post("/api/v1/letters", data={"unit": "H21", "period": "2025"}, headers={"X-CSRF-Token": token})
    assert via_api.status_code == 200 and via_api.json()["unit"] == "H21"


def test_letters_without_the_report_module_say_so(as_user, monkeypatch):
    monkeypatch.setattr(letters, "builder", lambda: None)
    staff = as_user("vanphong")
    token = csrf_of(staff.get("/letters").text)
    response = staff.post("/api/v1/letters", data={"unit": "H21", "period": "2026"}, headers={"X-CSRF-Token": token})
    assert response.status_code == 501


# -- pages -------------------------------------------------------------------------------------------------
def test_main_pages_render_in_vietnamese_with_charts_served_locally(as_user):
    staff = as_user("vanphong")
    for path, expected in [
        ("/", "Sáu nhóm chỉ số"), ("/?unit=H01", "An Giang"), ("/ranking", "Xếp hạng"),
        ("/ranking?parent=H01&period=2025&kind=commune&band=excellent", "Xuất sắc"),
        ("/units/H21.227", "Cách lấy lại điểm"), ("/methodology", "Nguồn gốc"), ("/history", "Lịch sử nhập"),
        ("/uploads", "Tải dữ liệu lên"), ("/letters", "Công văn"), ("/due", "Hồ sơ sắp đến hạn"),
    ]:  # fmt: skip
        response = staff.get(path)
        assert response.status_code == 200, path
        assert expected in response.text, path
        assert unicodedata.is_normalized("NFC", response.text), path
        assert "https://" not in response.text and "http://" not in response.text, path  # works offline
        assert "Content-Security-Policy" in response.headers
    unit = staff.get("/units/H21.227").text
    assert "/static/plotly.min.js" in unit and "data-chart" in unit
    assert "89,12" in staff.get("/?unit=H21&period=2025").text  # decimal comma
    js = staff.get("/static/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000


def test_methodology_page_shows_every_metric_and_its_provenance(as_user):
    from chiso.methodology import load_methodology

    text = as_user("vancanh").get("/methodology").text
    m = load_methodology("dvcqg-live")
    for _, metric in m.metrics():
        assert metric.code in text
    for label in ("đã công bố", "khớp số liệu Cổng DVCQG", "giả định"):
        assert label in text


def test_unit_page_marks_rules_that_are_not_published(as_user):
    text = as_user("vanphong").get("/units/H21.227").text
    assert "quy tắc: khớp số liệu Cổng DVCQG" in text


def test_errors_are_vietnamese_pages_or_json(as_user):
    staff = as_user("vanphong")
    assert "Không tìm thấy" in staff.get("/khong-co").text
    bad = staff.get("/api/v1/ranking", params={"period": "tháng năm"})
    assert bad.status_code == 400 and "Không hiểu kỳ báo cáo" in bad.json()["error"]
    assert staff.get("/api/v1/ranking", params={"parent": "H01", "period": "2019"}).status_code == 404


def test_templates_are_nfc():
    folder = Path(__file__).parent.parent / "src" / "chiso" / "web" / "templates"
    for path in folder.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert unicodedata.is_normalized("NFC", text), path


# -- command line ------------------------------------------------------------------------------------------
def test_user_commands(tmp_path, real_db):
    import shutil

    db = tmp_path / "u.duckdb"
    shutil.copy(real_db, db)
    run = lambda *a, **k: runner.invoke(cli_app, ["--db", str(db), *a], **k)  # noqa: E731
    added = run("user", "add", "lan", "--role", "viewer", "--unit", "H21.227", "--password-stdin",
                input="mot-mat-khau\n")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert run("user", "add", "x", "--role", "viewer", "--password-stdin", input="mot-mat-khau\n").exit_code == 2
    assert run("user", "add", "y", "--role", "viewer", "--unit", "H99", "--password-stdin",
               input="mot-mat-khau\n").exit_code == 2  # fmt: skip
    assert run("user", "add", "z", "--role", "staff", "--password-stdin", input="ngan\n").exit_code == 2
    listed = json.loads(run("user", "list", "--format", "json").output)
    assert listed == [{"username": "lan", "role": "viewer", "unit": "H21.227", "active": True}]
    assert run("user", "disable", "lan").exit_code == 0
    assert json.loads(run("user", "list", "--format", "json").output)[0]["active"] is False
    stored = next(iter(run("user", "list").output.splitlines()), "")
    assert "người dùng" in stored


def test_letters_through_the_report_module(app, as_user):
    staff = as_user("vanphong")
    token = csrf_of(staff.get("/letters").text)
    made = staff.post("/api/v1/letters", data={"unit": "H21.227", "period": "2026"}, headers={"X-CSRF-Token": token})
    assert made.status_code == 200, made.text
    files = made.json()["files"]
    assert {"letter.docx", "appendix.xlsx", "brief.txt"} <= set(files)
    docx = staff.get(f"/api/v1/letters/{made.json()['id']}/letter.docx")
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
