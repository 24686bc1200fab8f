"""Telegram Bot API: ``sendMessage`` for the text, ``sendDocument`` for each file.

The bot token is part of the URL path (``{base_url}/bot{token}/sendMessage``), so URLs are never shown; errors
name the host only. A recipient is a chat id (a person who pressed Start in the bot, or a group the bot was
added to: a negative number) or a public channel's ``@name``.
"""

from __future__ import annotations

import re
from typing import Any

from chiso.notify.channels.base import Channel, Delivery, DeliveryError, Problem
from chiso.notify.channels.http import http_status_error, json_of, post
from chiso.notify.message import Message

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_RECIPIENT_WORDS = ("chat not found", "user not found", "peer_id_invalid", "bot was blocked", "bot is not a member",
                    "bot was kicked", "user is deactivated", "have no rights", "not enough rights")  # fmt: skip


class Telegram(Channel):
    name = "telegram"
    label = "Telegram"
    address_hint = "mã cuộc trò chuyện (chat id), ví dụ 123456789, -1001234567890 hoặc @kenh_cong_khai"
    address_pattern = re.compile(r"^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$")

    def _url(self, method: str) -> str:
        token = self.config.telegram.token
        if token is None or not token.get_secret_value():
            raise self.not_configured("mã bot (token)", "[telegram] token hoặc CHISO_TELEGRAM_TOKEN")
        return f"{self.config.telegram.base_url}/bot{token.get_secret_value()}/{method}"

    def _call(self, method: str, address: str, **kwargs: Any) -> dict[str, Any]:
        response = post(self.label, self._url(method), timeout=self.config.telegram.timeout, **kwargs)
        data = json_of(response)
        if response.status_code == 200 and data.get("ok"):
            return data.get("result") or {}
        said = str(data.get("description") or "")
        if response.status_code == 401 or (response.status_code == 404 and not said):
            raise DeliveryError(
                "Telegram không nhận mã bot (token): mã sai hoặc đã bị thu hồi.",
                problem=Problem.TOKEN, detail=f"HTTP {response.status_code} {said}",
                hint="Lấy lại mã từ @BotFather rồi đặt [telegram] token hoặc CHISO_TELEGRAM_TOKEN.",
            )  # fmt: skip
        if response.status_code in (400, 403) and any(w in said.lower() for w in _RECIPIENT_WORDS):
            raise DeliveryError(
                f"Telegram không gửi được tới người nhận {address} ({said}).",
                problem=Problem.RECIPIENT, detail=f"HTTP {response.status_code}",
                hint="Người nhận cần mở bot và bấm Start (hoặc thêm bot vào nhóm) rồi kiểm tra lại mã chat id.",
            )  # fmt: skip
        error = http_status_error(self.label, response, said)
        wait = (data.get("parameters") or {}).get("retry_after")
        if isinstance(wait, int | float):
            error.retry_after = float(wait)
        raise error

    def send(self, address: str, message: Message, key: str) -> Delivery:
        result = self._call("sendMessage", address, json={"chat_id": address, "text": message.body(TEXT_LIMIT),
                                                           "disable_web_page_preview": True})  # fmt: skip
        reference = str(result.get("message_id", ""))
        for i, path in enumerate(message.attachments):
            try:
                with path.open("rb") as handle:
                    self._call(
                        "sendDocument", address, data={"chat_id": address, "caption": message.title[:CAPTION_LIMIT]},
                        files={"document": (path.name, handle.read())},
                    )  # fmt: skip
            except (DeliveryError, OSError) as exc:
                # the text went out: a retry would send it twice, so this send ends here, marked unknown
                raise DeliveryError(
                    f"Đã gửi tin nhắn Telegram nhưng không gửi được tệp {path.name} "
                    f"({i} trong {len(message.attachments)} tệp đã gửi).",
                    problem=getattr(exc, "problem", Problem.UNKNOWN), maybe_delivered=True,
                    detail=getattr(exc, "message", str(exc)),
                ) from exc  # fmt: skip
        return Delivery(reference=reference)
