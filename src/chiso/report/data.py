"""What a letter is written from, gathered through the workspace: the sender among its peers, the sender in the
previous period, and the units it writes to.

This is the only module of the report package that talks to the workspace; everything after it is pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from chiso.domain.codes import NATIONAL
from chiso.domain.periods import Period
from chiso.domain.results import Origin
from chiso.errors import ChisoError, NoDataError, UnknownUnitError
from chiso.methodology.model import Methodology
from chiso.workspace import UnitView, Workspace


@dataclass(frozen=True)
class ReportData:
    """Results a letter needs, whatever their source (official snapshots or the local estimate)."""

    period: Period
    sender: UnitView  # the sender's own result, ranked among its peers
    previous: UnitView | None  # the sender in the previous period (same source), if known
    subjects: list[UnitView]  # the units the letter is about: the sender's units, or the sender itself
    origin: Origin  # where the subjects' figures come from
    methodology: Methodology
    child_kinds: tuple[str, ...]  # kinds of the sender's units in the unit tree (recipients)
    province: str | None  # the province's name ('UBND tỉnh Tây Ninh'), for wording
    notes: list[str] = field(default_factory=list)  # what the user should know (printed by the CLI)
    day: DayChange | None = None  # the sender's change since the previous capture of the period (official only)


@dataclass(frozen=True)
class DayChange:
    """Score and rank change since the previous capture of the same period (a daily fetch)."""

    score: Decimal | None
    rank: int | None
    since: datetime


def day_change(ws: Workspace, unit: str, period: Period, parent: str | None, kind: str) -> DayChange | None:
    """From the ranking of the unit's peers; None without an earlier capture of the period."""
    try:
        ranking = ws.ranking(period=period, parent=parent, kind=kind)
    except ChisoError:
        return None
    for table in ranking.tables:
        for row in table.rows:
            if row.unit == unit and row.day_change is not None and table.day_baseline is not None:
                return DayChange(row.day_change.score, row.day_change.rank, table.day_baseline)
    return None


def gather(ws: Workspace, unit: str, period: Period, source: str = "official") -> ReportData:
    """Collect the sender's result, its trend and its units' results for ``period`` from ``source``."""
    info = ws.unit_info(unit)
    notes: list[str] = []
    peers = ws.results(period=period, parent=info.parent, kind=info.kind, source=source)
    sender = peers.unit(unit)
    previous = None
    try:
        before = ws.results(period=period.previous(), parent=info.parent, kind=info.kind, source=source)
        previous = before.unit(unit)
    except (NoDataError, UnknownUnitError):
        notes.append(f"Không có kết quả {period.previous().label} của {unit}: công văn không so sánh với kỳ trước.")
    children = ws.children(unit)
    child_kinds = tuple(dict.fromkeys(c.kind for c in children))
    subjects, origin, methodology = [sender], sender.origin, peers.methodology
    if children:
        try:
            own = ws.results(period=period, parent=unit, source=source)
            subjects, origin, methodology = own.units, own.origin, own.methodology
        except NoDataError:
            notes.append(
                f"Không có kết quả {period.label} của các đơn vị thuộc {unit}: công văn chỉ nêu kết quả của {unit}."
            )
    return ReportData(
        period=period,
        sender=sender,
        previous=previous,
        subjects=subjects,
        origin=origin,
        methodology=methodology,
        child_kinds=child_kinds,
        province=_province_name(ws, info.code, info.kind, info.parent),
        notes=notes,
        day=day_change(ws, unit, period, info.parent, info.kind) if source == "official" else None,
    )


def _province_name(ws: Workspace, code: str, kind: str, parent: str | None) -> str | None:
    """Walk up the unit tree to the province."""
    seen = 0
    while seen < 4:
        if kind == "province":
            return ws.unit_info(code).name
        if parent is None or parent == NATIONAL:
            return None
        try:
            up = ws.unit_info(parent)
        except UnknownUnitError:
            return None
        code, kind, parent = up.code, up.kind, up.parent
        seen += 1
    return None
