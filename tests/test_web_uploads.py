"""Uploads and the write lock (issue 10, item 7): a file is read and checked without the lock that other users'
uploads wait for; the lock is held only while rows are written. A file refused as a whole shows its message."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from chiso.errors import InputFileError
from chiso.web import WebOptions, create_app
from tests.conftest import GIALAI_AGENCIES
from tests.web_support import LOCAL_HEAD, csrf_of, login

WAIT = 120  # seconds: only a guard against a hang, never a measure of speed
ROW = "UP-{n},H21.227,P1,2,01/11/2026 08:00,04/11/2026 17:00,03/11/2026 10:00,10,0,,,1,0,0,1,1,0,0,0\n"


@pytest.fixture
def app(web_local_db: Path, tmp_path: Path):
    db = tmp_path / "local.duckdb"
    shutil.copy(web_local_db, db)
    application = create_app(WebOptions(db=str(db), data_dir=tmp_path / "data"))
    yield application
    application.state.web.close()


def staff(app) -> tuple[TestClient, str]:
    client = login(TestClient(app, follow_redirects=False), "vanphong")
    return client, csrf_of(client.get("/uploads").text)


def dossier_file(name: str, n: int) -> dict:
    return {"files": (name, (LOCAL_HEAD + ROW.format(n=n)).encode("utf-8"), "text/csv")}


def test_reading_happens_outside_the_write_lock_and_writing_inside(app, monkeypatch):
    import chiso.ingest.run as run
    import chiso.workspace as workspace

    lock = app.state.web.write_lock
    seen: list[tuple[str, bool]] = []

    def spy(name, real):
        def wrapper(*args, **kwargs):
            seen.append((name, lock.locked()))
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(run, "read", spy("read", run.read))
    monkeypatch.setattr(workspace, "store_checked", spy("write", workspace.store_checked))
    monkeypatch.setattr(workspace, "parse_file", spy("parse", workspace.parse_file))
    monkeypatch.setattr(workspace, "store_file", spy("store", workspace.store_file))
    client, token = staff(app)
    response = client.post("/uploads", data={"csrf": token, "kind": "dossiers"}, files=dossier_file("a.csv", 1))
    assert response.status_code == 200 and "1 dòng được lưu" in response.text
    files = {"files": (GIALAI_AGENCIES.name, GIALAI_AGENCIES.read_bytes(), "application/json")}
    response = client.post("/uploads", data={"csrf": token, "kind": "official"}, files=files)
    assert response.status_code == 200, response.text
    assert seen == [("read", False), ("write", True), ("parse", False), ("store", True)]
    assert not lock.locked()


def test_a_slow_upload_does_not_hold_up_another_users_upload(app, monkeypatch):
    """User A's file is stuck in parsing; user B's upload is stored meanwhile; then A's finishes too."""
    import chiso.ingest.run as run

    entered, release = threading.Event(), threading.Event()
    real_read = run.read

    def slow_read(path, *args, **kwargs):
        if Path(path).name == "cham.csv":
            entered.set()
            assert release.wait(WAIT), "never released"
        return real_read(path, *args, **kwargs)

    monkeypatch.setattr(run, "read", slow_read)
    a, token_a = staff(app)
    b, token_b = staff(app)
    answers: dict[str, int] = {}

    def upload_a() -> None:
        response = a.post("/uploads", data={"csrf": token_a, "kind": "dossiers"}, files=dossier_file("cham.csv", 7))
        answers["a"] = response.status_code

    thread = threading.Thread(target=upload_a)
    thread.start()
    try:
        assert entered.wait(WAIT), "A's upload never started parsing"
        response = b.post("/uploads", data={"csrf": token_b, "kind": "dossiers"}, files=dossier_file("nhanh.csv", 8))
        assert response.status_code == 200 and "1 dòng được lưu" in response.text
        assert thread.is_alive() and "a" not in answers  # A is still parsing: B did not wait for it
    finally:
        release.set()
        thread.join(WAIT)
    assert answers == {"a": 200}
    history = b.get("/api/v1/history").json()["ingests"]
    assert [h["file_name"] for h in history[:2]] == ["cham.csv", "nhanh.csv"]


def test_a_file_refused_as_a_whole_shows_the_readers_message(app, monkeypatch):
    import chiso.ingest.run as run

    def too_big(path, *args, **kwargs):
        raise InputFileError(
            "Tệp lon.xlsx quá lớn khi giải nén (155 MB, giới hạn 100 MB). Tệp không được nạp.",
            file=str(path), place="tệp nén", hint="Chia tệp thành nhiều tệp nhỏ hơn.",
        )  # fmt: skip

    monkeypatch.setattr(run, "read", too_big)
    client, token = staff(app)
    files = {"files": ("lon.xlsx", b"PK\x03\x04 not really a workbook", "application/octet-stream")}
    page = client.post("/uploads", data={"csrf": token, "kind": "auto"}, files=files)
    assert page.status_code == 400
    assert "Tệp bị từ chối: Tệp lon.xlsx quá lớn khi giải nén" in page.text and "Chia tệp" in page.text
    assert '<form method="post" action="/uploads"' in page.text  # the form is still there to try again
    api = client.post("/api/v1/uploads", data={"kind": "auto"}, files=files, headers={"X-CSRF-Token": token})
    assert api.status_code == 400 and "quá lớn khi giải nén" in api.json()["error"]
    assert not app.state.web.write_lock.locked()


def test_a_damaged_workbook_is_refused_in_vietnamese(app):
    client, token = staff(app)
    files = {"files": ("hong.xlsx", b"PK\x03\x04 damaged", "application/octet-stream")}
    page = client.post("/uploads", data={"csrf": token, "kind": "dossiers"}, files=files)
    assert page.status_code == 400 and "Tệp bị từ chối" in page.text and "Lỗi không mong muốn" not in page.text
    refusal = page.text.split("Tệp bị từ chối:", 1)[1].split("</p>", 1)[0]
    assert "hong.xlsx" in refusal and "BadZipFile" not in refusal  # the exception only under 'Chi tiết kỹ thuật
