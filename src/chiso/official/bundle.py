"""What a parsed official file holds before it is stored: snapshots of units with groups and metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from chiso.domain.periods import Period
from chiso.domain.results import PublishedGroup, PublishedMetric


@dataclass
class ParsedUnit:
    code: str
    name: str
    kind: str
    parent: str | None
    total: Decimal | None
    record: int
    portal_rank: int | None = None
    portal_group_rank: int | None = None
    score_delta: Decimal | None = None
    itemised: bool = True
    groups: list[PublishedGroup] = field(default_factory=list)
    metrics: list[PublishedMetric] = field(default_factory=list)


@dataclass
class ParsedSnapshot:
    shape: str
    scope: str
    period: Period
    captured_at: datetime
    captured_basis: str
    methodology: str
    units: list[ParsedUnit]
    sheet: str | None = None
    label: str | None = None


@dataclass
class ParsedFile:
    path: str
    file_id: str
    size: int
    shape: str
    snapshots: list[ParsedSnapshot]
    warnings: list[str] = field(default_factory=list)
