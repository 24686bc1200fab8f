"""One pure function per rule kind, computed exactly with fractions.

``apply_rule`` maps a ratio (0–1) to exact points; ``metric_points`` adds the empty-denominator policy, the
missing-data case and rounding. Scores never exceed the metric's maximum: a ratio above 1 (a numerator larger
than its denominator, which published data occasionally shows) counts as 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import assert_never

from chiso.domain.results import FigureStatus
from chiso.formatting import to_decimal
from chiso.methodology.model import (
    EmptyDenominator,
    LinearRule,
    Metric,
    MonitorRule,
    Rule,
    ThresholdRule,
    UnknownRule,
)

Num = int | Decimal | Fraction


def as_fraction(value: Num) -> Fraction:
    if isinstance(value, Decimal):
        return Fraction(value)
    return Fraction(value)


def apply_rule(rule: Rule, maximum: Num, ratio: Fraction) -> Fraction | None:
    """Exact points for ``ratio`` (clamped to 0–1); None for rules that give no points."""
    r = min(max(ratio, Fraction(0)), Fraction(1))
    top = as_fraction(maximum)
    match rule:
        case LinearRule():
            return top * r
        case ThresholdRule(target=target):
            return min(top, top * r / as_fraction(target))
        case MonitorRule() | UnknownRule():
            return None
        case _:
            assert_never(rule)


@dataclass(frozen=True)
class Points:
    """A metric's scoring: exact ratio and points, the published-style rounded score, and its status."""

    ratio: Fraction | None
    exact: Fraction | None
    score: Decimal | None
    status: FigureStatus
    empty: bool = False  # the denominator was 0 and the empty-denominator policy decided

    @property
    def ratio_percent(self) -> Decimal | None:
        return None if self.ratio is None else to_decimal(self.ratio * 100, 2)


def metric_points(
    metric: Metric,
    numerator: Num | None,
    denominator: Num | None,
    *,
    ratio_percent: Num | None = None,
    decimals: int = 2,
) -> Points:
    """Score one metric from its numerator and denominator (or, when both are absent, a published ratio)."""
    if metric.rule.kind in ("monitor", "unknown"):
        ratio = _ratio(numerator, denominator, ratio_percent)
        return Points(ratio, None, None, FigureStatus.NOT_APPLICABLE)
    if numerator is None or denominator is None:
        if ratio_percent is None:
            return Points(None, None, None, FigureStatus.NO_DATA)
        ratio = as_fraction(ratio_percent) / 100
        exact = apply_rule(metric.rule, metric.max, ratio)
        return Points(ratio, exact, _round(exact, decimals), FigureStatus.OK)
    den = as_fraction(denominator)
    num = as_fraction(numerator)
    if den == 0:
        match metric.on_empty:
            case EmptyDenominator.FULL:
                exact = as_fraction(metric.max)
            case EmptyDenominator.ZERO:
                exact = Fraction(0)
            case EmptyDenominator.NOT_APPLICABLE:
                return Points(None, None, None, FigureStatus.NOT_APPLICABLE, empty=True)
            case _:
                assert_never(metric.on_empty)
        return Points(None, exact, _round(exact, decimals), FigureStatus.OK, empty=True)
    ratio = num / den
    exact = apply_rule(metric.rule, metric.max, ratio)
    return Points(ratio, exact, _round(exact, decimals), FigureStatus.OK)


def _ratio(numerator: Num | None, denominator: Num | None, ratio_percent: Num | None) -> Fraction | None:
    if numerator is not None and denominator is not None and as_fraction(denominator) != 0:
        return as_fraction(numerator) / as_fraction(denominator)
    if ratio_percent is not None:
        return as_fraction(ratio_percent) / 100
    return None


def _round(value: Fraction | None, decimals: int) -> Decimal | None:
    return None if value is None else to_decimal(value, decimals)
