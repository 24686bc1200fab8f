"""Pydantic models of a methodology file.

A methodology has groups; a group has metrics; a metric has a maximum, a rule turning its ratio into points,
a policy for an empty denominator and the provenance of each of these. Rules are a union discriminated by
``kind``; an unknown kind fails validation.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from chiso.domain.results import Provenance


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(_Frozen):
    """Where a fact comes from, and how sure we are of it."""

    label: Provenance
    source: str | None = Field(
        None, description="decision, press, spec, sheet, portal, vendor, data or a free reference"
    )
    note: str | None = None
    observations: int | None = Field(None, description="number of published figures the rule was fitted on")


class MetricEvidence(_Frozen):
    max: Evidence
    definition: Evidence
    rule: Evidence
    on_empty: Evidence | None = None


class LinearRule(_Frozen):
    """score = max × r."""

    kind: Literal["linear"] = "linear"


class ThresholdRule(_Frozen):
    """score = min(max, max × r / target): full points once the ratio reaches ``target`` (0 < target ≤ 1)."""

    kind: Literal["threshold"] = "threshold"
    target: Decimal = Field(gt=0, le=1)


class MonitorRule(_Frozen):
    """A figure shown for information, worth no points."""

    kind: Literal["monitor"] = "monitor"


class UnknownRule(_Frozen):
    """The points of this part are not published: it is shown, never scored or invented."""

    kind: Literal["unknown"] = "unknown"


Rule = Annotated[LinearRule | ThresholdRule | MonitorRule | UnknownRule, Field(discriminator="kind")]


class EmptyDenominator(StrEnum):
    """What a metric scores when its denominator is 0."""

    FULL = "full"  # full points (nothing to fail)
    ZERO = "zero"  # no points
    NOT_APPLICABLE = "not_applicable"  # not scored (monitoring metrics)


class Improvement(StrEnum):
    """How lost points come back, which decides what an explanation says."""

    FLIP = "flip"  # items already counted can still be fixed (pay online, attach an e-result, digitise)
    FUTURE = "future"  # past items cannot change; only new good items raise the ratio (on-time, satisfaction)
    CATALOGUE = "catalogue"  # procedures in the catalogue must be published, updated or completed
    NONE = "none"  # nothing to restore (monitoring)


class Metric(_Frozen):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    ref: str | None = Field(None, description="number in the spec, e.g. 2.1")
    name: str
    max: Decimal = Field(ge=0)
    rule: Rule
    on_empty: EmptyDenominator
    scope: Literal["unit", "province"] = Field(
        "unit", description="'province': computed for the province and shown unchanged for its child units"
    )
    definition: str
    numerator_label: str | None = None
    denominator_label: str | None = None
    improvement: Improvement = Improvement.FLIP
    action: str | None = Field(None, description="what a unit does to gain these points (Vietnamese)")
    aliases: tuple[str, ...] = ()
    evidence: MetricEvidence

    @property
    def scored(self) -> bool:
        return self.rule.kind in ("linear", "threshold")

    @property
    def target(self) -> Decimal:
        """Ratio (0–1) at which the metric earns full points."""
        if isinstance(self.rule, ThresholdRule):
            return self.rule.target
        return Decimal(1)


class Group(_Frozen):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    name: str
    max: Decimal = Field(ge=0)
    aliases: tuple[str, ...] = ()
    endpoint: str | None = None
    formula: str | None = Field(None, description="the group's formula as users read it")
    evidence: Evidence
    metrics: tuple[Metric, ...]


class Methodology(_Frozen):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    description: str
    effective_from: date
    effective_to: date | None = None
    effective_evidence: Evidence
    total_max: Decimal = Decimal(100)
    decimals: int = Field(2, ge=0, le=6)
    groups: tuple[Group, ...]

    # -- lookups --------------------------------------------------------------------------------------
    def group(self, code: str) -> Group:
        """The group with this code or alias (e.g. ``ONLINE`` → ``CLGQ``)."""
        for g in self.groups:
            if code == g.code or code in g.aliases:
                return g
        raise KeyError(code)

    def has_group(self, code: str) -> bool:
        try:
            self.group(code)
        except KeyError:
            return False
        return True

    def metric(self, code: str) -> Metric:
        for g in self.groups:
            for m in g.metrics:
                if code == m.code or code in m.aliases:
                    return m
        raise KeyError(code)

    def group_of(self, metric_code: str) -> Group:
        for g in self.groups:
            if any(metric_code == m.code or metric_code in m.aliases for m in g.metrics):
                return g
        raise KeyError(metric_code)

    def metrics(self) -> list[tuple[Group, Metric]]:
        return [(g, m) for g in self.groups for m in g.metrics]

    def applies_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)
