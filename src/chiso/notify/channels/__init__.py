"""The channels, by name: ``telegram``, ``zalo``, ``email``, ``webhook``."""

from __future__ import annotations

from chiso.errors import ChisoError
from chiso.notify.channels.base import Channel, Clock, Delivery, DeliveryError, Problem, TokenStore, utc_now
from chiso.notify.channels.mail import Email
from chiso.notify.channels.telegram import Telegram
from chiso.notify.channels.webhook import Webhook
from chiso.notify.channels.zalo import Zalo
from chiso.notify.config import NotifyConfig

CHANNELS: dict[str, type[Channel]] = {c.name: c for c in (Telegram, Zalo, Email, Webhook)}

__all__ = ["CHANNELS", "Channel", "Delivery", "DeliveryError", "Problem", "channel_class", "make_channels"]


def channel_class(name: str) -> type[Channel]:
    try:
        return CHANNELS[name.strip().lower()]
    except KeyError:
        raise ChisoError(f"Không có kênh '{name}'", hint=f"Chọn một trong: {', '.join(CHANNELS)}.") from None


def make_channels(config: NotifyConfig, tokens: TokenStore | None = None, clock: Clock = utc_now
                  ) -> dict[str, Channel]:  # fmt: skip
    return {name: cls(config, tokens, clock) for name, cls in CHANNELS.items()}
