"""Metric → group → total, as the portal adds them up.

A group's score is the sum of its metrics' *rounded* scores and the total is the sum of the group scores
(fitted on Gia Lai 2026: summing unrounded scores misses published group scores by up to 0.02). A metric
whose inputs are absent is 'không có dữ liệu': it adds nothing and marks its group and the total incomplete,
with the points that could be computed and the maximum they were computed against.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from chiso.domain.results import FigureStatus, GroupScore, MetricFigure, UnitResult
from chiso.methodology.model import Methodology, Metric
from chiso.scoring.rules import Num, Points, metric_points

ZERO = Decimal(0)


@dataclass(frozen=True)
class MetricInput:
    """What a layer knows of one metric: counts, or only a published ratio (percent)."""

    numerator: Num | None = None
    denominator: Num | None = None
    ratio_percent: Num | None = None
    inherited: bool = False
    note: str | None = None


@dataclass(frozen=True)
class ScoredMetric:
    group: str
    metric: Metric
    input: MetricInput
    points: Points

    @property
    def code(self) -> str:
        return self.metric.code

    @property
    def score(self) -> Decimal | None:
        return self.points.score

    @property
    def max(self) -> Decimal:
        return self.metric.max

    @property
    def status(self) -> FigureStatus:
        if self.input.inherited and self.points.status is FigureStatus.OK:
            return FigureStatus.INHERITED
        return self.points.status

    @property
    def lost(self) -> Decimal | None:
        if self.points.score is None:
            return None
        return self.metric.max - self.points.score

    def figure(self) -> MetricFigure:
        return MetricFigure(
            code=self.metric.code,
            numerator=_dec(self.input.numerator),
            denominator=_dec(self.input.denominator),
            ratio=self.points.ratio_percent,
            score=self.points.score,
            max=self.metric.max,
            status=self.status,
            name=self.metric.name,
            note=self.input.note,
        )


@dataclass(frozen=True)
class ScoredGroup:
    code: str
    name: str
    max: Decimal
    metrics: tuple[ScoredMetric, ...]

    @property
    def score(self) -> Decimal:
        return sum((m.score for m in self.metrics if m.score is not None), ZERO)

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(m.code for m in self.metrics if m.metric.scored and m.score is None)

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def scored_max(self) -> Decimal:
        """The maximum of the metrics that have a score (equals ``max`` when complete)."""
        return sum((m.max for m in self.metrics if m.metric.scored and m.score is not None), ZERO)


@dataclass(frozen=True)
class UnitScore:
    methodology: str
    groups: tuple[ScoredGroup, ...]

    @property
    def total(self) -> Decimal:
        return sum((g.score for g in self.groups), ZERO)

    @property
    def complete(self) -> bool:
        return all(g.complete for g in self.groups)

    @property
    def scored_max(self) -> Decimal:
        return sum((g.scored_max for g in self.groups), ZERO)

    def group(self, code: str) -> ScoredGroup:
        for g in self.groups:
            if g.code == code:
                return g
        raise KeyError(code)

    def metrics(self) -> list[ScoredMetric]:
        return [m for g in self.groups for m in g.metrics]

    def metric(self, code: str) -> ScoredMetric:
        for m in self.metrics():
            if m.code == code:
                return m
        raise KeyError(code)

    def result(self, unit_code: str, unit_name: str, kind: str, parent_code: str | None = None) -> UnitResult:
        return UnitResult(
            unit_code=unit_code,
            unit_name=unit_name,
            kind=kind,
            total=self.total,
            groups={g.code: GroupScore(g.code, g.score, g.max) for g in self.groups},
            metrics=[m.figure() for m in self.metrics()],
            parent_code=parent_code,
        )


def score_unit(methodology: Methodology, inputs: Mapping[str, MetricInput]) -> UnitScore:
    """Score every metric of ``methodology`` from ``inputs`` (keyed by metric code); absent ⇒ no data."""
    groups = []
    for g in methodology.groups:
        scored = []
        for m in g.metrics:
            given = inputs.get(m.code, MetricInput())
            points = metric_points(
                m,
                given.numerator,
                given.denominator,
                ratio_percent=given.ratio_percent,
                decimals=methodology.decimals,
            )
            scored.append(ScoredMetric(g.code, m, given, points))
        groups.append(ScoredGroup(g.code, g.name, g.max, tuple(scored)))
    return UnitScore(methodology.name, tuple(groups))


def _dec(value: Num | None) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(value.numerator) / Decimal(value.denominator)
