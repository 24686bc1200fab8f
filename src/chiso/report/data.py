"""What a letter is written from, gathered through the workspace: the sender among its peers, the sender in the
previous period, and the units it writes to.

This is the only module of the report package that talks to the workspace; everything after it is pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from chiso.domain.periods import Period
from chiso.domain.results import Origin
from chiso.domain.units import Unit
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
    # beside official figures: the same units' local estimate, for targets the portal does not publish
    local_subjects: list[UnitView] = field(default_factory=list)
    local_origin: Origin | None = None
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
    tree = ws.unit_tree()
    info = tree.find(unit)
    notes: list[str] = []
    peers = ws.results(period=period, parent=info.parent_code, kind=info.kind, source=source)
    sender = peers.unit(info.code)
    previous = None
    try:
        before = ws.results(period=period.previous(), parent=info.parent_code, kind=info.kind, source=source)
        previous = before.unit(info.code)
    except (NoDataError, UnknownUnitError):
        notes.append(
            f"Không có kết quả {period.previous().label} của {info.name}: công văn không so sánh với kỳ trước."
        )
    children = tree.children(info.code)
    child_kinds = tuple(dict.fromkeys(str(c.kind) for c in children))
    subjects, origin, methodology = [sender], sender.origin, peers.methodology
    if children:
        try:
            own = ws.results(period=period, parent=info.code, source=source)
            subjects, origin, methodology = own.units, own.origin, own.methodology
        except NoDataError:
            notes.append(
                f"Không có kết quả {period.label} của các đơn vị thuộc {info.name}: công văn chỉ nêu kết quả của "
                f"{info.name}."
            )
    province = tree.province_of(info.code)
    beside, beside_origin = _local_beside(ws, info, period, bool(children)) if source == "official" else ([], None)
    return ReportData(
        period=period,
        sender=sender,
        previous=previous,
        subjects=subjects,
        origin=origin,
        methodology=methodology,
        child_kinds=child_kinds,
        province=province.name if province else None,
        notes=notes,
        day=day_change(ws, info.code, period, info.parent_code, str(info.kind)) if source == "official" else None,
        local_subjects=beside,
        local_origin=beside_origin,
    )


def _local_beside(
    ws: Workspace, info: Unit, period: Period, has_children: bool
) -> tuple[list[UnitView], Origin | None]:
    """The local estimate of the letter's units (under whichever code the one-stop data give them), when the
    store has dossiers for them: the targets the portal does not publish (e-certified copies) come from it."""
    if not info.local:
        return [], None
    try:
        if has_children:
            rs = ws.results(period=period, parent=info.code, source="local")
            return rs.units, rs.origin
        view = ws.local_view(info.code, period=period)
        return [view], view.origin
    except (NoDataError, UnknownUnitError):
        return [], None
