"""What every channel shares: the error a failed send raises, in plain Vietnamese, and the channel interface."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import ClassVar, Protocol

from chiso.errors import ChisoError
from chiso.notify.config import NotifyConfig
from chiso.notify.message import Message
from chiso.notify.redact import protect_logs, redact


class Problem(StrEnum):
    """What went wrong, as a person can act on it."""

    CONFIG = "config"  # chiso is not set up for this channel
    TOKEN = "token"  # the channel refused our credentials (token, password, shared key)
    NETWORK = "network"  # the channel's server could not be reached (or TLS failed)
    RECIPIENT = "recipient"  # the recipient is unknown, blocked us, or cannot be messaged now
    RATE = "rate"  # too many messages: try later
    SERVER = "server"  # the channel's server failed: try later
    CONTENT = "content"  # the channel refused the message itself
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Problem.CONFIG: "chưa cấu hình",
    Problem.TOKEN: "mã truy cập / mật khẩu",
    Problem.NETWORK: "mạng",
    Problem.RECIPIENT: "người nhận",
    Problem.RATE: "gửi quá nhiều",
    Problem.SERVER: "máy chủ của kênh",
    Problem.CONTENT: "nội dung",
    Problem.UNKNOWN: "không xác định",
}


class DeliveryError(ChisoError):
    """A send that failed. ``retryable``: trying later may work and the message surely did not go out.
    ``maybe_delivered``: the message may have gone out (a timeout after the request was sent): never resent."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        problem: Problem,
        retryable: bool = False,
        maybe_delivered: bool = False,
        retry_after: float | None = None,
        detail: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(redact(message), detail=redact(detail) or None, hint=hint)
        self.problem = problem
        self.retryable = retryable and not maybe_delivered
        self.maybe_delivered = maybe_delivered
        self.retry_after = retry_after


@dataclass(frozen=True)
class Delivery:
    reference: str = ""  # the provider's message id
    note: str = ""  # e.g. some e-mail recipients refused


class TokenStore(Protocol):
    """Where rotated tokens are kept (the ledger's secrets)."""

    def secret(self, name: str) -> str | None: ...

    def set_secret(self, name: str, value: str) -> None: ...


Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Channel(ABC):
    name: ClassVar[str]
    label: ClassVar[str]
    address_hint: ClassVar[str]
    address_pattern: ClassVar[re.Pattern[str] | None] = None  # what a recipient looks like, for the default check

    def __init__(self, config: NotifyConfig, tokens: TokenStore | None = None, clock: Clock = utc_now) -> None:
        self.config = config
        self.tokens = tokens
        self.clock = clock
        protect_logs(config.secrets())

    @classmethod
    def normalise(cls, address: str) -> str:
        """The address in canonical form; ChisoError (Vietnamese) when it cannot be one of this channel."""
        text = address.strip()
        if cls.address_pattern is None or not cls.address_pattern.match(text):
            raise ChisoError(f"Địa chỉ {cls.label} không hợp lệ: '{address}'", hint=f"Cần {cls.address_hint}.")
        return text

    @classmethod
    def display(cls, address: str) -> str:
        """The address as shown in logs and pages (no secret in it)."""
        return address

    @abstractmethod
    def send(self, address: str, message: Message, key: str) -> Delivery:
        """Send ``message``; raise ``DeliveryError`` on failure. ``key`` identifies the send (idempotency)."""

    def not_configured(self, what: str, setting: str) -> DeliveryError:
        return DeliveryError(
            f"Chưa cấu hình {self.label}: thiếu {what}",
            problem=Problem.CONFIG,
            hint=f"Đặt {setting} trong chiso-notify.toml hoặc biến môi trường tương ứng (docs/notify.md).",
        )
