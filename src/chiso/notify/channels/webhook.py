"""A generic webhook: a JSON POST signed with HMAC-SHA256 over the timestamp and the body.

Headers sent::

    Content-Type: application/json; charset=utf-8
    X-Chiso-Event: brief | alerts | letter | test
    X-Chiso-Delivery: <idempotency key: the same for every retry of one send>
    X-Chiso-Timestamp: <Unix seconds>
    X-Chiso-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>

A receiver recomputes the signature with the shared secret (``verify``), refuses a timestamp more than five
minutes away from its clock, and ignores a delivery id it has already seen.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlsplit

from chiso.errors import ChisoError
from chiso.notify.channels.base import Channel, Delivery, Problem
from chiso.notify.channels.http import http_status_error, post
from chiso.notify.message import Message

TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, sent: str, now: float,
           tolerance: float = TOLERANCE_SECONDS) -> bool:  # fmt: skip
    """What a receiver checks: a fresh timestamp and the right signature (constant-time comparison)."""
    try:
        fresh = abs(now - float(timestamp)) <= tolerance
    except ValueError:
        return False
    return fresh and hmac.compare_digest(signature(secret, timestamp, body), sent)


class Webhook(Channel):
    name = "webhook"
    label = "webhook"
    address_hint = "địa chỉ http:// hoặc https:// của hệ thống nhận (ví dụ IOC của tỉnh)"

    @classmethod
    def normalise(cls, address: str) -> str:
        text = address.strip()
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ChisoError(f"Địa chỉ webhook không hợp lệ: '{cls.display(text)}'", hint=f"Cần {cls.address_hint}.")
        return text

    @classmethod
    def display(cls, address: str) -> str:
        """Scheme, host and path: a query string or user info may hold a key."""
        parts = urlsplit(address)
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"

    def payload(self, message: Message, key: str) -> dict[str, Any]:
        return {
            "id": key,
            "event": message.job,
            "unit": {"code": message.unit, "name": message.unit_name} if message.unit else None,
            "title": message.title,
            "text": message.text,
            "link": message.link,
            "facts": message.facts,
            "sent_at": self.clock().isoformat(),
        }

    def send(self, address: str, message: Message, key: str) -> Delivery:
        secret = self.config.webhook.secret
        if secret is None or not secret.get_secret_value():
            raise self.not_configured("khóa ký (secret)", "[webhook] secret hoặc CHISO_WEBHOOK_SECRET")
        body = json.dumps(self.payload(message, key), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        stamp = str(int(self.clock().timestamp()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Chiso-Event": message.job,
            "X-Chiso-Delivery": key,
            "X-Chiso-Timestamp": stamp,
            "X-Chiso-Signature": signature(secret.get_secret_value(), stamp, body),
        }
        response = post(f"{self.label} {self.display(address)}", address, timeout=self.config.webhook.timeout,
                        content=body, headers=headers)  # fmt: skip
        if 200 <= response.status_code < 300:
            return Delivery(reference=response.headers.get("x-request-id", ""))
        error = http_status_error(f"Hệ thống nhận webhook {urlsplit(address).hostname}", response)
        if error.problem is Problem.TOKEN:
            error.hint = "Bên nhận cần dùng cùng khóa [webhook] secret (CHISO_WEBHOOK_SECRET) để kiểm tra chữ ký."
        raise error
