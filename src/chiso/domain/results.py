"""Results: a metric's figures, a group's score, a unit's result, and where a figure comes from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class Source(StrEnum):
    OFFICIAL = "official"  # published by the national portal
    LOCAL = "local"  # computed by chiso from the one-stop system's dossiers ('số liệu tạm tính')


@dataclass(frozen=True)
class Origin:
    """Where a set of figures comes from: official (a portal snapshot) or local (computed from dossiers).

    ``cutoff`` is the data cut-off time: the portal capture for official figures, the newest dossier state
    ingested for local ones. Local figures must be shown as 'số liệu tạm tính'.
    """

    source: Source
    period: str
    cutoff: datetime | None
    methodology: str
    label: str = ""
    snapshot_ids: tuple[str, ...] = ()

    @property
    def is_estimate(self) -> bool:
        return self.source is Source.LOCAL


class Provenance(StrEnum):
    """How sure we are of a rule (methodology.md §1.2)."""

    PUBLISHED = "published"
    FITTED = "fitted"
    ASSUMED = "assumed"
    UNCONFIRMED = "unconfirmed"

    @property
    def label(self) -> str:
        return {
            Provenance.PUBLISHED: "đã công bố",
            Provenance.FITTED: "khớp số liệu Cổng DVCQG",
            Provenance.ASSUMED: "giả định",
            Provenance.UNCONFIRMED: "chưa xác nhận",
        }[self]


class FigureStatus(StrEnum):
    OK = "ok"
    NO_DATA = "no_data"  # inputs absent: 'không có dữ liệu', never 0
    NOT_APPLICABLE = "not_applicable"  # e.g. a monitoring metric, or an empty denominator with no rule
    INHERITED = "inherited"  # a province-level metric shown for a child unit

    @property
    def label(self) -> str:
        return {
            FigureStatus.OK: "",
            FigureStatus.NO_DATA: "không có dữ liệu",
            FigureStatus.NOT_APPLICABLE: "không áp dụng",
            FigureStatus.INHERITED: "theo số liệu cấp tỉnh",
        }[self]


@dataclass(frozen=True)
class MetricFigure:
    """One metric of one unit for one period.

    ``ratio`` is in percent, as the portal publishes it. ``score`` is None when not published (official) or
    not computable (local); ``status`` says why.
    """

    code: str
    numerator: Decimal | None
    denominator: Decimal | None
    ratio: Decimal | None
    score: Decimal | None
    max: Decimal
    status: FigureStatus = FigureStatus.OK
    name: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class GroupScore:
    code: str
    score: Decimal | None
    max: Decimal


@dataclass(frozen=True)
class UnitResult:
    unit_code: str
    unit_name: str
    kind: str
    total: Decimal | None
    groups: dict[str, GroupScore] = field(default_factory=dict)
    metrics: list[MetricFigure] = field(default_factory=list)
    parent_code: str | None = None


@dataclass(frozen=True)
class PublishedMetric:
    """A metric as the portal published it. ``score`` None: not published (e.g. only counts were given)."""

    group: str
    code: str
    numerator: Decimal | None
    denominator: Decimal | None
    ratio: Decimal | None  # percent
    score: Decimal | None
    max: Decimal | None
    name: str | None = None
    source_field: str | None = None  # where the figure was read, e.g. "TDGQ_TienDoGiaiQuyet.totalOnTime"
    data_quality: str | None = None
    data_quality_message: str | None = None


@dataclass(frozen=True)
class PublishedGroup:
    code: str
    score: Decimal | None
    max: Decimal | None = None


@dataclass(frozen=True)
class PublishedUnit:
    """One unit's published result in one snapshot."""

    snapshot: str
    unit: str
    name: str
    kind: str
    total: Decimal | None
    groups: tuple[PublishedGroup, ...] = ()
    metrics: tuple[PublishedMetric, ...] = ()
    itemised: bool = True  # False for the list shape: group scores only, by construction

    def group(self, code: str) -> PublishedGroup | None:
        for g in self.groups:
            if g.code == code:
                return g
        return None

    def metrics_of(self, group: str) -> list[PublishedMetric]:
        return [m for m in self.metrics if m.group == group]
