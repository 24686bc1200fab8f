"""Keep secrets out of logs and messages.

Tokens travel in URLs (Telegram puts the bot token in the path) and headers, and the HTTP client logs every
request's URL at INFO. ``protect_logs`` registers the configured secrets and installs a filter on the HTTP
client's and chiso's loggers that rewrites any record containing one; ``redact`` does the same for a text we
build (an error's detail). Both replace a secret, raw or URL-encoded, with ``***``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from urllib.parse import quote

MASK = "***"
MIN_LENGTH = 4  # shorter values would mask ordinary words
LOGGERS = ("httpx2", "httpx", "httpcore2", "httpcore", "chiso", "chiso.notify")

_secrets: set[str] = set()
_lock = threading.Lock()


def _forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote(secret)}


def redact(text: str | None, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret (given, or registered by ``protect_logs``) replaced by ``***``."""
    if not text:
        return ""
    with _lock:
        known = set(_secrets)
    out = str(text)
    for secret in sorted(known | {s for s in secrets if s and len(s) >= MIN_LENGTH}, key=len, reverse=True):
        for form in sorted(_forms(secret), key=len, reverse=True):
            out = out.replace(form, MASK)
    return out


class RedactingFilter(logging.Filter):
    """Rewrites a log record that contains a registered secret (message and arguments merged)."""

    def filter(self, record: logging.LogRecord) -> bool:
        with _lock:
            empty = not _secrets
        if empty:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the logging module
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = RedactingFilter()


def protect_logs(secrets: Iterable[str]) -> None:
    """Register ``secrets`` and make sure the loggers that could print them are filtered."""
    with _lock:
        _secrets.update(s for s in secrets if s and len(s) >= MIN_LENGTH)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    for name in list(logging.root.manager.loggerDict):  # the HTTP core library logs on child loggers
        if name.startswith(("httpcore", "httpx")):
            logger = logging.getLogger(name)
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)
