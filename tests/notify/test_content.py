"""What the messages say: the leader brief (official or provisional), the alerts, in Vietnamese, short, NFC."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from chiso.engine.drill import DueItem
from chiso.errors import NoDataError
from chiso.notify import content
from chiso.notify.content import ContentContext
from chiso.notify.message import Message, NothingToSendError
from chiso.workspace import Workspace
from tests.notify.support import MONDAY, notify_config

PHONE_LIMIT = 2000  # Zalo's text limit, the smallest of the channels


@pytest.fixture
def ctx(notify_copy: Path, tmp_path: Path) -> Iterator[ContentContext]:
    ws = Workspace(db=notify_copy)
    yield ContentContext(ws, notify_config("http://127.0.0.1:9", tmp_path), MONDAY, tmp_path / "letters")
    ws.close()


def check(message: Message) -> str:
    for text in (message.title, message.text, message.body()):
        assert unicodedata.is_normalized("NFC", text)
    assert len(message.body()) <= PHONE_LIMIT
    return message.text


def test_the_official_brief(ctx: ContentContext):
    message = content.brief(ctx, "H21.227", "auto", "2026-10-12")
    text = check(message)
    assert "UBND xã Vân Canh: 75,34/100 điểm (Khá), xếp thứ 1/13 xã, phường, thị trấn." in text
    assert "Số liệu tính đến 14 giờ 00 phút ngày 10/10/2026." in text and "tạm tính" not in text
    assert message.title == "Bản tin Bộ chỉ số — UBND xã Vân Canh — 12/10/2026"
    assert message.facts["source"] == "official" and message.facts["total"] == 75.34 and message.facts["rank"] == 1
    assert message.link == "https://chiso.example.gov.vn/units/H21.227"


def test_the_provisional_brief_names_the_weak_communes(ctx: ContentContext):
    message = content.brief(ctx, "H21", "local", "2026-10-12")
    text = check(message)
    assert "Số liệu tạm tính, tính đến" in text
    communes = "Xã, phường, thị trấn dưới 80 điểm: 2 (UBND xã Canh Vinh, UBND xã Vân Canh); từ 80 đến dưới 90 điểm: 0."
    assert communes in text
    assert "Sở, ban, ngành dưới 80 điểm: 1 (Sở Y tế)" in text
    assert message.facts["estimate"] is True and message.link.endswith("/units/H21?source=local")  # type: ignore[union-attr]


def test_no_figures_no_brief(ctx: ContentContext):
    with pytest.raises(NoDataError, match="Chưa có số liệu để lập bản tin"):
        content.brief(ctx, "H99.999", "auto", "2026-10-12")


def item(unit: str, n: int, hours: float) -> DueItem:
    due = MONDAY + timedelta(hours=hours)
    return DueItem(f"{unit}-{n}", unit, "P1", "Đăng ký khai sinh", MONDAY - timedelta(days=3), due,
                   "quá hạn" if hours < 0 else "sắp đến hạn", hours)  # fmt: skip


def test_alerts_stay_short_with_many_units(ctx: ContentContext, monkeypatch: pytest.MonkeyPatch):
    items = [item(f"X{u:02d}", n, -u - n) for u in range(1, 15) for n in range(1, 6)]
    items.sort(key=lambda i: i.hours_left)
    monkeypatch.setattr(ctx.ws, "due_soon", lambda unit, now, within_hours: items)
    text = check(content.alerts(ctx, "H21", "auto", "2026-10-12"))
    lines = [ln for ln in text.splitlines() if ln.startswith("• ")]
    assert len(lines) == content.ALERT_UNITS + 1
    assert lines[-1] == "• … và 4 đơn vị khác: 20 hồ sơ."
    assert lines[0].startswith("• X14: 5 quá hạn — X14-5 (quá hạn 19 giờ làm việc); X14-4")
    assert all(ln.count("(quá hạn") <= content.ALERT_CODES for ln in lines)
    assert "Đăng ký khai sinh" not in text  # codes and counts only


def test_alerts_flag_old_data_and_say_when_there_is_nothing(ctx: ContentContext):
    late = ContentContext(ctx.ws, ctx.config, MONDAY + timedelta(days=5), ctx.letters_root)
    assert "dữ liệu hồ sơ đã cũ" in content.alerts(late, "H21.227", "auto", "2026-10-17").text
    assert "dữ liệu hồ sơ đã cũ" not in content.alerts(ctx, "H21.227", "auto", "2026-10-12").text
    with pytest.raises(NothingToSendError):
        content.alerts(ctx, "H21.19", "auto", "2026-10-12")


def test_messages_are_nfc_and_keep_the_link_when_cut():
    decomposed = unicodedata.normalize("NFD", "Bản tin Bộ chỉ số")
    message = Message(job="brief", title=decomposed, text=decomposed + " " + "x" * 3000, link="https://a.vn/x")
    assert message.title == "Bản tin Bộ chỉ số"
    body = message.body(500)
    assert len(body) == 500 and body.endswith("Xem chi tiết: https://a.vn/x") and "…" in body
