"""Kinds of scheduled jobs. Pluggable: ``register`` a new kind and the runner, ``chiso serve`` and
``chiso notify run-due`` pick it up.

* A ``MessageJob`` sends a message to each subscription that asked for it (the leader brief, the alerts, the
  letter draft); its idempotency key is event + recipient.
* An ``ActionJob`` runs once per occurrence with no recipient (e.g. a daily fetch of the portal's results):
  the daily fetch of the portal's results below — its time of day comes from ``[schedule] fetch = "06:30"``
  ("off" stops it), and its runs are recorded in the same ledger, with the same retries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from chiso.errors import ChisoError
from chiso.notify import content
from chiso.notify.config import NotifyConfig
from chiso.notify.schedule import AfterMonthEnd, Daily, Schedule
from chiso.workspace import Workspace

ScheduleOf = Callable[[NotifyConfig], Schedule | None]


@dataclass(frozen=True)
class Job:
    name: str
    label: str  # Vietnamese, for people
    grace: timedelta  # an occurrence missed for longer than this (server down) is not sent late
    schedule: ScheduleOf


@dataclass(frozen=True)
class MessageJob(Job):
    build: content.Builder


@dataclass(frozen=True)
class ActionJob(Job):
    action: Callable[[Workspace, NotifyConfig, str], str]  # (workspace, settings, occurrence) → a line for the log
    at_least_once: bool = True  # safe to run again after an interrupted run (a fetch is idempotent)


JOBS: dict[str, Job] = {}
ALIASES = {"ban-tin": "brief", "bản-tin": "brief", "canh-bao": "alerts", "cảnh-báo": "alerts",
           "cong-van": "letter", "công-văn": "letter"}  # fmt: skip


def register(job: Job) -> Job:
    JOBS[job.name] = job
    return job


def message_jobs() -> list[MessageJob]:
    return [j for j in JOBS.values() if isinstance(j, MessageJob)]


def parse_jobs(text: str) -> tuple[str, ...]:
    """``brief,alerts`` (or Vietnamese ``ban-tin,canh-bao,cong-van``) → the job names, checked."""
    wanted = [ALIASES.get(w.strip().lower(), w.strip().lower()) for w in text.split(",") if w.strip()]
    names = {j.name for j in message_jobs()}
    unknown = [w for w in wanted if w not in names]
    if not wanted or unknown:
        raise ChisoError(
            f"Loại tin không hợp lệ: {', '.join(unknown) or text!r}",
            hint="Chọn một hoặc nhiều trong: " + ", ".join(f"{j.name} ({j.label})" for j in message_jobs()),
        )
    return tuple(dict.fromkeys(wanted))


def daily(name: str, default: str | None = None, working: Callable[[NotifyConfig], bool] = lambda c: False
          ) -> ScheduleOf:  # fmt: skip
    """Every day (or working day) at ``[schedule] <name>`` (else ``default``); off when neither is set."""

    def schedule(config: NotifyConfig) -> Schedule | None:
        at = config.schedule.time_of(name, default)
        return None if at is None else Daily(at, working_days_only=working(config))

    return schedule


def _letter(config: NotifyConfig) -> Schedule | None:
    at = config.schedule.time_of("letter")
    return None if at is None else AfterMonthEnd(at, config.schedule.letter_day)


register(MessageJob("brief", "bản tin cho lãnh đạo", timedelta(hours=12),
                    daily("brief", working=lambda c: c.schedule.brief_days == "working"), content.brief))
register(MessageJob("alerts", "hồ sơ quá hạn, sắp đến hạn", timedelta(hours=8), daily("alerts", working=lambda c: True),
                    content.alerts))
register(MessageJob("letter", "dự thảo công văn hằng tháng", timedelta(days=5), _letter, content.letter))


def _fetch_schedule(config: NotifyConfig) -> Schedule | None:
    """Every day at ``[schedule] fetch`` (default 06:30) once a province is set in ``[fetch]``."""
    return daily("fetch", "06:30")(config) if config.fetch.province else None


def _fetch(ws: Workspace, config: NotifyConfig, occurrence: str) -> str:
    """One ``chiso fetch`` of the configured province for the current year; a failed or partial capture is an
    error (retried with the ledger's backoff) and never replaces the last complete one (docs/portal.md)."""
    f = config.fetch
    report = ws.fetch_portal(str(f.province), scope=f.scope, national=f.national, base_url=f.base_url)
    if not report.ok:
        raise ChisoError(
            f"Lấy kết quả từ Cổng DVCQG chưa xong ({report.status})",
            detail="; ".join(report.missing[:5]),
        )
    return f"Cổng DVCQG, {report.province} {report.period.label}: " + (
        "đã lưu lần lấy mới" if report.status == "published" else "số liệu không đổi"
    )


register(ActionJob("fetch", "lấy kết quả từ Cổng DVCQG", timedelta(hours=6), _fetch_schedule, _fetch))
