"""Helpers of the notification tests: a store with real results, web users and a small dossier set at a
fixed moment (with applicant columns that must never come out), a frozen clock, and a notifier wired to fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from chiso.domain.times import VN_TZ
from chiso.notify.config import NotifyConfig
from chiso.notify.runner import Notifier
from chiso.workspace import Workspace
from tests.notify.fakes import TELEGRAM_TOKEN, WEBHOOK_SECRET, ZALO_TOKEN
from tests.web_support import local_files

# Monday 12 October 2026, 07:50 in Vietnam: after the 07:30 brief and the 07:45 alerts
MONDAY = datetime(2026, 10, 12, 7, 50, tzinfo=VN_TZ).astimezone(UTC)
APPLICANT = "Nguyễn Thị Bích Hạnh"
ID_NUMBER = "079123456789"
PHONE = "0912345678"


class FrozenClock:
    """The only time the code under test sees; moved by hand, never by waiting."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def dossier_files(folder: Path, now: datetime) -> list[Path]:
    """tests.web_support's units, procedures and dossiers at ``now``, the dossiers with applicant columns added."""
    files = local_files(folder, now=now.astimezone(VN_TZ))
    dossiers = files[2]
    lines = dossiers.read_text(encoding="utf-8").splitlines()
    private = f",{APPLICANT},{ID_NUMBER},{PHONE}"
    lines = [lines[0] + ",Chủ hồ sơ,Số CCCD,Số điện thoại"] + [line + private for line in lines[1:]]
    dossiers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return files


def notify_config(url: str, tmp_path: Path, **extra: object) -> NotifyConfig:
    values: dict = {
        "base_url": "https://chiso.example.gov.vn",
        "data_dir": str(tmp_path / "chiso-web"),
        "letter_pdf": False,
        "telegram": {"token": TELEGRAM_TOKEN, "base_url": url},
        "zalo": {"access_token": ZALO_TOKEN, "base_url": url},
        "webhook": {"secret": WEBHOOK_SECRET},
    }
    values.update(extra)
    return NotifyConfig(**values)


def notifier(db: Path, config: NotifyConfig, clock: FrozenClock) -> Notifier:
    """A notifier on its own workspace (a new one plays a restarted process)."""
    return Notifier(Workspace(db=db), config, clock=clock)
