"""Web hardening (issue 10, item 6): server-side sessions that logout and a new password end, login throttling
that slows guessing but never locks the right password out, 400 with Vietnamese messages for bad parameters,
the API documentation behind the login, and no-store on everything that may carry figures."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from chiso.web import WebOptions, create_app
from chiso.web.throttle import ACCOUNT, ADDRESS, Rule
from tests.test_postgres import pg_ws  # noqa: F401 (the PostgreSQL store fixture)
from tests.web_support import PASSWORD, csrf_of, login


@pytest.fixture
def app(web_copy: Path, tmp_path: Path):
    application = create_app(WebOptions(db=str(web_copy), data_dir=tmp_path / "data"))
    clock = {"now": 1_900_000_000.0}  # a frozen clock the tests move: nothing depends on real time
    application.state.web.clock = lambda: clock["now"]
    application.state.clock = clock
    yield application
    application.state.web.close()


def client(app, address: str = "10.0.0.1") -> TestClient:
    return TestClient(app, follow_redirects=False, client=(address, 50000))


def advance(app, seconds: float) -> None:
    app.state.clock["now"] += seconds


def post_login(c: TestClient, name: str, password: str):
    token = csrf_of(c.get("/login").text)
    return c.post("/login", data={"username": name, "password": password, "csrf": token, "next": "/"})


def audit(app, action: str) -> list[dict]:
    return app.state.web.accounts.audit_log(action=action, limit=1000)


def copy_of(app, source: TestClient, address: str = "10.9.9.9") -> TestClient:
    """Another machine holding a copy of ``source``'s session cookie."""
    thief = client(app, address)
    thief.cookies.set("chiso_session", source.cookies["chiso_session"])
    return thief


# -- sessions --------------------------------------------------------------------------------------------
def test_a_copied_cookie_stops_working_after_logout(app):
    staff = login(client(app), "vanphong")
    thief = copy_of(app, staff)
    assert thief.get("/").status_code == 200 and thief.get("/api/v1/me").json()["username"] == "vanphong"
    token = csrf_of(staff.get("/").text)
    assert staff.post("/logout", data={"csrf": token}).status_code == 303
    response = thief.get("/")
    assert response.status_code == 303 and "expired=1" in response.headers["location"]
    assert thief.get("/api/v1/me").status_code == 401
    assert thief.get("/api/v1/ranking").status_code == 401


def test_a_new_password_ends_every_session_of_the_user(app):
    staff = login(client(app), "vanphong")
    thief = copy_of(app, staff)
    admin = login(client(app, "10.0.0.2"), "quantri")
    token = csrf_of(admin.get("/admin/users").text)
    saved = admin.post(
        "/admin/users",
        data={"username": "vanphong", "role": "staff", "unit": "H21", "password": "mat-khau-moi-2026", "csrf": token},
    )
    assert saved.status_code == 200, saved.text
    assert staff.get("/").status_code == 303 and thief.get("/").status_code == 303
    assert post_login(client(app, "10.0.0.3"), "vanphong", PASSWORD).status_code == 401  # the old password
    assert post_login(client(app, "10.0.0.3"), "vanphong", "mat-khau-moi-2026").status_code == 303
    assert admin.get("/").status_code == 200  # others are not touched


def test_changing_ones_own_password_keeps_this_browser_but_not_the_copies(app):
    admin = login(client(app), "quantri")
    thief = copy_of(app, admin)
    token = csrf_of(admin.get("/admin/users").text)
    saved = admin.post(
        "/admin/users", data={"username": "quantri", "role": "admin", "password": "mat-khau-moi-2026", "csrf": token}
    )
    assert saved.status_code == 200, saved.text
    assert admin.get("/admin/users").status_code == 200
    assert thief.get("/").status_code == 303


def test_a_password_changed_from_the_command_line_ends_sessions(app):
    staff = login(client(app), "vanphong")
    app.state.web.accounts.save("vanphong", role="staff", unit="H21", password="mat-khau-moi-2026", by="cli")
    assert staff.get("/").status_code == 303


def test_the_store_keeps_a_hash_never_the_token(app):
    staff = login(client(app), "vanphong")
    accounts = app.state.web.accounts
    rows = accounts.ws.store.table("web_session").to_pyarrow().to_pylist()
    assert [r["username"] for r in rows] == ["vanphong"]
    cookie = staff.cookies["chiso_session"]
    assert all(len(r["session_id"]) == 64 and r["session_id"] not in cookie for r in rows)


def test_the_maximum_session_length_counts_from_the_stored_login_time(app):
    staff = login(client(app), "vanphong")
    for _ in range(25):  # used every 29 minutes: never idle, but 12 hours after login it ends
        advance(app, 29 * 60)
        if staff.get("/").status_code == 303:
            break
    assert 12 * 3600 <= app.state.clock["now"] - 1_900_000_000.0 <= 12 * 3600 + 29 * 60
    ends = app.state.web.accounts.ws.store.table("web_session_end").to_pyarrow().to_pylist()
    assert [r["reason"] for r in ends] == ["expired"]


# -- throttling ----------------------------------------------------------------------------------------------
def test_forty_names_from_one_address_are_slowed_and_the_right_password_works_after_the_wait(app):
    attacker = client(app, "192.0.2.7")
    answers = [post_login(attacker, f"nguoi{i}", "doan-mo").status_code for i in range(40)]
    assert answers[: ADDRESS.free] == [401] * ADDRESS.free  # the first failures are checked
    assert answers.count(429) >= 40 - ADDRESS.free - 1  # then every attempt waits (the clock did not move)
    assert len(audit(app, "login_failed")) <= ADDRESS.free + 1
    assert audit(app, "login_throttled")
    # someone else behind the same address, with the right password: told to wait, then let in
    colleague = client(app, "192.0.2.7")
    refused = post_login(colleague, "vanphong", PASSWORD)
    assert refused.status_code == 429 and "hãy chờ" in refused.text
    wait = int(refused.headers["retry-after"])
    assert 1 <= wait <= ADDRESS.cap
    advance(app, wait)
    assert post_login(colleague, "vanphong", PASSWORD).status_code == 303


def test_waits_grow_and_stop_at_the_cap():
    rule = Rule(free=5, base=1.0, cap=60.0)
    waits = [rule.delay(n) for n in range(0, 14)]
    assert waits[:5] == [0.0] * 5 and waits[5:9] == [1.0, 2.0, 4.0, 8.0]
    assert waits[-1] == 60.0 and waits == sorted(waits)
    assert ACCOUNT.cap <= 60.0  # nobody waits more than a minute for an account


def test_guessing_an_account_from_many_addresses_slows_it_but_never_locks_it(app):
    for i in range(30):
        post_login(client(app, f"198.51.100.{i}"), "quantri", "doan-mo")
        advance(app, 0.5)
    newcomer = client(app, "203.0.113.5")  # the administrator on a new computer
    refused = post_login(newcomer, "quantri", PASSWORD)
    assert refused.status_code == 429
    wait = int(refused.headers["retry-after"])
    assert wait <= ACCOUNT.cap
    advance(app, wait)
    assert post_login(newcomer, "quantri", PASSWORD).status_code == 303


def test_a_trusted_browser_is_not_slowed_by_someone_elses_guesses(app):
    admin = login(client(app, "192.0.2.50"), "quantri")  # logged in before: the browser holds a device cookie
    assert admin.post("/logout", data={"csrf": csrf_of(admin.get("/").text)}).status_code == 303
    for i in range(40):  # someone guesses the admin's password, from the admin's own office address and others
        post_login(client(app, "192.0.2.50" if i % 2 else f"198.51.100.{i}"), "quantri", "doan-mo")
    assert post_login(client(app, "203.0.113.9"), "quantri", PASSWORD).status_code == 429  # strangers wait
    assert post_login(admin, "quantri", PASSWORD).status_code == 303  # the admin's browser does not


def test_wrong_passwords_on_a_trusted_browser_count_for_that_browser_only(app):
    staff = login(client(app), "vanphong")
    staff.post("/logout", data={"csrf": csrf_of(staff.get("/").text)})
    answers = [post_login(staff, "vanphong", "sai").status_code for _ in range(8)]
    assert answers[:5] == [401] * 5 and 429 in answers
    assert post_login(client(app, "10.0.0.77"), "vanphong", PASSWORD).status_code == 303


def test_http_basic_is_throttled_with_retry_after(app):
    api = client(app, "192.0.2.99")
    bad = {"Authorization": "Basic " + base64.b64encode(b"vanphong:sai").decode()}
    good = {"Authorization": "Basic " + base64.b64encode(f"vanphong:{PASSWORD}".encode()).decode()}
    codes = [api.get("/api/v1/me", headers=bad).status_code for _ in range(12)]
    assert codes[:5] == [401] * 5 and codes[-1] == 429
    refused = api.get("/api/v1/me", headers=good)
    assert refused.status_code == 429 and "hãy chờ" in refused.json()["error"]
    advance(app, int(refused.headers["retry-after"]))
    assert api.get("/api/v1/me", headers=good).json()["username"] == "vanphong"


def test_a_remembered_basic_password_is_forgotten_when_it_changes(app):
    api = client(app, "192.0.2.98")
    old = {"Authorization": "Basic " + base64.b64encode(f"vanphong:{PASSWORD}".encode()).decode()}
    assert api.get("/api/v1/me", headers=old).status_code == 200  # verified, and remembered for a minute
    app.state.web.accounts.save("vanphong", role="staff", unit="H21", password="mat-khau-moi-2026", by="test")
    assert api.get("/api/v1/me", headers=old).status_code == 401
    new = {"Authorization": "Basic " + base64.b64encode(b"vanphong:mat-khau-moi-2026").decode()}
    assert api.get("/api/v1/me", headers=new).status_code == 200


# -- bad parameters: 400 in Vietnamese -------------------------------------------------------------------
ENGLISH = re.compile(r"\b(Input should|field required|Internal Server Error|Traceback|Error)\b")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/ranking?by=x",
        "/api/v1/ranking?parent=%00",
        "/api/v1/units/H21.227/dossiers?search=a%00b",
        "/api/v1/units/H21.227/explain?period=2026-13",
        "/api/v1/units/H21.227/dossiers?page=99999999999",
        "/api/v1/units/H21.227/dossiers?page=abc",
        "/api/v1/units/H21.227/due-soon?within_hours=-1",
        "/api/v1/results?source=khac",
        "/api/v1/verify?tolerance=abc",
        "/api/v1/verify?tolerance=1e999999",
        "/api/v1/units/%00",
    ],
)
def test_bad_api_parameters_answer_400_in_vietnamese(app, url):
    staff = login(client(app), "vanphong")
    response = staff.get(url)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == 400 and body["error"] and not ENGLISH.search(body["error"] + (body["detail"] or ""))


@pytest.mark.parametrize(
    "url",
    ["/ranking?by=x", "/ranking?parent=%00", "/units/H21.227/dossiers?search=%00", "/?period=khong-phai-ky",
     "/units/H21.227?period=2026-13", "/units/H21.227/dossiers?page=0", "/due?hours=abc"],
)  # fmt: skip
def test_bad_page_parameters_answer_a_vietnamese_page_with_400(app, url):
    staff = login(client(app), "vanphong")
    response = staff.get(url)
    assert response.status_code == 400, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert 'class="error"' in response.text or "không" in response.text.lower()
    assert not ENGLISH.search(re.sub(r"<[^>]+>", " ", response.text))


def test_a_validation_message_names_the_parameter_and_the_limit(app):
    staff = login(client(app), "vanphong")
    body = staff.get("/api/v1/units/H21.227/dossiers?page=0").json()
    assert body["error"] == "Tham số không hợp lệ: tham số page cần từ 1 trở lên"
    body = staff.get("/api/v1/results?source=khac").json()
    assert "official hoặc local" in body["error"]


def test_an_unexpected_error_is_one_vietnamese_sentence(app, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("chiso.web.queries.ranking", boom)
    staff = login(TestClient(app, follow_redirects=False, raise_server_exceptions=False), "vanphong")
    api = staff.get("/api/v1/ranking")
    assert api.status_code == 500 and "secret" not in api.text and api.json()["error"].startswith("Lỗi không mong")
    assert api.headers["cache-control"] == "no-store"
    page = staff.get("/ranking")
    assert page.status_code == 500 and "secret" not in page.text and "Lỗi không mong muốn" in page.text


# -- documentation and caching -------------------------------------------------------------------------------
def test_docs_and_schema_need_a_login(app):
    anon = client(app)
    assert anon.get("/docs").status_code == 303
    assert anon.get("/api/v1/openapi.json").status_code == 401
    assert anon.get("/openapi.json").status_code == 404 and anon.get("/redoc").status_code == 404
    staff = login(client(app), "vanphong")
    assert staff.get("/docs").status_code == 200
    schema = staff.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/ranking"]["get"]
    assert "422" not in operation["responses"] and "400" in operation["responses"]
    basic = base64.b64encode(f"vanphong:{PASSWORD}".encode()).decode()
    assert anon.get("/api/v1/openapi.json", headers={"Authorization": f"Basic {basic}"}).status_code == 200


def test_docs_load_nothing_from_outside(app):
    """Swagger UI's files come from chiso itself: the page names no other host and every file it needs is served."""
    import re

    staff = login(client(app), "vanphong")
    html = staff.get("/docs").text
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']|url: *["']([^"']+)["']""", html)
    found = [a or b for a, b in urls]
    assert found and all(u.startswith("/") and not u.startswith("//") for u in found), found
    assert "cdn" not in html.lower() and "https://" not in html
    for url in found:
        answer = staff.get(url)
        assert answer.status_code == 200 and answer.content, url
    assert client(app).get("/static/swagger/swagger-ui.css").status_code == 200  # like the other static files
    assert staff.get("/static/swagger/..%2Fmain.py").status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/", "/ranking", "/units/H21.227", "/due", "/letters", "/methodology", "/history", "/uploads", "/docs",
     "/api/v1/ranking", "/api/v1/units/H21.227/explain", "/login", "/khong-co"],
)  # fmt: skip
def test_every_page_and_answer_says_no_store(app, path):
    staff = login(client(app), "vanphong")
    assert staff.get(path).headers.get("cache-control") == "no-store", path


def test_static_files_may_be_cached(app):
    staff = login(client(app), "vanphong")
    response = staff.get("/static/plotly.min.js")
    assert response.status_code == 200 and "no-store" not in response.headers.get("cache-control", "")


# -- PostgreSQL: the same sessions, and a NUL byte typed anywhere is refused, never a server error ---------------
@pytest.mark.postgres
def test_sessions_and_nul_bytes_on_postgres(pg_ws, tmp_path):  # noqa: F811 (the imported fixture)
    from chiso.accounts import Accounts

    accounts = Accounts(pg_ws)
    accounts.save("vanphong", role="staff", password=PASSWORD, by="test")
    token = accounts.open_session("vanphong", client="10.0.0.1")
    assert accounts.session(token).username == "vanphong"
    accounts.save("vanphong", role="staff", password="mat-khau-moi-2026", by="test")
    assert accounts.session(token) is None
    assert accounts.authenticate("van\x00phong", PASSWORD) is None
    accounts.audit("van\x00phong", "login_failed", client="10.0.0.1")
    assert accounts.audit_log(action="login_failed")[0]["username"] == "van\ufffdphong"
    app = create_app(WebOptions(db=pg_ws.settings.db, data_dir=tmp_path / "data"))
    try:
        anon = client(app)
        assert post_login(anon, "van\x00phong", "x").status_code == 401
        staff = login(client(app, "10.0.0.2"), "vanphong", "mat-khau-moi-2026")
        assert staff.get("/api/v1/units/H21/dossiers", params={"search": "a\x00"}).status_code == 400
        assert staff.get("/ranking", params={"parent": "\x00"}).status_code == 400
    finally:
        app.state.web.close()
