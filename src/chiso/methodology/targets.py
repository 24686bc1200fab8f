"""Local extra targets ('chỉ tiêu theo dõi'): a threshold on a measure, with no points.

A province or district may require more than the national index, e.g. that at least 50 % of certified copies
be made electronically. Such a target names the measure it reads (a methodology metric code such as
``ORIGINAL_RESULT_AVAILABLE``, or an engine measure such as ``E_CERTIFIED_COPY_SHARE``), a threshold and a
direction. It never changes a score.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from chiso.methodology.loader import Issue
from chiso.methodology.model import Evidence, _Frozen


class LocalTarget(_Frozen):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    name: str
    measure: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    threshold: Decimal = Field(ge=0)
    unit: Literal["percent", "count"] = "percent"
    direction: Literal["at_least", "at_most"] = "at_least"
    basis: str
    action: str | None = None
    evidence: Evidence

    def met(self, value: Decimal | None) -> bool | None:
        """True / False, or None when there is no figure ('không có dữ liệu')."""
        if value is None:
            return None
        return value >= self.threshold if self.direction == "at_least" else value <= self.threshold

    @property
    def threshold_label(self) -> str:
        sign = "≥" if self.direction == "at_least" else "≤"
        suffix = "%" if self.unit == "percent" else ""
        from chiso.formatting import number

        return f"{sign} {number(self.threshold)}{suffix}"


class TargetSet(_Frozen):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    targets: tuple[LocalTarget, ...]

    def target(self, code: str) -> LocalTarget:
        for t in self.targets:
            if t.code == code:
                return t
        raise KeyError(code)


def check_targets(ts: TargetSet) -> list[Issue]:
    issues = []
    seen: set[str] = set()
    for i, t in enumerate(ts.targets):
        if t.code in seen:
            issues.append(Issue(("targets", i, "code"), f"mã chỉ tiêu {t.code} bị trùng"))
        seen.add(t.code)
        if t.unit == "percent" and t.threshold > 100:
            issues.append(Issue(("targets", i, "threshold"), f"{t.code}: ngưỡng phần trăm lớn hơn 100"))
    return issues
