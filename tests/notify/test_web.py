"""``/notify`` on the web: administrators manage every subscription; others only their own, in their scope."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chiso.notify.ledger import Ledger
from chiso.workspace import Workspace
from tests.notify.fakes import TELEGRAM_TOKEN, UNKNOWN_CHAT, Providers
from tests.web_support import login, make_client, page_csrf


@pytest.fixture
def web_env(tmp_path: Path, fake_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "chiso-notify.toml"
    path.write_text(f'[telegram]\ntoken = "{TELEGRAM_TOKEN}"\nbase_url = "{fake_url}"\n', encoding="utf-8")
    path.chmod(0o600)
    monkeypatch.setenv("CHISO_NOTIFY_CONFIG", str(path))


def client(db: Path, tmp_path: Path, name: str):  # type: ignore[no-untyped-def]
    return login(make_client(db, tmp_path / "web"), name)


def add(c, csrf: str, **form: object):  # type: ignore[no-untyped-def]
    data = {"channel": "telegram", "address": "123456789", "unit": "H21.227", "jobs": ["brief", "alerts"],
            "source": "auto", "csrf": csrf} | form  # fmt: skip
    return c.post("/notify/subscriptions", data=data)


def subs(db: Path):  # type: ignore[no-untyped-def]
    ws = Workspace(db=db)
    try:
        return Ledger(ws).subscriptions()
    finally:
        ws.close()


def test_a_viewer_subscribes_itself_within_its_scope(notify_copy: Path, tmp_path: Path, web_env: None):
    c = client(notify_copy, tmp_path, "vancanh")
    page = c.get("/notify")
    assert page.status_code == 200 and "Đăng ký mới" in page.text and "Nhận tin" in page.text
    csrf = page_csrf(c, "/notify")
    assert add(c, csrf).status_code == 200
    outside = add(c, csrf, unit="H21.228")
    assert outside.status_code == 403
    forged = add(c, csrf, owner="")  # a viewer cannot make an office subscription: the owner is itself
    assert forged.status_code == 200
    assert add(c, "wrong-token").status_code == 403  # CSRF
    hook = add(c, csrf, channel="webhook", address="http://127.0.0.1:5432/")  # no requests to inner addresses
    assert hook.status_code == 403 and "quản trị viên" in hook.text
    saved = subs(notify_copy)
    assert {(s.unit, s.username) for s in saved} == {("H21.227", "vancanh")} and len(saved) == 2
    assert set(saved[0].jobs) == {"brief", "alerts"}


def test_the_admin_sees_and_manages_everything(notify_copy: Path, tmp_path: Path, web_env: None):
    viewer = client(notify_copy, tmp_path, "vancanh")
    add(viewer, page_csrf(viewer, "/notify"))
    admin = client(notify_copy, tmp_path, "quantri")
    csrf = page_csrf(admin, "/notify")
    office = add(admin, csrf, unit="H21", address="vanphong@example.gov.vn", channel="email", jobs=["letter"])
    assert office.status_code == 200 and "Đã đăng ký nhận tin" in office.text
    page = admin.get("/notify").text
    assert "văn phòng (mọi đơn vị)" in page and "vancanh" in page and "Telegram ✓" in page
    assert TELEGRAM_TOKEN not in page
    # the viewer does not see the office's subscription, and cannot remove it
    viewer_page = viewer.get("/notify").text
    assert "vanphong@example.gov.vn" not in viewer_page
    office_id = next(s.sub_id for s in subs(notify_copy) if s.username is None)
    assert viewer.post(f"/notify/subscriptions/{office_id}/remove",
                       data={"csrf": page_csrf(viewer, "/notify")}).status_code == 403  # fmt: skip
    assert admin.post(f"/notify/subscriptions/{office_id}/remove", data={"csrf": csrf}).status_code == 303
    assert [s.username for s in subs(notify_copy)] == ["vancanh"]


def test_bad_input_is_said_in_vietnamese(notify_copy: Path, tmp_path: Path, web_env: None):
    admin = client(notify_copy, tmp_path, "quantri")
    csrf = page_csrf(admin, "/notify")
    bad = add(admin, csrf, address="not-an-address")
    assert bad.status_code == 400 and "Địa chỉ Telegram không hợp lệ" in bad.text
    scope = add(admin, csrf, owner="vancanh", unit="H21.228")
    assert scope.status_code == 400 and "ngoài phạm vi" in scope.text


def test_test_message_from_the_page(notify_copy: Path, tmp_path: Path, web_env: None, providers: Providers):
    c = client(notify_copy, tmp_path, "vancanh")
    csrf = page_csrf(c, "/notify")
    add(c, csrf)
    add(c, csrf, address=UNKNOWN_CHAT)
    ok_id, bad_id = [s.sub_id for s in sorted(subs(notify_copy), key=lambda s: s.address == UNKNOWN_CHAT)]
    sent = c.post(f"/notify/subscriptions/{ok_id}/test", data={"csrf": csrf})
    assert sent.status_code == 200 and "Đã gửi tin nhắn thử" in sent.text
    failed = c.post(f"/notify/subscriptions/{bad_id}/test", data={"csrf": csrf})
    assert failed.status_code == 502 and "người nhận" in failed.text and "chat not found" in failed.text
    assert len(providers.of("telegram")) == 2
    log = c.get("/notify").text
    rows = re.findall(r"<td>(đã gửi|lỗi, đã thôi thử lại)</td>", log)
    assert sorted(rows) == ["lỗi, đã thôi thử lại", "đã gửi"]
