"""Reporting periods: month ``2023-05``, quarter ``2023-Q2``, year ``2023``, year-to-date, date range.

A period is a closed range of dates with a kind. Keys are canonical strings used in the store:

====================  =======================  ==============================
written               key                      meaning
====================  =======================  ==============================
``2023-05``           ``2023-05``              May 2023
``2023-Q2``           ``2023-Q2``              April–June 2023
``2023``              ``2023``                 the year 2023
``2023-05`` + ytd     ``2023-05-ytd``          1 January – 31 May 2023
``2023-Q2`` + ytd     ``2023-Q2-ytd``          1 January – 30 June 2023
``2023-05-01..2023-05-20``  same               any date range
====================  =======================  ==============================

The portal's yearly figures are cumulative to the capture date; a yearly snapshot therefore has the period
``2023`` and its capture time says how far into the year it reaches.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from chiso.errors import PeriodError


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    RANGE = "range"


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
_SLASH_MONTH = re.compile(r"^(\d{1,2})/(\d{4})$")


def _check_year(year: int) -> None:
    if not 1 <= year <= 9999:
        raise PeriodError(f"Năm không hợp lệ: {year}", detail="year must be 1..9999")


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date
    kind: PeriodKind
    ytd: bool = False

    # -- construction -------------------------------------------------------------------------------
    @classmethod
    def month(cls, year: int, month: int, *, ytd: bool = False) -> Period:
        _check_year(year)
        if not 1 <= month <= 12:
            raise PeriodError(f"Tháng không hợp lệ: {month}", detail="month must be 1..12")
        last = calendar.monthrange(year, month)[1]
        start = date(year, 1, 1) if ytd else date(year, month, 1)
        return cls(start, date(year, month, last), PeriodKind.MONTH, ytd)

    @classmethod
    def quarter(cls, year: int, quarter: int, *, ytd: bool = False) -> Period:
        _check_year(year)
        if not 1 <= quarter <= 4:
            raise PeriodError(f"Quý không hợp lệ: {quarter}", detail="quarter must be 1..4")
        first_month = 3 * (quarter - 1) + 1
        last = calendar.monthrange(year, first_month + 2)[1]
        start = date(year, 1, 1) if ytd else date(year, first_month, 1)
        return cls(start, date(year, first_month + 2, last), PeriodKind.QUARTER, ytd)

    @classmethod
    def year(cls, year: int) -> Period:
        _check_year(year)
        return cls(date(year, 1, 1), date(year, 12, 31), PeriodKind.YEAR)

    @classmethod
    def range(cls, start: date, end: date) -> Period:
        if end < start:
            raise PeriodError(
                f"Khoảng thời gian không hợp lệ: {start.isoformat()}..{end.isoformat()}",
                detail="end before start",
            )
        return cls(start, end, PeriodKind.RANGE)

    @classmethod
    def parse(cls, text: str, *, ytd: bool = False) -> Period:
        """Parse ``2023-05``, ``5/2023``, ``2023-Q2``, ``2023``, ``2023-05-ytd`` or ``2023-05-01..2023-05-20``."""
        raw = text.strip()
        if raw.endswith("-ytd"):
            raw, ytd = raw[: -len("-ytd")], True
        if m := _MONTH.match(raw):
            return cls.month(int(m[1]), int(m[2]), ytd=ytd)
        if m := _SLASH_MONTH.match(raw):
            return cls.month(int(m[2]), int(m[1]), ytd=ytd)
        if m := _QUARTER.match(raw):
            return cls.quarter(int(m[1]), int(m[2]), ytd=ytd)
        if m := _YEAR.match(raw):
            return cls.year(int(m[1]))
        if m := _RANGE.match(raw):
            try:
                return cls.range(date.fromisoformat(m[1]), date.fromisoformat(m[2]))
            except ValueError as exc:
                raise PeriodError(f"Ngày không hợp lệ trong kỳ '{text}'", detail=str(exc)) from exc
        raise PeriodError(
            f"Không hiểu kỳ báo cáo '{text}'",
            detail="expected 2023-05, 2023-Q2, 2023 or 2023-05-01..2023-05-20",
            hint="Ví dụ: --period 2023-05 (tháng), 2023-Q2 (quý), 2023 (năm); thêm --ytd để lũy kế từ đầu năm.",
        )

    # -- reading -------------------------------------------------------------------------------------
    @property
    def key(self) -> str:
        if self.kind is PeriodKind.MONTH:
            base = f"{self.end.year}-{self.end.month:02d}"
        elif self.kind is PeriodKind.QUARTER:
            base = f"{self.end.year}-Q{(self.end.month - 1) // 3 + 1}"
        elif self.kind is PeriodKind.YEAR:
            return f"{self.end.year}"
        else:
            return f"{self.start.isoformat()}..{self.end.isoformat()}"
        return base + ("-ytd" if self.ytd else "")

    @property
    def label(self) -> str:
        """Vietnamese label: 'tháng 5/2023', 'quý II/2023', 'năm 2023', 'lũy kế đến tháng 5/2023'."""
        if self.kind is PeriodKind.MONTH:
            text = f"tháng {self.end.month}/{self.end.year}"
        elif self.kind is PeriodKind.QUARTER:
            roman = ("I", "II", "III", "IV")[(self.end.month - 1) // 3]
            text = f"quý {roman}/{self.end.year}"
        elif self.kind is PeriodKind.YEAR:
            return f"năm {self.end.year}"
        else:
            return f"từ {self.start:%d/%m/%Y} đến {self.end:%d/%m/%Y}"
        return f"lũy kế đến {text}" if self.ytd else text

    @property
    def words(self) -> str:
        """The label as closing sentences write it: 'tháng 5 năm 2023', 'quý II năm 2023', 'năm 2023'."""
        if self.kind is PeriodKind.MONTH and not self.ytd:
            return f"tháng {self.end.month} năm {self.end.year}"
        if self.kind is PeriodKind.QUARTER and not self.ytd:
            return f"quý {('I', 'II', 'III', 'IV')[(self.end.month - 1) // 3]} năm {self.end.year}"
        return self.label

    def __str__(self) -> str:
        return self.key

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def previous(self) -> Period:
        """The period before: previous month, quarter or year; for a range, the range just before it."""
        if self.kind is PeriodKind.MONTH:
            first = self.end.replace(day=1) - timedelta(days=1)
            return Period.month(first.year, first.month, ytd=self.ytd)
        if self.kind is PeriodKind.QUARTER:
            q = (self.end.month - 1) // 3 + 1
            year, q = (self.end.year, q - 1) if q > 1 else (self.end.year - 1, 4)
            return Period.quarter(year, q, ytd=self.ytd)
        if self.kind is PeriodKind.YEAR:
            return Period.year(self.end.year - 1)
        length = self.end - self.start
        end = self.start - timedelta(days=1)
        return Period.range(end - length, end)

    def months(self) -> int:
        """Number of calendar months the period spans (used to scale yearly fallbacks)."""
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
