"""Instants and Vietnam time (UTC+7, no daylight saving). Stored times are UTC; shown times are Vietnam time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

VN_TZ = timezone(timedelta(hours=7), "ICT")
FIRST_YEAR = 2000  # data before it (one-stop systems, the index) does not exist: earlier years are typing errors
YEARS_AHEAD = 2  # deadlines may lie a little ahead; later years are typing errors


def last_plausible_year() -> int:
    return datetime.now(UTC).year + YEARS_AHEAD


def plausible_year(year: int) -> bool:
    """True for a year data can carry: FIRST_YEAR … this year + YEARS_AHEAD (decision 0007)."""
    return FIRST_YEAR <= year <= last_plausible_year()
_DMY = re.compile(r"(?<!\d)(\d{2})(\d{2})(20\d{2})(?!\d)")


def parse_instant(value: str) -> datetime:
    """ISO time; naive times are Vietnam time; returns UTC. ValueError when unreadable or out of range."""
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VN_TZ)
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:  # year 1 or 9999 near the edge of what datetime holds
        raise ValueError(f"time out of range: {value}") from exc


def date_in_name(name: str) -> datetime | None:
    """A ddmmyyyy date in a file name (``details_GiaLai_10102026.json``), as midnight Vietnam time."""
    m = _DMY.search(name)
    if not m:
        return None
    try:
        return datetime(int(m[3]), int(m[2]), int(m[1]), tzinfo=VN_TZ).astimezone(UTC)
    except ValueError:
        return None


def vn_time(moment: datetime | None) -> str:
    """``'16:30 31/05/2023'`` in Vietnam time, '—' when unknown."""
    if moment is None:
        return "—"
    return moment.astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y")
