"""Instants and Vietnam time (UTC+7, no daylight saving). Stored times are UTC; shown times are Vietnam time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

VN_TZ = timezone(timedelta(hours=7), "ICT")
_DMY = re.compile(r"(?<!\d)(\d{2})(\d{2})(20\d{2})(?!\d)")


def parse_instant(value: str) -> datetime:
    """ISO time; naive times are Vietnam time; returns UTC."""
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VN_TZ)
    return moment.astimezone(UTC)


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
