"""Working days, office hours and deadlines (``NgayHenTra``) of one-stop dossiers.

The rules follow the one-stop systems (``docs/calendar.md``, ``data-formats.md`` §2.2 and §5):

* working days are Monday–Friday (and Saturday for centres configured so), minus the public holidays of
  ``holidays.Vietnam`` (with its observed days off), plus its make-up Saturdays (``weekend_workdays``); a local
  override table is applied last;
* office hours are half-day sessions in Vietnam time, by default 07:00–11:30 and 13:30–17:00 (8 h = one working day);
* a deadline is the earliest instant at which the processing time has elapsed, counted from the reception time
  (after the last session: the next working morning; before the first one: its start; at lunch: the afternoon).

Every instant is handled internally as whole microseconds of Vietnam local time (UTC+7, no daylight saving), so
the scalar methods and the vectorised ``*_many`` methods give identical results. Inputs may be aware datetimes in any
zone or naive datetimes (read as Vietnam time); results are aware UTC datetimes (``numpy.datetime64[us]`` in UTC for
the vectorised methods).
"""

from __future__ import annotations

import calendar as _calendar
import csv
import io
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import holidays
import numpy as np

from chiso.domain.times import VN_TZ
from chiso.errors import InputFileError

Unit = Literal["working_day", "day", "hour", "month"]
"""Canonical processing-time units of the procedure catalogue (``DonViTinh`` / ``LoaiThoiGian``)."""

UNITS: tuple[Unit, ...] = ("working_day", "day", "hour", "month")
OverrideKind = Literal["off", "work"]

MIN_YEAR = 1970
"""First year the calendar handles; earlier instants are refused (scalar) or give NaT (vectorised)."""
MAX_YEAR = 2100
"""Last year the calendar handles (``holidays`` knows the lunar holidays up to 2100); deadlines beyond it are refused
(scalar) or give NaT (vectorised)."""

MAX_AMOUNT = 1_000_000.0
"""Largest amount accepted in any unit (larger amounts are refused, or NaT when vectorised)."""

_US = 1_000_000
_HOUR_US = 3600 * _US
_DAY_US = 86_400 * _US
_VN_OFFSET_US = 7 * _HOUR_US
_EPOCH_DATE = date(1970, 1, 1)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_NAT = np.iinfo(np.int64).min
_UNIT_CODES: dict[Unit, int] = {u: i for i, u in enumerate(UNITS)}
_NO_UNIT = -1


# ---------------------------------------------------------------------------------------------------------------
# Text helpers


def _fold(text: str) -> str:
    """Fold for matching: lower case, no diacritics, ``_``/``-`` as spaces (``Ngày làm_việc`` → ``ngay lam viec``)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[_\-]+", " ", bare.lower()).split())


_UNIT_ALIASES: dict[str, Unit] = {
    "ngay lam viec": "working_day",
    "working day": "working_day",
    "working days": "working_day",
    "workday": "working_day",
    "workdays": "working_day",
    "ngay": "day",
    "day": "day",
    "days": "day",
    "calendar day": "day",
    "calendar days": "day",
    "gio": "hour",
    "gio lam viec": "hour",
    "hour": "hour",
    "hours": "hour",
    "working hour": "hour",
    "working hours": "hour",
    "thang": "month",
    "month": "month",
    "months": "month",
}


def parse_unit(value: str) -> Unit:
    """The canonical unit of a catalogue unit, Vietnamese or English, diacritics-insensitive.

    ``'Ngày làm việc'``/``'working_day'`` → ``'working_day'``; ``'Ngày'``/``'day'`` → ``'day'`` (calendar days);
    ``'Giờ'``/``'hour'`` → ``'hour'`` (working hours); ``'Tháng'``/``'month'`` → ``'month'``.

    Raises:
        ValueError: the text is not a known unit (message in Vietnamese).
    """
    unit = _UNIT_ALIASES.get(_fold(str(value))) if value is not None else None
    if unit is None:
        raise ValueError(
            f"Đơn vị thời gian xử lý không hợp lệ: {value!r}. "
            "Cần một trong: 'Ngày làm việc', 'Ngày', 'Giờ', 'Tháng' (hoặc working_day, day, hour, month)."
        )
    return unit


_CLOCK = re.compile(r"^(\d{1,2})(?:[:hH](\d{2})?)?$")


def _parse_clock(text: str) -> time:
    m = _CLOCK.match(text.strip())
    if not m:
        raise ValueError(f"Giờ không hợp lệ: {text!r} (cần dạng HH:MM, ví dụ 07:30).")
    hour, minute = int(m[1]), int(m[2] or 0)
    if hour > 23 or minute > 59:
        raise ValueError(f"Giờ không hợp lệ: {text!r} (giờ 0–23, phút 0–59).")
    return time(hour, minute)


def _clock_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * _US + t.microsecond


# ---------------------------------------------------------------------------------------------------------------
# Office hours and overrides


@dataclass(frozen=True)
class OfficeHours:
    """The half-day sessions of an office day, in Vietnam local time.

    The default is the one-stop systems' 07:00–11:30 and 13:30–17:00, i.e. 8 h, which is one working day: the
    systems hold deadlines in hours with 1 day = 8 h, so a fractional working day is that share of the office day
    (0.5 day = 4 working hours with the default sessions).
    """

    sessions: tuple[tuple[time, time], ...] = ((time(7, 0), time(11, 30)), (time(13, 30), time(17, 0)))

    def __post_init__(self) -> None:
        sessions = tuple((start, end) for start, end in self.sessions)
        if not sessions:
            raise ValueError("Giờ làm việc phải có ít nhất một buổi.")
        previous_end: time | None = None
        for start, end in sessions:
            if not (isinstance(start, time) and isinstance(end, time)) or start.tzinfo or end.tzinfo:
                raise ValueError(f"Buổi làm việc không hợp lệ: {start!r}–{end!r} (cần giờ địa phương, không múi giờ).")
            if start >= end:
                raise ValueError(f"Buổi làm việc {start:%H:%M}–{end:%H:%M}: giờ bắt đầu phải trước giờ kết thúc.")
            if previous_end is not None and start < previous_end:
                raise ValueError(
                    f"Buổi làm việc {start:%H:%M}–{end:%H:%M} chồng lên hoặc đứng trước buổi trước; "
                    "các buổi phải theo thứ tự và không chồng nhau."
                )
            previous_end = end
        object.__setattr__(self, "sessions", sessions)

    @classmethod
    def parse(cls, text: str) -> OfficeHours:
        """Read ``'07:00-11:30,13:30-17:00'`` (separators ``,`` or ``;``; ``7h30`` and ``7:30`` both accepted)."""
        sessions = []
        for part in re.split(r"[,;]", text):
            if not part.strip():
                continue
            pieces = re.split(r"\s*[-–]\s*", part.strip())
            if len(pieces) != 2:
                raise ValueError(f"Buổi làm việc không hợp lệ: {part.strip()!r} (cần dạng 07:00-11:30).")
            sessions.append((_parse_clock(pieces[0]), _parse_clock(pieces[1])))
        return cls(tuple(sessions))

    @property
    def day_seconds(self) -> int:
        """Office seconds in one working day (28 800 = 8 h with the default sessions)."""
        return sum(_clock_us(end) - _clock_us(start) for start, end in self.sessions) // _US

    @property
    def offsets_us(self) -> tuple[tuple[int, int], ...]:
        """The sessions as microseconds since local midnight."""
        return tuple((_clock_us(start), _clock_us(end)) for start, end in self.sessions)

    def __str__(self) -> str:
        return ",".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in self.sessions)


@dataclass(frozen=True)
class Override:
    """A local correction of the holiday calendar: an extra day off, or a make-up working day (ngày làm bù)."""

    day: date
    kind: OverrideKind
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("off", "work"):
            raise ValueError(f"Loại ngày không hợp lệ: {self.kind!r} (cần 'off' hoặc 'work').")
        if isinstance(self.day, datetime) or not isinstance(self.day, date):
            raise ValueError(f"Ngày không hợp lệ: {self.day!r} (cần một ngày, không kèm giờ).")


# ---------------------------------------------------------------------------------------------------------------
# Instants as microseconds of Vietnam local time


def _local_us(moment: datetime) -> int:
    """Microseconds of Vietnam local time since 1970-01-01 00:00 local; naive values are Vietnam time."""
    if not isinstance(moment, datetime):
        raise TypeError(f"expected a datetime, got {type(moment).__name__}")
    if moment.tzinfo is not None:
        moment = moment.astimezone(VN_TZ).replace(tzinfo=None)
    return (moment - _EPOCH_NAIVE) // timedelta(microseconds=1)


def _utc(local_us: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=local_us - _VN_OFFSET_US)


def _day_date(day_index: int) -> date:
    return _EPOCH_DATE + timedelta(days=day_index)


def _date_index(d: date) -> int:
    return (d - _EPOCH_DATE).days


def _local_date(d: date) -> date:
    if isinstance(d, datetime):
        return _day_date(_local_us(d) // _DAY_US)
    return d


_MIN_DAY = _date_index(date(MIN_YEAR, 1, 1))
_MAX_DAY = _date_index(date(MAX_YEAR, 12, 31))


def _check_year(local_us: int) -> None:
    if not _MIN_DAY <= local_us // _DAY_US <= _MAX_DAY:
        raise ValueError(f"Thời điểm ngoài phạm vi lịch làm việc (năm {MIN_YEAR}–{MAX_YEAR}).")


def _amount(value: int | float | Decimal) -> float:
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"Thời gian xử lý không hợp lệ: {value!r} (cần một số không âm).")
    if number > MAX_AMOUNT:
        raise ValueError(f"Thời gian xử lý quá lớn: {value!r} (tối đa {MAX_AMOUNT:,.0f}).")
    return number


def _add_months(d: date, months: int) -> date:
    if not months:
        return d
    total = d.year * 12 + d.month - 1 + months
    year, month = divmod(total, 12)
    last = _calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(d.day, last))


_MONTH_LENGTHS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _civil_from_days(day: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) of day indices since 1970-01-01, in integer arithmetic (H. Hinnant's algorithm)."""
    z = day + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    dom = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (month <= 2), month, dom


def _days_from_civil(year: np.ndarray, month: np.ndarray, dom: np.ndarray) -> np.ndarray:
    """Day indices since 1970-01-01 of (year, month, day), the inverse of ``_civil_from_days``."""
    year = year - (month <= 2)
    era = year // 400
    yoe = year - era * 400
    doy = (153 * ((month + 9) % 12) + 2) // 5 + dom - 1
    return era * 146_097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719_468


def _add_months_np(day: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Day indices ``months`` calendar months later, the day of month clamped to the month's end (``_add_months``)."""
    year, month, dom = _civil_from_days(day)
    total = year * 12 + month - 1 + months
    year, month = total // 12, total % 12 + 1
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    length = _MONTH_LENGTHS[month - 1] + ((month == 2) & leap)
    return _days_from_civil(year, month, np.minimum(dom, length))


# ---------------------------------------------------------------------------------------------------------------
# The vectorised timeline


@dataclass(frozen=True)
class _Timeline:
    """The working days of the local years ``first``–``last``, for whole-array arithmetic.

    Every working day has the same sessions, so the office time elapsed since the span start is
    ``working days before the day × day length + office time of the day before the clock time``, and its inverse is a
    lookup of the n-th working day: no search over millions of rows.
    """

    first: int
    last: int
    day0: int  # absolute day index (days since 1970-01-01) of the span's first day
    work: np.ndarray  # per day of the span: a working day
    before: np.ndarray  # per day of the span: working days of the span strictly before it
    next_working: np.ndarray  # per day of the span: absolute index of the first working day on or after it, or -1
    working_days: np.ndarray  # absolute indices of the span's working days
    starts: tuple[int, ...]  # session starts, microseconds after midnight
    ends: tuple[int, ...]
    day_us: int

    def covers(self, first: int, last: int) -> bool:
        return self.first <= first and last <= self.last

    def _span_index(self, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        i = day - self.day0
        outside = (i < 0) | (i >= len(self.work))
        return np.clip(i, 0, len(self.work) - 1), outside

    def _office_in_day(self, clock: np.ndarray) -> np.ndarray:
        total = np.zeros(clock.shape, dtype=np.int64)
        for start, end in zip(self.starts, self.ends, strict=True):
            total += np.clip(clock - start, 0, end - start)
        return total

    def elapsed(self, local: np.ndarray) -> np.ndarray:
        """Office microseconds from the span start to each instant (instants inside the span)."""
        day = local // _DAY_US
        i, _ = self._span_index(day)
        within = np.where(self.work[i], self._office_in_day(local - day * _DAY_US), 0)
        return self.before[i] * self.day_us + within

    def next_office(self, local: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The first office instant at or after each instant, and where the span was too short."""
        day = local // _DAY_US
        clock = local - day * _DAY_US
        i, over = self._span_index(day)
        later_start = np.full(local.shape, -1, dtype=np.int64)  # start of the first session ending after the clock
        for start, end in reversed(tuple(zip(self.starts, self.ends, strict=True))):
            later_start = np.where(clock < end, start, later_start)
        today = self.work[i] & (later_start >= 0)
        following, over_next = self.working_on_or_after(day + 1)
        result = np.where(today, np.maximum(local, day * _DAY_US + later_start), following * _DAY_US + self.starts[0])
        return result, over | (~today & over_next)

    def at_elapsed(self, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The earliest instant at which ``target`` (> 0) office microseconds have elapsed since the span start."""
        q = (target - 1) // self.day_us  # the working day on which it is reached
        rest = target - q * self.day_us  # office time of that day, in (0, day_us]
        over = (q < 0) | (q >= len(self.working_days))
        day = self.working_days[np.clip(q, 0, len(self.working_days) - 1)]
        clock = np.zeros(target.shape, dtype=np.int64)
        done = 0
        reached = np.zeros(target.shape, dtype=bool)
        for start, end in zip(self.starts, self.ends, strict=True):
            here = ~reached & (rest <= done + end - start)
            clock = np.where(here, start + rest - done, clock)
            reached |= here
            done += end - start
        return day * _DAY_US + clock, over

    def working_on_or_after(self, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        i, over = self._span_index(day)
        found = self.next_working[i]
        return found, over | (found < 0)


# ---------------------------------------------------------------------------------------------------------------
# The calendar


class WorkCalendar:
    """Working days and office hours of a one-stop centre, and the deadlines they give.

    Args:
        overrides: local corrections applied last (a later override of the same day wins).
        hours: the office sessions (Vietnam local time).
        saturday_working: the centre also works on Saturdays that are not public holidays.
    """

    def __init__(
        self,
        overrides: Iterable[Override] = (),
        hours: OfficeHours | None = None,
        saturday_working: bool = False,
    ) -> None:
        self.overrides: tuple[Override, ...] = tuple(overrides)
        self.hours: OfficeHours = hours if hours is not None else OfficeHours()
        self.saturday_working = saturday_working
        self._override_kind: dict[date, OverrideKind] = {o.day: o.kind for o in self.overrides}
        self._holidays = holidays.Vietnam()
        self._holidays_vi: holidays.HolidayBase | None = None
        self._sessions_us = self.hours.offsets_us
        self._day_us = self.hours.day_seconds * _US
        self._years_loaded: set[int] = set()
        self._timeline: _Timeline | None = None

    def __repr__(self) -> str:
        return (
            f"WorkCalendar(overrides={len(self.overrides)}, hours='{self.hours}', "
            f"saturday_working={self.saturday_working})"
        )

    # -- days ----------------------------------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` is a working day (a datetime is read as its Vietnam local date)."""
        d = _local_date(d)
        kind = self._override_kind.get(d)
        if kind is not None:
            return kind == "work"
        if d.year not in self._years_loaded:
            self._load_years(d.year)
        if d in self._holidays:
            return False
        if d in getattr(self._holidays, "weekend_workdays", ()):  # older `holidays` versions lack it
            return True
        weekday = d.weekday()
        return weekday < 5 or (weekday == 5 and self.saturday_working)

    def _load_years(self, year: int) -> None:
        """Load the holidays of ``year`` and its neighbours: a swap is listed under the year of the day off, so the
        make-up Saturday 2014-12-27 only appears in ``weekend_workdays`` once 2015 is loaded."""
        for neighbour in (year - 1, year, year + 1):
            if 1 <= neighbour <= 9999:
                _ = date(neighbour, 1, 1) in self._holidays  # a lookup loads the year (``expand=True``)
        self._years_loaded.add(year)

    def holiday_name(self, d: date) -> str | None:
        """The override note or the public holiday's name (Vietnamese) of a day that is not worked, else None."""
        d = _local_date(d)
        if self.is_working_day(d):
            return None
        for o in reversed(self.overrides):
            if o.day == d:
                return o.note or "nghỉ (bảng điều chỉnh)"
        if self._holidays_vi is None:
            self._holidays_vi = holidays.Vietnam(language="vi")
        name = self._holidays_vi.get(d)
        return name if name is not None else ("thứ Bảy" if d.weekday() == 5 else "Chủ nhật")

    def next_working_day(self, d: date, *, inclusive: bool = False) -> date:
        """The first working day after ``d`` (on or after it with ``inclusive=True``)."""
        d = _local_date(d)
        if not inclusive:
            d += timedelta(days=1)
        limit = date(MAX_YEAR, 12, 31)
        while not self.is_working_day(d):
            if d >= limit:
                raise ValueError(f"Không tìm thấy ngày làm việc nào trước năm {MAX_YEAR + 1}.")
            d += timedelta(days=1)
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """Working days ``d`` with ``a < d ≤ b`` (negative when ``b < a``), so that counts add up over intervals."""
        a, b = _local_date(a), _local_date(b)
        sign = 1
        if b < a:
            a, b, sign = b, a, -1
        count = 0
        d = a + timedelta(days=1)
        while d <= b:
            count += self.is_working_day(d)
            d += timedelta(days=1)
        return sign * count

    # -- scalar instants (local microseconds) -----------------------------------------------------------------------

    def _next_office_us(self, local: int) -> int:
        day = local // _DAY_US
        while True:
            if self.is_working_day(_day_date(day)):
                base = day * _DAY_US
                for start, end in self._sessions_us:
                    if base + end > local:
                        return max(base + start, local)
            day += 1
            _check_year(day * _DAY_US)

    def _walk_us(self, local: int, remaining: int) -> int:
        """The earliest instant at which ``remaining`` (> 0) office microseconds have elapsed since ``local``."""
        day = local // _DAY_US
        while True:
            if self.is_working_day(_day_date(day)):
                base = day * _DAY_US
                for start, end in self._sessions_us:
                    lo, hi = max(base + start, local), base + end
                    if hi > lo:
                        if remaining <= hi - lo:
                            return lo + remaining
                        remaining -= hi - lo
            day += 1
            _check_year(day * _DAY_US)

    def _office_us_between(self, a: int, b: int) -> int:
        if b < a:
            return -self._office_us_between(b, a)
        total = 0
        for day in range(a // _DAY_US, b // _DAY_US + 1):
            if self.is_working_day(_day_date(day)):
                base = day * _DAY_US
                for start, end in self._sessions_us:
                    lo, hi = max(base + start, a), min(base + end, b)
                    if hi > lo:
                        total += hi - lo
        return total

    def _apply_cutoff(self, local: int, cutoff_after: time | None) -> int:
        if cutoff_after is not None and local % _DAY_US > _clock_us(cutoff_after):
            return (local // _DAY_US + 1) * _DAY_US
        return local

    # -- scalar API -------------------------------------------------------------------------------------------------

    def add_working_time(
        self,
        start: datetime,
        amount: int | float | Decimal,
        unit: str,
        *,
        cutoff_after: time | None = None,
    ) -> datetime:
        """The deadline (NgayHenTra) of a dossier received at ``start`` with processing time ``amount`` ``unit``.

        Counting starts at the first office instant at or after ``start`` (after the last session: the next working
        morning; at lunch: the afternoon session). With ``cutoff_after`` (e.g. 15:00), a dossier received later in
        the day starts counting on the next working day.

        * working days / hours: the earliest instant at which that much office time has elapsed (1 day =
          ``hours.day_seconds``; 0.5 day = 4 h by default), so a deadline may fall at a session's end (17:00);
        * calendar days / months: the same clock time that many days / months later (day of month clamped to the
          month's end), moved to the next working day when it is not one. A fractional day is office time added to
          that deadline, capped at the deadline of one more day (so that more time never gives an earlier
          deadline); a fractional month is that share of the days of the month that follows.

        The amount is converted to a float then to whole microseconds (as the vectorised path does). A zero amount
        gives the start of counting.

        Raises:
            ValueError: unknown unit, negative or non-finite amount, or an instant outside ``MIN_YEAR``–``MAX_YEAR``.
        """
        kind = parse_unit(unit)
        value = _amount(amount)
        local = _local_us(start)
        _check_year(local)
        local = self._apply_cutoff(local, cutoff_after)
        begin = self._next_office_us(local)
        if kind in ("working_day", "hour"):
            office = round(value * (self._day_us if kind == "working_day" else _HOUR_US))
            return _utc(self._walk_us(begin, office) if office else begin)
        clock = begin % _DAY_US
        first = _day_date(begin // _DAY_US)
        if kind == "month":
            months = math.floor(value)
            share = value - months
            base = _add_months(first, months)
            rest = share * (_add_months(first, months + 1) - base).days if share > 0 else 0.0
        else:
            base, rest = first, value
        days = math.floor(rest)
        frac_us = round((rest - days) * self._day_us)
        due = self._same_clock_on_working_day(base + timedelta(days=days), clock)
        if frac_us:
            cap = self._same_clock_on_working_day(base + timedelta(days=days + 1), clock)
            due = min(self._walk_us(due, frac_us), cap)
        return _utc(due)

    def _same_clock_on_working_day(self, d: date, clock: int) -> int:
        if d.year > MAX_YEAR:
            raise ValueError(f"Hạn xử lý vượt quá năm {MAX_YEAR}.")
        return _date_index(self.next_working_day(d, inclusive=True)) * _DAY_US + clock

    def working_seconds_between(self, a: datetime, b: datetime) -> float:
        """Office seconds between two instants (negative when ``b`` is before ``a``)."""
        return self._office_us_between(_local_us(a), _local_us(b)) / _US

    def session_start(self, t: datetime) -> datetime:
        """The start of the half-day session containing the due time ``t`` (its end included).

        Outside office hours: the start of the last session that began at or before ``t`` that day, or ``t``
        itself before the first session. Used by the "half-day session" on-time variant (``data-formats.md`` §2.4).
        """
        local = _local_us(t)
        base = local // _DAY_US * _DAY_US
        result = local
        for start, _end in self._sessions_us:
            if base + start <= local:
                result = base + start
        return _utc(result)

    # -- vectorised API ---------------------------------------------------------------------------------------------

    def _timeline_for(self, first: int, last: int) -> _Timeline:
        if self._timeline is not None and self._timeline.covers(first, last):
            return self._timeline
        if self._timeline is not None:
            first, last = min(first, self._timeline.first), max(last, self._timeline.last)
        day0 = _date_index(date(first, 1, 1))
        days = _date_index(date(last, 12, 31)) - day0 + 1
        work = np.fromiter((self.is_working_day(_day_date(day0 + i)) for i in range(days)), dtype=bool, count=days)
        before = np.cumsum(work) - work
        index = np.where(work, np.arange(day0, day0 + days, dtype=np.int64), np.int64(2**62))
        next_working = np.minimum.accumulate(index[::-1])[::-1]
        next_working = np.where(next_working == 2**62, -1, next_working)
        working_days = np.flatnonzero(work).astype(np.int64) + day0
        self._timeline = _Timeline(
            first,
            last,
            day0,
            work,
            before.astype(np.int64),
            next_working,
            working_days,
            tuple(start for start, _ in self._sessions_us),
            tuple(end for _, end in self._sessions_us),
            self._day_us,
        )
        return self._timeline

    def _unit_codes(self, unit: str | np.ndarray | Sequence[Any], n: int) -> np.ndarray:
        if isinstance(unit, str):
            return np.full(n, _UNIT_CODES[parse_unit(unit)], dtype=np.int8)
        values = np.asarray(unit)
        if values.shape != (n,):
            values = np.broadcast_to(values, (n,))
        items = values.tolist()
        mapping = {v: self._unit_code(v) for v in set(items)}
        return np.fromiter((mapping[v] for v in items), dtype=np.int8, count=n)

    @staticmethod
    def _unit_code(value: Any) -> int:
        if value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == "":
            return _NO_UNIT
        return _UNIT_CODES[parse_unit(value)]

    @staticmethod
    def _local_array(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(local microseconds, valid mask) of a datetime64 array in UTC."""
        arr = np.asarray(values)
        if arr.dtype.kind != "M":
            raise TypeError(f"expected a numpy datetime64 array, got {arr.dtype}")
        raw = arr.astype("datetime64[us]").view(np.int64).reshape(-1)
        valid = raw != _NAT
        local = np.where(valid, raw + _VN_OFFSET_US, _MIN_DAY * _DAY_US)
        day = local // _DAY_US
        valid &= (day >= _MIN_DAY) & (day <= _MAX_DAY)
        return np.where(valid, local, _MIN_DAY * _DAY_US), valid

    def add_working_time_many(
        self,
        starts: np.ndarray,
        amounts: np.ndarray | float,
        unit: str | np.ndarray | Sequence[Any],
        *,
        cutoff_after: time | None = None,
    ) -> np.ndarray:
        """Vectorised :meth:`add_working_time`: deadlines of many dossiers, identical to the scalar results.

        Args:
            starts: reception instants, ``datetime64`` in UTC (any precision; NaT allowed).
            amounts: processing times (float; broadcast against ``starts``).
            unit: one unit for all rows, or one per row (missing units give NaT).

        Returns:
            ``datetime64[us]`` deadlines in UTC, NaT where the start, amount or unit is missing or invalid (negative,
            non-finite, above ``MAX_AMOUNT``, outside ``MIN_YEAR``–``MAX_YEAR``) or the deadline is beyond ``MAX_YEAR``.

        Raises:
            ValueError: a unit text that is not a known unit.
        """
        shape = np.shape(starts)
        local, valid = self._local_array(starts)
        n = local.size
        amount = np.broadcast_to(np.asarray(amounts, dtype=np.float64), shape).reshape(-1)
        codes = self._unit_codes(unit, n)
        valid &= np.isfinite(amount) & (amount >= 0) & (amount <= MAX_AMOUNT) & (codes != _NO_UNIT)
        amount = np.where(valid, amount, 0.0)
        out = np.full(n, _NAT, dtype=np.int64)
        if not valid.any():
            return out.view("datetime64[us]").reshape(shape)
        if cutoff_after is not None:
            late = local % _DAY_US > _clock_us(cutoff_after)
            local = np.where(late, (local // _DAY_US + 1) * _DAY_US, local)
        valid &= local // _DAY_US <= _MAX_DAY
        idx = np.flatnonzero(valid)
        local, amount, codes = local[idx], amount[idx], codes[idx]

        working = (codes == _UNIT_CODES["working_day"]) | (codes == _UNIT_CODES["hour"])
        office = np.where(codes == _UNIT_CODES["hour"], amount * _HOUR_US, amount * self._day_us)
        office = np.where(working, np.rint(office), 0).astype(np.int64)
        is_month = codes == _UNIT_CODES["month"]
        months = np.where(is_month, np.floor(amount), 0.0)
        share = np.where(is_month, amount - months, 0.0)  # fraction of a month
        months_i = months.astype(np.int64)

        first, last_start = self._year_range(local)
        reach = np.where(working, office / self._day_us * 1.5, np.where(is_month, months * 31 + 31, amount + 1))
        last = min(MAX_YEAR, last_start + int(np.max(reach) / 365) + 1)
        while True:
            tl = self._timeline_for(first, last)
            result, over = self._deadlines(tl, local, working, office, is_month, amount, months_i, share)
            if not over.any() or last >= MAX_YEAR:
                break
            last = min(MAX_YEAR, last + max(2, last - first + 1))
        out[idx] = np.where(over, _NAT, result - _VN_OFFSET_US)
        return out.view("datetime64[us]").reshape(shape)

    @staticmethod
    def _year_range(local: np.ndarray) -> tuple[int, int]:
        low, high = int(local.min()) // _DAY_US, int(local.max()) // _DAY_US
        return _day_date(low).year, _day_date(high).year

    def _deadlines(
        self,
        tl: _Timeline,
        local: np.ndarray,
        working: np.ndarray,
        office: np.ndarray,
        is_month: np.ndarray,
        amount: np.ndarray,
        months: np.ndarray,
        share: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Local deadlines and where the timeline was too short; each path runs on its own rows only.

        The arithmetic mirrors :meth:`add_working_time` operation for operation, so both round alike.
        """
        begin, over = tl.next_office(local)
        result = begin.copy()
        # working days and hours: the earliest instant at which the office time has elapsed
        rows = np.flatnonzero(working & (office > 0))
        if rows.size:
            result[rows], late = tl.at_elapsed(tl.elapsed(begin[rows]) + office[rows])
            over[rows] |= late
        # calendar days and months: same clock time, moved to a working day; the fraction as capped office time
        rows = np.flatnonzero(~working)
        if not rows.size:
            return result, over
        start = begin[rows]
        day = start // _DAY_US
        clock = start - day * _DAY_US
        base = day.copy()
        rest = amount[rows].copy()
        by_month = np.flatnonzero(is_month[rows])
        if by_month.size:
            m = months[rows][by_month]
            base[by_month] = _add_months_np(day[by_month], m)
            rest[by_month] = 0.0
            split = by_month[share[rows][by_month] > 0]  # a fraction of the following month's days
            if split.size:
                length = _add_months_np(day[split], months[rows][split] + 1) - base[split]
                rest[split] = share[rows][split] * length
        days = np.floor(rest)
        frac = np.rint((rest - days) * self._day_us).astype(np.int64)
        target = base + days.astype(np.int64)
        moved, late = tl.working_on_or_after(target)
        due = moved * _DAY_US + clock
        over[rows] |= late
        part = np.flatnonzero(frac > 0)
        if part.size:
            reached, late = tl.at_elapsed(tl.elapsed(due[part]) + frac[part])
            cap, late_cap = tl.working_on_or_after(target[part] + 1)
            due[part] = np.minimum(reached, cap * _DAY_US + clock[part])
            over[rows[part]] |= late | late_cap
        result[rows] = due
        return result, over

    def working_seconds_between_many(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`working_seconds_between` (``datetime64`` in UTC); NaN where either side is NaT."""
        shape = np.broadcast_shapes(np.shape(a), np.shape(b))
        la, va = self._local_array(np.broadcast_to(a, shape))
        lb, vb = self._local_array(np.broadcast_to(b, shape))
        valid = va & vb
        out = np.full(la.size, np.nan)
        if valid.any():
            la, lb = la[valid], lb[valid]
            first, last = self._year_range(np.concatenate([la, lb]))
            tl = self._timeline_for(first, last)
            out[valid] = (tl.elapsed(lb) - tl.elapsed(la)) / _US
        return out.reshape(shape)


# ---------------------------------------------------------------------------------------------------------------
# Override files

_DAY_KEYS = {"ngay", "date", "day"}
_KIND_KEYS = {"loai", "kind", "type", "loai ngay"}
_NOTE_KEYS = {"ghi chu", "note", "notes", "mo ta", "description", "ly do"}
_OFF_WORDS = {"nghi", "off", "ngay nghi", "nghi le", "nghi bu", "holiday", "day off", "0"}
_WORK_WORDS = {"lam bu", "lam viec", "work", "ngay lam bu", "ngay lam viec", "di lam", "workday", "working day", "1"}
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def _override_error(path: Path, place: str, message: str, expected: str, value: Any = None) -> InputFileError:
    return InputFileError(
        f"Tệp điều chỉnh lịch {path.name}, {place}: {message}. Tệp không được nạp.",
        file=str(path),
        place=place,
        expected=expected,
        detail=None if value is None else f"giá trị: {value!r}",
    )


def _parse_override_day(value: Any, path: Path, place: str) -> date:
    expected = "ngày dạng dd/MM/yyyy hoặc yyyy-mm-dd"
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = "" if value is None else str(value).strip()
    if not text:
        raise _override_error(path, place, "thiếu ngày", expected, value)
    m = _DMY.match(text)
    parts = (int(m[3]), int(m[2]), int(m[1])) if m else None
    if parts is None and (m := _ISO.match(text)):
        parts = (int(m[1]), int(m[2]), int(m[3]))
    if parts is None:
        raise _override_error(path, place, f"ngày '{text}' không đúng dạng dd/MM/yyyy hoặc yyyy-mm-dd", expected, value)
    try:
        return date(*parts)
    except ValueError as exc:
        raise _override_error(path, place, f"ngày '{text}' không có trên lịch", expected, value) from exc


def _parse_override_kind(value: Any, path: Path, place: str) -> OverrideKind:
    folded = _fold(str(value)) if value is not None else ""
    if folded in _OFF_WORDS:
        return "off"
    if folded in _WORK_WORDS:
        return "work"
    raise _override_error(
        path,
        place,
        f"loại ngày '{value if value is not None else ''}' không hợp lệ (cần 'nghỉ' hoặc 'làm bù')",
        "'nghỉ'/'off' hoặc 'làm bù'/'làm việc'/'work'",
        value,
    )


def _override_rows_csv(path: Path, text: str) -> list[tuple[str, Mapping[Any, Any]]]:
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = list(reader)
    if not rows:
        raise _override_error(path, "toàn tệp", "tệp trống", "dòng tiêu đề ngày, loại, ghi chú")
    headings = [h.strip() for h in rows[0]]
    out: list[tuple[str, Mapping[Any, Any]]] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        out.append((f"dòng {number}", dict(zip(headings, row, strict=False))))
    return out


def _override_rows_yaml(path: Path, text: str) -> list[tuple[str, Mapping[Any, Any]]]:
    import yaml  # PyYAML is a project dependency; imported here so that only the loader needs it

    try:
        content = yaml.load(text, Loader=yaml.BaseLoader)  # every scalar as text, read by the parsers below
    except yaml.YAMLError as exc:
        raise _override_error(
            path, "toàn tệp", "không phải YAML hợp lệ", "danh sách các mục ngày/loại/ghi chú"
        ) from exc
    if isinstance(content, Mapping) and len(content) == 1:
        content = next(iter(content.values()))
    if content is None:
        content = []
    if not isinstance(content, list):
        raise _override_error(path, "toàn tệp", "cần một danh sách các mục", "danh sách các mục ngày/loại/ghi chú")
    out: list[tuple[str, Mapping[Any, Any]]] = []
    for number, item in enumerate(content, start=1):
        if not isinstance(item, Mapping):
            raise _override_error(
                path, f"mục {number}", "mục không phải bảng khóa–giá trị", "ngày, loại, ghi chú", item
            )
        out.append((f"mục {number}", item))
    return out


def load_overrides(path: str | Path) -> list[Override]:
    """Read a local override table (CSV or YAML) with columns/keys ``ngày``, ``loại``, ``ghi chú``.

    ``ngày`` is dd/MM/yyyy or ISO; ``loại`` is ``nghỉ``/``off`` (an extra day off) or ``làm bù``/``làm việc``/``work``
    (a make-up working day). Headings are matched without diacritics or case; English ``date``, ``kind``, ``note``
    are accepted. A YAML file is a list of mappings (optionally under a single top-level key).

    Raises:
        InputFileError: the file cannot be read, or a row is invalid (Vietnamese message naming file, row, value and
            reason), or a day is listed twice with different kinds.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise _override_error(path, "toàn tệp", "không đọc được tệp", "tệp CSV hoặc YAML") from exc
    except UnicodeDecodeError as exc:
        raise _override_error(path, "toàn tệp", "tệp không phải văn bản UTF-8", "tệp CSV hoặc YAML UTF-8") from exc
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _override_rows_csv(path, text)
    elif suffix in (".yaml", ".yml"):
        rows = _override_rows_yaml(path, text)
    else:
        raise _override_error(path, "đuôi tệp", f"định dạng '{path.suffix}' không được hỗ trợ", ".csv, .yaml hoặc .yml")
    result: list[Override] = []
    seen: dict[date, tuple[OverrideKind, str]] = {}
    for place, row in rows:
        fields = {_fold(str(k)): v for k, v in row.items() if k is not None}
        day_key = next((k for k in fields if k in _DAY_KEYS), None)
        kind_key = next((k for k in fields if k in _KIND_KEYS), None)
        if day_key is None or kind_key is None:
            missing = "ngày" if day_key is None else "loại"
            raise _override_error(path, place, f"thiếu cột/khóa '{missing}'", "các cột ngày, loại, ghi chú")
        day = _parse_override_day(fields[day_key], path, place)
        kind = _parse_override_kind(fields[kind_key], path, place)
        note_key = next((k for k in fields if k in _NOTE_KEYS), None)
        note = "" if note_key is None or fields[note_key] is None else str(fields[note_key]).strip()
        if day in seen:
            if seen[day][0] != kind:
                raise _override_error(
                    path,
                    place,
                    f"ngày {day:%d/%m/%Y} đã được khai báo ở {seen[day][1]} với loại khác",
                    "mỗi ngày chỉ một loại",
                    fields[day_key],
                )
            continue
        seen[day] = (kind, place)
        result.append(Override(day, kind, unicodedata.normalize("NFC", note)))
    return result
