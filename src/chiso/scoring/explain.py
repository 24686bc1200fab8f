"""Points lost per metric and what would restore them, as data; sentences are built in ``chiso.messages``.

For a metric with numerator n, denominator d, target ratio T (1 for linear rules) and maximum M:

* items that can still be fixed (``flip``: pay online, attach an e-result, digitise; ``catalogue``: publish or
  complete procedures): ``ceil(T·d) − n`` more of the d counted items reach full points; each is worth
  ``M / (T·d)`` points below the target;
* items that cannot change once counted (``future``: on-time, satisfaction): only new good items raise the
  ratio, and ``ceil((T·d − n) / (1 − T))`` of them, with no new bad one, reach the target (impossible when
  T = 1: full points cannot come back in the period); ``to_recover_half`` says how many new good items win
  back half of the points lost, which is always reachable.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from chiso.domain.results import FigureStatus, PublishedUnit
from chiso.formatting import to_decimal
from chiso.methodology.model import Improvement, Methodology, Metric
from chiso.scoring.rules import metric_points
from chiso.scoring.score import UnitScore


class Basis(StrEnum):
    """Where a line's score comes from."""

    PUBLISHED = "published"  # the portal's own score
    RECOMPUTED = "recomputed"  # the portal published counts but no score; chiso applied the rule
    DERIVED = "derived"  # only the group score is published: group minus its known metrics
    LOCAL = "local"  # computed by chiso from dossiers ('số liệu tạm tính')


@dataclass(frozen=True)
class Line:
    """One metric (or a group with no published metrics, ``metric`` None) of one unit."""

    group: str
    name: str
    max: Decimal
    score: Decimal | None
    status: FigureStatus
    basis: Basis
    metric: Metric | None = None
    numerator: Fraction | None = None
    denominator: Fraction | None = None
    ratio: Fraction | None = None

    @property
    def code(self) -> str:
        return self.metric.code if self.metric else self.group

    @property
    def lost(self) -> Decimal | None:
        return None if self.score is None else max(self.max - self.score, Decimal(0))


@dataclass(frozen=True)
class Restore:
    improvement: Improvement
    bad_items: int | None  # d − n: items counted against the unit
    to_target: int | None  # flip/catalogue: items to fix now to reach the target
    new_to_target: int | None  # future: new good items (no new bad) to reach the target; None if impossible
    to_recover_half: int | None  # future: new good items (no new bad) that win back half the lost points
    points_per_item: Decimal | None  # value of one fixed item below the target


@dataclass(frozen=True)
class Explanation:
    line: Line
    target_percent: Decimal | None
    restore: Restore | None

    @property
    def lost(self) -> Decimal | None:
        return self.line.lost


def lines_from_score(unit: UnitScore, basis: Basis = Basis.LOCAL) -> list[Line]:
    out = []
    for g in unit.groups:
        for m in g.metrics:
            out.append(
                Line(
                    group=g.code,
                    name=m.metric.name,
                    max=m.max,
                    score=m.score,
                    status=m.status,
                    basis=basis,
                    metric=m.metric,
                    numerator=_frac(m.input.numerator),
                    denominator=_frac(m.input.denominator),
                    ratio=m.points.ratio,
                )
            )
    return out


def explain(lines: Iterable[Line], *, include_unscored: bool = False) -> list[Explanation]:
    """Explanations sorted by points lost, largest first; lines without a score come last."""
    out = []
    for line in lines:
        if line.metric is not None and not line.metric.scored and not include_unscored:
            continue
        target = line.metric.target if line.metric else None
        out.append(
            Explanation(
                line=line,
                target_percent=None if target is None else to_decimal(target * 100, 2),
                restore=_restore(line),
            )
        )
    out.sort(key=lambda e: (e.lost is None, -(e.lost or Decimal(0)), e.line.group, e.line.code))
    return out


def _restore(line: Line) -> Restore | None:
    m = line.metric
    if m is None or not m.scored or line.numerator is None or line.denominator is None:
        return None
    n, d = line.numerator, line.denominator
    if d <= 0:
        return None
    target = Fraction(m.target)
    top = Fraction(m.max)
    bad = int(d - n) if (d - n).denominator == 1 else None
    if m.improvement in (Improvement.FLIP, Improvement.CATALOGUE):
        need = max(math.ceil(target * d) - n, 0)
        per_item = to_decimal(top / (target * d), 4)
        return Restore(m.improvement, bad, int(need), None, None, per_item)
    if m.improvement is Improvement.FUTURE:
        new_to_target = None
        if n / d >= target:
            new_to_target = 0
        elif target < 1:
            new_to_target = math.ceil((target * d - n) / (1 - target))
        score_now = top * min(n / d, target) / target
        half_ratio = target * (score_now + (top - score_now) / 2) / top
        to_recover_half = None
        if score_now < top:
            to_recover_half = max(math.ceil((half_ratio * d - n) / (1 - half_ratio)), 1)
        per_item = to_decimal(top / (target * d), 4)
        return Restore(m.improvement, bad, None, new_to_target, to_recover_half, per_item)
    return None


def _frac(value: object) -> Fraction | None:
    if value is None:
        return None
    if isinstance(value, Decimal | int | Fraction):
        return Fraction(value)
    return Fraction(str(value))


def lines_from_published(unit: PublishedUnit, m: Methodology) -> list[Line]:
    """Lines for a published unit: the portal's scores where given, recomputed from counts where only counts
    were published, derived from the group score when one metric of a group is missing, and one group-level
    line for a group published without its metrics."""
    child = unit.kind != "province"
    lines: list[Line] = []
    for g in m.groups:
        published_group = unit.group(g.code)
        pubs = {pm.code: pm for pm in unit.metrics_of(g.code)}
        if not pubs:
            score = published_group.score if published_group else None
            lines.append(
                Line(
                    group=g.code,
                    name=g.name,
                    max=g.max,
                    score=score,
                    status=FigureStatus.OK if score is not None else FigureStatus.NO_DATA,
                    basis=Basis.PUBLISHED,
                )
            )
            continue
        group_lines: list[Line] = []
        missing: list[Metric] = []
        known = Decimal(0)
        for metric in g.metrics:
            pm = pubs.get(metric.code)
            if pm is None:
                if metric.scored:
                    missing.append(metric)
                continue
            num, den = _frac(pm.numerator), _frac(pm.denominator)
            if num is not None and den is not None and den != 0:
                ratio: Fraction | None = num / den
            else:
                ratio = None if pm.ratio is None else Fraction(pm.ratio) / 100
            if not metric.scored:
                status, score, basis = FigureStatus.NOT_APPLICABLE, None, Basis.PUBLISHED
            elif pm.score is not None:
                status, score, basis = FigureStatus.OK, pm.score, Basis.PUBLISHED
            else:
                points = metric_points(
                    metric, pm.numerator, pm.denominator, ratio_percent=pm.ratio, decimals=m.decimals
                )
                status, score, basis = points.status, points.score, Basis.RECOMPUTED
            if child and metric.scope == "province" and status is FigureStatus.OK:
                status = FigureStatus.INHERITED
            if score is not None:
                known += score
            group_lines.append(
                Line(g.code, pm.name or metric.name, metric.max, score, status, basis, metric, num, den, ratio)
            )
        group_score = published_group.score if published_group else None
        for metric in missing:
            if len(missing) == 1 and group_score is not None:
                derived = max(group_score - known, Decimal(0))
                ratio = Fraction(derived) / Fraction(metric.max) * Fraction(metric.target) if metric.max else None
                group_lines.append(
                    Line(g.code, metric.name, metric.max, derived, FigureStatus.OK, Basis.DERIVED, metric, ratio=ratio)
                )
            else:
                group_lines.append(
                    Line(g.code, metric.name, metric.max, None, FigureStatus.NO_DATA, Basis.PUBLISHED, metric)
                )
        order = {x.code: i for i, x in enumerate(g.metrics)}
        group_lines.sort(key=lambda line: order.get(line.code, len(order)))
        lines.extend(group_lines)
    return lines
