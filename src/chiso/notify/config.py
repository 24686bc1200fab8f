"""Settings of the channels and the schedule: ``chiso-notify.toml`` (or the file named by ``CHISO_NOTIFY_CONFIG``),
then environment variables, which win. Secrets are ``SecretStr``: printing the settings never shows them.

Example (docs/notify.md has every key)::

    base_url = "https://chiso.ubnd.example.gov.vn"   # links in messages

    [telegram]
    token = "123456:ABC…"            # or CHISO_TELEGRAM_TOKEN

    [email]
    host = "mail.example.gov.vn"
    security = "starttls"            # starttls (587) | ssl (465) | none (an office relay on port 25)
    username = "chiso@example.gov.vn"
    password = "…"                   # or CHISO_SMTP_PASSWORD
    sender = "chiso <chiso@example.gov.vn>"

    [schedule]
    brief = "07:30"                  # every day ("off" to stop)
    alerts = "07:45"                 # each working morning
    letter = "08:00"
    letter_day = 3                   # the letter draft of month M-1 on the first working day from day 3 of M
    fetch = "06:30"                  # the daily fetch of the portal's results (needs [fetch] province)

    [fetch]
    province = "H44"                 # or CHISO_FETCH_PROVINCE
"""

from __future__ import annotations

import os
import stat
import tomllib
from datetime import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from chiso.errors import ChisoError

DEFAULT_FILE = "chiso-notify.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _http_url(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip().rstrip("/")
    if not text.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return text


class TelegramConfig(_Section):
    token: SecretStr | None = Field(None, description="the bot's token from @BotFather")
    base_url: str = Field("https://api.telegram.org", description="Bot API address (a proxy, a test server)")
    timeout: float = Field(20, gt=0)

    _url = field_validator("base_url")(classmethod(lambda cls, v: _http_url(v)))


class ZaloConfig(_Section):
    access_token: SecretStr | None = Field(None, description="the Official Account's access token")
    base_url: str = Field("https://openapi.zalo.me", description="OA API address")
    message_type: Literal["cs", "transaction"] = Field("cs", description="v3 message kind: cs or transaction")
    template_type: str = Field("transaction_event", description="template of transaction messages")
    max_chars: int = Field(2000, ge=200, description="longest text sent (Zalo's limit for a text message)")
    app_id: str | None = Field(None, description="the app's id, to refresh the access token")
    secret_key: SecretStr | None = Field(None, description="the app's secret key, to refresh the access token")
    refresh_token: SecretStr | None = Field(None, description="a refresh token (rotated tokens are kept in the store)")
    oauth_url: str = Field("https://oauth.zaloapp.com", description="OAuth server that refreshes tokens")
    timeout: float = Field(20, gt=0)

    _urls = field_validator("base_url", "oauth_url")(classmethod(lambda cls, v: _http_url(v)))


class EmailConfig(_Section):
    host: str | None = None
    port: int | None = Field(None, ge=1, le=65535, description="default: 587 starttls, 465 ssl, 25 none")
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    sender: str | None = Field(None, description="From: address; default the username")
    ca_file: str | None = Field(None, description="a CA certificate to trust (an office relay's own certificate)")
    timeout: float = Field(30, gt=0)
    max_attachment_mb: float = Field(20, gt=0, description="larger letter files are linked, not attached")

    @property
    def effective_port(self) -> int:
        return self.port or {"starttls": 587, "ssl": 465, "none": 25}[self.security]


class WebhookConfig(_Section):
    secret: SecretStr | None = Field(None, description="HMAC-SHA256 key shared with the receiver")
    timeout: float = Field(20, gt=0)


class ScheduleConfig(BaseModel):
    """Times of day (Vietnam time) of each job kind; "off" stops a kind. Other job kinds may add their keys."""

    model_config = ConfigDict(extra="allow", frozen=True)

    brief: str = "07:30"
    brief_days: Literal["every", "working"] = "every"
    alerts: str = "07:45"
    alert_hours: float = Field(16, gt=0, le=720, description="'due soon': within this many working hours")
    letter: str = "08:00"
    letter_day: int = Field(3, ge=1, le=28, description="day of the month from which last month's letter is due")

    def time_of(self, job: str, default: str | None = None) -> time | None:
        """The time of day of ``job``; None when it is off (or has no time and no default)."""
        raw = getattr(self, job, None) if job in type(self).model_fields else (self.model_extra or {}).get(job)
        text = str(raw if raw is not None else (default or "off")).strip().lower()
        if text in ("off", "tắt", "", "none"):
            return None
        try:
            hour, minute = (int(x) for x in text.split(":"))
            return time(hour, minute)
        except ValueError as exc:
            raise ChisoError(
                f"Giờ chạy không hợp lệ của '{job}': {raw}", hint="Viết HH:MM, ví dụ 07:30, hoặc off để tắt."
            ) from exc


class FetchConfig(_Section):
    """The daily fetch of the portal's results by the scheduler (``chiso fetch`` run for you)."""

    province: str | None = Field(None, description="the province's portal code, e.g. H44; unset: no daily fetch")
    scope: Literal["all", "agencies", "communes"] = "all"
    national: bool = Field(False, description="also keep the 34 provinces' list")
    base_url: str | None = Field(None, description="the portal's address (default https://dichvucong.gov.vn)")

    _url = field_validator("base_url")(classmethod(lambda cls, v: _http_url(v)))


class RetryConfig(_Section):
    attempts: int = Field(5, ge=1, le=20, description="tries of one send, the first included")
    backoff_minutes: tuple[float, ...] = Field((1, 5, 15, 60), description="wait before each retry (last repeats)")


class NotifyConfig(_Section):
    base_url: str | None = Field(None, description="the chiso server as its readers reach it, for links")
    data_dir: str | None = Field(None, description="where letter drafts go (default: chiso-web beside the store)")
    letter_pdf: bool = Field(True, description="convert letter drafts to PDF with LibreOffice when present")
    telegram: TelegramConfig = TelegramConfig()
    zalo: ZaloConfig = ZaloConfig()
    email: EmailConfig = EmailConfig()
    webhook: WebhookConfig = WebhookConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    fetch: FetchConfig = FetchConfig()
    retry: RetryConfig = RetryConfig()
    source_file: str | None = Field(None, exclude=True)
    warnings: tuple[str, ...] = Field((), exclude=True)

    _url = field_validator("base_url")(classmethod(lambda cls, v: _http_url(v)))

    def configured(self) -> dict[str, bool]:
        """Which channels have what they need to send (never the values)."""
        return {
            "telegram": self.telegram.token is not None,
            "zalo": self.zalo.access_token is not None or self.zalo.refresh_token is not None,
            "email": bool(self.email.host and (self.email.sender or self.email.username)),
            "webhook": self.webhook.secret is not None,
        }

    def secrets(self) -> list[str]:
        """Every secret value, to be removed from anything logged or shown."""
        values = [self.telegram.token, self.zalo.access_token, self.zalo.secret_key, self.zalo.refresh_token,
                  self.email.password, self.webhook.secret]  # fmt: skip
        return [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]


# environment variable → (section, key); they win over the file
ENV = {
    "CHISO_PUBLIC_URL": (None, "base_url"),
    "CHISO_NOTIFY_DATA_DIR": (None, "data_dir"),
    "CHISO_TELEGRAM_TOKEN": ("telegram", "token"),
    "CHISO_TELEGRAM_URL": ("telegram", "base_url"),
    "CHISO_ZALO_ACCESS_TOKEN": ("zalo", "access_token"),
    "CHISO_ZALO_URL": ("zalo", "base_url"),
    "CHISO_ZALO_MESSAGE_TYPE": ("zalo", "message_type"),
    "CHISO_ZALO_APP_ID": ("zalo", "app_id"),
    "CHISO_ZALO_SECRET_KEY": ("zalo", "secret_key"),
    "CHISO_ZALO_REFRESH_TOKEN": ("zalo", "refresh_token"),
    "CHISO_ZALO_OAUTH_URL": ("zalo", "oauth_url"),
    "CHISO_SMTP_HOST": ("email", "host"),
    "CHISO_SMTP_PORT": ("email", "port"),
    "CHISO_SMTP_SECURITY": ("email", "security"),
    "CHISO_SMTP_USER": ("email", "username"),
    "CHISO_SMTP_PASSWORD": ("email", "password"),
    "CHISO_SMTP_FROM": ("email", "sender"),
    "CHISO_WEBHOOK_SECRET": ("webhook", "secret"),
    "CHISO_FETCH_PROVINCE": ("fetch", "province"),
    "CHISO_PORTAL_URL": ("fetch", "base_url"),
}
_SECRET_KEYS = {"token", "access_token", "secret_key", "refresh_token", "password", "secret"}


def config_path() -> Path:
    return Path(os.environ.get("CHISO_NOTIFY_CONFIG", DEFAULT_FILE))


def load_notify_config(path: Path | None = None, env: dict[str, str] | None = None) -> NotifyConfig:
    """The notification settings from the file (if any) and the environment."""
    source = path or config_path()
    environ = os.environ if env is None else env
    values: dict[str, Any] = {}
    warnings: list[str] = []
    if source.is_file():
        try:
            values = tomllib.loads(source.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ChisoError(f"Không đọc được tệp cấu hình thông báo {source}", detail=str(exc)) from exc
        if _has_secret(values) and _readable_by_others(source):
            warnings.append(
                f"Tệp {source} chứa mã bí mật nhưng mọi người dùng trên máy đều đọc được; "
                f"hãy chạy: chmod 600 {source}"
            )
    for var, (section, key) in ENV.items():
        if environ.get(var):
            target = values if section is None else values.setdefault(section, {})
            target[key] = environ[var]
    try:
        config = NotifyConfig(**values)
    except ValidationError as exc:
        raise ChisoError(
            "Cấu hình thông báo không hợp lệ",
            detail="; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()),
            hint=f"Kiểm tra {source} và các biến môi trường CHISO_TELEGRAM_*, CHISO_ZALO_*, CHISO_SMTP_*, "
            "CHISO_WEBHOOK_SECRET (docs/notify.md).",
        ) from exc
    return config.model_copy(update={"source_file": str(source) if source.is_file() else None,
                                     "warnings": tuple(warnings)})  # fmt: skip


def _has_secret(values: dict[str, Any]) -> bool:
    return any(isinstance(v, dict) and _SECRET_KEYS & set(v) for v in values.values())


def _readable_by_others(path: Path) -> bool:
    try:
        return bool(path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH)) and os.name == "posix"
    except OSError:
        return False
