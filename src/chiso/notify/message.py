"""What a channel sends: a title, a short plain text, an optional link and files, and facts for machines."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chiso.errors import ChisoError
from chiso.formatting import nfc


class NothingToSendError(ChisoError):
    """The job has nothing to say for this unit today (no dossier overdue, say): recorded as skipped."""


@dataclass(frozen=True)
class Message:
    job: str
    title: str  # e-mail subject, webhook title
    text: str  # the whole message for chat apps: Vietnamese, NFC, short enough for a phone
    unit: str | None = None
    unit_name: str = ""
    link: str | None = None  # a page of the chiso server (only when its base URL is configured)
    attachments: tuple[Path, ...] = ()
    facts: dict[str, Any] = field(default_factory=dict)  # figures and codes for webhooks; never personal data

    def __post_init__(self) -> None:
        object.__setattr__(self, "title", nfc(self.title))
        object.__setattr__(self, "text", nfc(self.text))

    def body(self, limit: int | None = None) -> str:
        """The text with the link on its last line, cut to ``limit`` characters (the link is kept)."""
        tail = f"\n\nXem chi tiết: {self.link}" if self.link else ""
        text = self.text
        if limit is not None and len(text) + len(tail) > limit:
            text = text[: max(limit - len(tail) - 1, 0)].rstrip() + "…"
        return text + tail
