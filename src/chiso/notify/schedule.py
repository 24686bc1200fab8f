"""When jobs are due: pure rules over Vietnam dates and the working-day calendar, no clock of their own.

An **occurrence** is one due moment of a job with a key (``2026-10-12`` for a daily job, ``2026-09`` for the
letter of September). The runner asks each rule for the occurrences due in a window ending now; whether one was
already handled is the ledger's business, so a restart simply asks again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from chiso.domain.periods import Period
from chiso.domain.times import VN_TZ
from chiso.workdays import WorkCalendar


@dataclass(frozen=True, order=True)
class Occurrence:
    due_at: datetime  # UTC
    job: str
    key: str


class Schedule(Protocol):
    def occurrences(self, job: str, start: datetime, end: datetime, calendar: WorkCalendar) -> list[Occurrence]:
        """Occurrences due after ``start`` and at or before ``end``, oldest first."""
        ...


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, VN_TZ).astimezone(UTC)


def _days(start: datetime, end: datetime) -> list[date]:
    first = start.astimezone(VN_TZ).date() - timedelta(days=1)
    last = end.astimezone(VN_TZ).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@dataclass(frozen=True)
class Daily:
    """Every day at ``at``, or only on working days (no weekend, no public holiday, make-up Saturdays included)."""

    at: time
    working_days_only: bool = False

    def occurrences(self, job: str, start: datetime, end: datetime, calendar: WorkCalendar) -> list[Occurrence]:
        out = []
        for day in _days(start, end):
            due = _at(day, self.at)
            if start < due <= end and (not self.working_days_only or calendar.is_working_day(day)):
                out.append(Occurrence(due, job, day.isoformat()))
        return out


@dataclass(frozen=True)
class AfterMonthEnd:
    """The previous month's job, on the first working day from ``day`` of the month, at ``at``.

    The portal closes a month's figures in the first days of the next one; the key is the month the job is
    about (``2026-09`` for the job due in early October).
    """

    at: time
    day: int = 3

    def occurrences(self, job: str, start: datetime, end: datetime, calendar: WorkCalendar) -> list[Occurrence]:
        out = []
        first = start.astimezone(VN_TZ).date().replace(day=1) - timedelta(days=1)
        month = first.replace(day=1)
        last = end.astimezone(VN_TZ).date()
        while month <= last:
            due = _at(calendar.next_working_day(month.replace(day=self.day), inclusive=True), self.at)
            about = Period.month(*(month.year, month.month)).previous()
            if start < due <= end:
                out.append(Occurrence(due, job, about.key))
            month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        return out
