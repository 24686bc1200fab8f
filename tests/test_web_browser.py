"""End to end in a real browser: Playwright's Python package driving Debian's chromium (never a download).

Log in, open a unit, drill down to its dossiers, upload a file, download a letter. Screenshots of the main pages
go to the test's temporary folder, or to ``$CHISO_SCREENSHOTS`` (``make screenshots`` writes docs/screenshots/).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import need
from tests.web_support import LOCAL_HEAD, PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(web_local_db: Path, tmp_path: Path, monkeypatch):
    """chiso serve on a free local port, in this process (so that the letter builder can be stood in for)."""
    import uvicorn

    from chiso.web import WebOptions, create_app, letters

    if letters.builder() is None:  # until the report module is merged: the same signature, two small files

        def build(ws, period, unit, out_dir, source):
            ws.explain(unit, period=period)
            (out_dir / "letter.docx").write_bytes(b"PK\x03\x04 letter")
            (out_dir / "brief.txt").write_text(f"Tóm tắt {unit} {period.label}", encoding="utf-8")

        monkeypatch.setattr(letters, "builder", lambda: build)
    db = tmp_path / "browser.duckdb"
    shutil.copy(web_local_db, db)
    app = create_app(WebOptions(db=str(db), data_dir=tmp_path / "data"))
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(server):
    need(CHROMIUM.exists(), "Debian's chromium is not installed (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra installs it
        need(False, "the playwright Python package is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="vi-VN", accept_downloads=True)
        pg = context.new_page()
        pg.set_default_timeout(20_000)
        yield pg
        context.close()
        browser.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("CHISO_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _charts_drawn(pg) -> None:
    pg.wait_for_selector(".chart .main-svg")  # Plotly drew it, from the locally served script


def test_office_staff_journey(page, server, shots, tmp_path):
    pg = page
    pg.goto(server + "/")
    assert "/login" in pg.url
    pg.screenshot(path=str(shots / "dang-nhap.png"))
    pg.fill("input[name=username]", "vanphong")
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_url(server + "/")
    _charts_drawn(pg)
    assert "Sáu nhóm chỉ số" in pg.content()
    pg.screenshot(path=str(shots / "tong-quan.png"), full_page=True)

    # rankings, sorted by a column
    pg.click("header nav >> text=Xếp hạng")
    pg.wait_for_selector("table.sortable")
    pg.click("table.sortable >> nth=0 >> th:has-text('Tổng điểm')")
    pg.screenshot(path=str(shots / "xep-hang.png"), full_page=True)

    # open a unit
    pg.click("table.sortable >> text=UBND xã Vân Canh")
    pg.wait_for_url("**/units/H21.227**")
    _charts_drawn(pg)
    assert "Cách lấy lại điểm" in pg.content()
    pg.screenshot(path=str(shots / "don-vi.png"), full_page=True)

    # drill down to the dossiers behind the on-time metric, in the local estimate
    pg.goto(server + "/units/H21.227?source=local")
    assert "Số liệu tạm tính" in pg.content()
    pg.screenshot(path=str(shots / "don-vi-tam-tinh.png"), full_page=True)
    pg.click("a[href*='/units/H21.227/dossiers?metric=ON_TIME']")
    pg.wait_for_url("**/units/H21.227/dossiers**")
    assert "VC-2" in pg.content() and "VC-3" in pg.content()
    pg.screenshot(path=str(shots / "ho-so.png"), full_page=True)
    with pg.expect_download() as download:
        pg.click("text=Xuất CSV")
    assert download.value.suggested_filename.startswith("ho-so-H21.227-")

    # dossiers due soon and overdue
    pg.goto(server + "/due?unit=H21")
    assert "VC-3" in pg.content() and "quá hạn" in pg.content()
    pg.screenshot(path=str(shots / "sap-den-han.png"), full_page=True)

    # upload a file and read its validation report
    upload = tmp_path / "ho-so-tai-len.csv"
    upload.write_text(
        LOCAL_HEAD
        + "UP-1,H21.227,P1,2,01/11/2026 08:00,04/11/2026 17:00,03/11/2026 10:00,10,0,,,1,0,0,1,1,0,0,0\n"
        + "UP-2,H21.227,P1,2,ngày sai,04/11/2026 17:00,,4,0,,,1,0,0,1,1,0,0,0\n",
        encoding="utf-8",
    )
    pg.click("header nav >> text=Tải dữ liệu")
    pg.set_input_files("input[name=files]", str(upload))
    pg.select_option("select[name=kind]", "auto")
    pg.click("form.stack button[type=submit]")
    pg.wait_for_selector("text=Báo cáo kiểm tra")
    assert "1 dòng được lưu" in pg.content() and "1 dòng bị từ chối" in pg.content()
    pg.screenshot(path=str(shots / "tai-du-lieu.png"), full_page=True)

    # generate a letter and download it
    pg.goto(server + "/letters?unit=H21.227")
    pg.fill("input[name=period]", "2026")
    pg.click("form.stack button[type=submit]")
    pg.wait_for_selector("text=Đã tạo")
    with pg.expect_download() as download:
        pg.click("a[download][href$='letter.docx']")
    target = tmp_path / "letter.docx"
    download.value.save_as(target)
    assert target.stat().st_size > 0
    pg.screenshot(path=str(shots / "cong-van.png"), full_page=True)

    pg.goto(server + "/methodology")
    pg.screenshot(path=str(shots / "phuong-phap.png"))
    pg.goto(server + "/history")
    pg.screenshot(path=str(shots / "lich-su-nhap.png"), full_page=True)


def test_unit_viewer_sees_only_their_unit(page, server):
    pg = page
    pg.goto(server + "/login")
    pg.fill("input[name=username]", "vancanh")
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_url(server + "/")
    assert "Vân Canh" in pg.content()
    response = pg.goto(server + "/units/H21.228")
    assert response is not None and response.status == 403
    assert "Không có quyền xem" in pg.content()
    pg.goto(server + "/ranking?parent=H21")
    assert "H21.227" in pg.content() and "H21.228" not in pg.content()


def test_a_viewer_subscribes_on_a_phone(page, server, shots):
    """/notify on a 390 px screen: the form works and nothing overflows sideways."""
    pg = page
    pg.set_viewport_size({"width": 390, "height": 844})
    pg.goto(server + "/login")
    pg.fill("input[name=username]", "vancanh")
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_url(server + "/")
    pg.goto(server + "/notify")
    assert "webhook" not in pg.inner_text("select[name=channel]")
    pg.fill("input[name=address]", "123456789")
    pg.fill("input[name=label]", "Chủ tịch UBND xã Vân Canh")
    pg.click("form[action='/notify/subscriptions'] button[type=submit]")
    pg.wait_for_selector("p.notice")
    assert "Đã đăng ký nhận tin" in pg.content() and "Chủ tịch UBND xã Vân Canh" in pg.content()
    wide = pg.evaluate(  # what sticks out, for the failure message (tables scroll inside .scroll on purpose)
        "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > 392"
        " && !e.closest('.scroll')).map(e => e.tagName + '.' + e.className).slice(0, 5)"
    )
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390 + 1, wide
    pg.screenshot(path=str(shots / "nhan-tin.png"), full_page=True)
