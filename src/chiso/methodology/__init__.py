"""Methodologies as data: groups, metrics, rules and their provenance, validated on load.

``load_methodology(name)`` returns a validated :class:`Methodology`; ``methodology_for(period)`` picks the
one in force for a period. See docs/methodology-files.md for the file format.
"""

from chiso.methodology.model import (
    EmptyDenominator,
    Group,
    LinearRule,
    Methodology,
    Metric,
    MonitorRule,
    Rule,
    ThresholdRule,
    UnknownRule,
)
from chiso.methodology.registry import available, load_methodology, load_targets, methodology_for
from chiso.methodology.targets import LocalTarget, TargetSet

__all__ = [
    "EmptyDenominator",
    "Group",
    "LinearRule",
    "LocalTarget",
    "Methodology",
    "Metric",
    "MonitorRule",
    "Rule",
    "TargetSet",
    "ThresholdRule",
    "UnknownRule",
    "available",
    "load_methodology",
    "load_targets",
    "methodology_for",
]
