"""Zalo Official Account message API v3: ``/v3.0/oa/message/cs`` (customer-service text) or
``/v3.0/oa/message/transaction`` (a transaction template), chosen by ``[zalo] message_type``.

The access token goes in the ``access_token`` header. Zalo answers HTTP 200 with ``{"error": 0, ...}`` on
success and a negative ``error`` otherwise. A cs message reaches only users who follow the OA and wrote to it
recently; a transaction message needs an OA allowed to send them (docs/notify.md).

Access tokens expire after about a day. When ``app_id``, ``secret_key`` and a ``refresh_token`` are configured, a
token error triggers one refresh at ``{oauth_url}/v4/oa/access_token``; the new access and refresh tokens (Zalo
rotates refresh tokens) are kept in the store, keyed by the configured refresh token, and used from then on.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from chiso.notify.channels.base import Channel, Delivery, DeliveryError, Problem
from chiso.notify.channels.http import http_status_error, json_of, post
from chiso.notify.message import Message

TOKEN_ERRORS = {-216, -124, -14014}  # access token invalid or expired
RECIPIENT_ERRORS = {-213, -230, -232, -211}  # not a follower, no recent interaction, blocked, unknown user
RATE_ERRORS = {-32}
TITLE_LIMIT = 100


class Zalo(Channel):
    name = "zalo"
    label = "Zalo OA"
    address_hint = "user_id của người quan tâm Official Account (một dãy số, ví dụ 2512523625412515)"
    address_pattern = re.compile(r"^\d{5,25}$")

    # -- tokens ------------------------------------------------------------------------------------------
    def _chain(self) -> str | None:
        """Name under which rotated tokens are kept: one chain per configured refresh token."""
        rt = self.config.zalo.refresh_token
        if rt is None or not rt.get_secret_value():
            return None
        return "zalo." + hashlib.sha256(rt.get_secret_value().encode()).hexdigest()[:12]

    def _access_token(self) -> str:
        chain = self._chain()
        if chain and self.tokens is not None:
            rotated = self.tokens.secret(chain + ".access_token")
            if rotated:
                return rotated
        token = self.config.zalo.access_token
        if token is None or not token.get_secret_value():
            raise self.not_configured("mã truy cập (access token)", "[zalo] access_token hoặc CHISO_ZALO_ACCESS_TOKEN")
        return token.get_secret_value()

    def _can_refresh(self) -> bool:
        z = self.config.zalo
        return bool(self._chain() and z.app_id and z.secret_key and z.secret_key.get_secret_value() and self.tokens)

    def refresh(self) -> None:
        """Exchange the newest refresh token for new tokens and keep them (Zalo rotates refresh tokens)."""
        z = self.config.zalo
        chain = self._chain()
        if chain is None or z.secret_key is None or z.refresh_token is None or self.tokens is None:
            raise self.not_configured("app_id, secret_key, refresh_token", "[zalo] app_id, secret_key, refresh_token")
        current = self.tokens.secret(chain + ".refresh_token") or z.refresh_token.get_secret_value()
        response = post(self.label, f"{z.oauth_url}/v4/oa/access_token", timeout=z.timeout,
                        headers={"secret_key": z.secret_key.get_secret_value()},
                        data={"refresh_token": current, "app_id": z.app_id, "grant_type": "refresh_token"})  # fmt: skip
        data = json_of(response)
        if response.status_code != 200 or not data.get("access_token"):
            said = str(data.get("error_description") or data.get("error_name") or data.get("message") or "")
            raise DeliveryError(
                "Zalo không cấp lại mã truy cập: mã làm mới (refresh token), app_id hoặc secret_key không đúng"
                + (f" ({said})" if said else "") + ".",
                problem=Problem.TOKEN, detail=f"HTTP {response.status_code} error {data.get('error')}",
                hint="Tạo mã mới trong trang quản lý ứng dụng Zalo rồi đặt lại [zalo] refresh_token.",
            )  # fmt: skip
        self.tokens.set_secret(chain + ".access_token", str(data["access_token"]))
        if data.get("refresh_token"):
            self.tokens.set_secret(chain + ".refresh_token", str(data["refresh_token"]))

    # -- messages ----------------------------------------------------------------------------------------
    def _payload(self, address: str, message: Message) -> dict[str, Any]:
        z = self.config.zalo
        recipient = {"user_id": address}
        if z.message_type == "cs":
            return {"recipient": recipient, "message": {"text": message.body(z.max_chars)}}
        body = message.text if len(message.text) <= z.max_chars else message.text[: z.max_chars - 1] + "…"
        template: dict[str, Any] = {
            "template_type": z.template_type,
            "language": "VI",
            "elements": [
                {"type": "header", "content": message.title[:TITLE_LIMIT], "align": "left"},
                {"type": "text", "content": body.replace("\n", "<br>"), "align": "left"},
            ],
        }
        if message.link:
            template["buttons"] = [{"title": "Xem chi tiết", "type": "oa.open.url", "payload": {"url": message.link}}]
        return {"recipient": recipient, "message": {"attachment": {"type": "template", "payload": template}}}

    def _post(self, address: str, message: Message) -> tuple[Any, dict[str, Any]]:
        z = self.config.zalo
        url = f"{z.base_url}/v3.0/oa/message/{z.message_type}"
        response = post(self.label, url, timeout=z.timeout, headers={"access_token": self._access_token()},
                        json=self._payload(address, message))  # fmt: skip
        return response, json_of(response)

    def send(self, address: str, message: Message, key: str) -> Delivery:
        response, data = self._post(address, message)
        if response.status_code == 200 and data.get("error") in TOKEN_ERRORS and self._can_refresh():
            self.refresh()
            response, data = self._post(address, message)
        if response.status_code != 200:
            raise http_status_error(self.label, response, str(data.get("message") or ""))
        code = data.get("error")
        if code == 0:
            return Delivery(reference=str((data.get("data") or {}).get("message_id", "")))
        said = str(data.get("message") or "")
        if code in TOKEN_ERRORS:
            raise DeliveryError(
                f"Zalo không nhận mã truy cập của Official Account: mã sai hoặc đã hết hạn ({said}).",
                problem=Problem.TOKEN, detail=f"error {code}",
                hint="Lấy mã mới, hoặc cấu hình app_id, secret_key và refresh_token để chiso tự làm mới mã.",
            )  # fmt: skip
        if code in RECIPIENT_ERRORS:
            raise DeliveryError(
                f"Zalo không gửi được tới người nhận {address} ({said}).",
                problem=Problem.RECIPIENT, detail=f"error {code}",
                hint="Người nhận cần quan tâm (follow) Official Account và đã nhắn tin cho OA gần đây; "
                "hoặc dùng message_type = \"transaction\" nếu OA được phép gửi tin giao dịch.",
            )  # fmt: skip
        if code in RATE_ERRORS:
            raise DeliveryError(f"Zalo báo gửi quá nhiều tin ({said}); sẽ thử lại sau.", problem=Problem.RATE,
                                retryable=True, detail=f"error {code}")  # fmt: skip
        raise DeliveryError(f"Zalo không nhận tin ({said or 'không rõ lý do'}).", problem=Problem.CONTENT,
                            detail=f"error {code}")  # fmt: skip
