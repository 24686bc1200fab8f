"""Shared by the report tests: the Gò Dầu letter's inputs, the reference letter, local extra lines."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from chiso.domain.periods import Period
from chiso.domain.results import FigureStatus, Origin, Source
from chiso.methodology.model import Metric
from chiso.report.data import ReportData, gather
from chiso.scoring.explain import Basis, Line
from chiso.workspace import Workspace

REFERENCE = Path(__file__).parent / "fixtures" / "godau" / "cong-van-go-dau-2023-06-02.txt"  # shared/reference
ISSUED = date(2023, 6, 2)
MAY = Period.parse("2023-05")
GO_DAU = "H53.07"
# Certified copies made electronically, as the local engine reports them (numerator e-copies, denominator copies):
# the town needs 23 more to reach 50 %, Hiệp Thạnh 44 (the reference letter's figures); the others reach it.
E_COPIES = {"H53.07.01": (27, 100), "H53.07.04": (16, 120), "H53.07.02": (40, 60), "H53.07.03": (30, 50)}

E_COPY_METRIC = Metric.model_validate(
    {
        "code": "E_CERTIFIED_COPY_SHARE",
        "name": "Tỷ lệ hồ sơ chứng thực bản sao từ bản chính thực hiện điện tử",
        "max": 0,
        "rule": {"kind": "monitor"},
        "on_empty": "not_applicable",
        "definition": "bản sao chứng thực điện tử / bản sao chứng thực",
        "numerator_label": "bản sao chứng thực điện tử",
        "denominator_label": "bản sao chứng thực",
        "improvement": "none",
        "evidence": {"max": {"label": "assumed"}, "definition": {"label": "assumed"}, "rule": {"label": "assumed"}},
    }
)


def e_copy_line(numerator: int, denominator: int) -> Line:
    return Line(
        group="MDSH",
        name=E_COPY_METRIC.name,
        max=Decimal(0),
        score=None,
        status=FigureStatus.NOT_APPLICABLE,
        basis=Basis.LOCAL,
        metric=E_COPY_METRIC,
        numerator=Fraction(numerator),
        denominator=Fraction(denominator),
    )


def with_e_copies(data: ReportData) -> ReportData:
    """The data as the local engine would add its extra target lines to it."""
    subjects = [
        replace(v, lines=[*v.lines, e_copy_line(*E_COPIES[v.unit])]) if v.unit in E_COPIES else v
        for v in data.subjects
    ]
    return replace(data, subjects=subjects)


def as_estimate(data: ReportData) -> ReportData:
    """The same figures marked as the local estimate ('số liệu tạm tính')."""
    origin = Origin(Source.LOCAL, data.origin.period, data.origin.cutoff, data.origin.methodology)
    sender = replace(data.sender, origin=origin)
    return replace(data, sender=sender, origin=origin, subjects=[replace(v, origin=origin) for v in data.subjects])


def go_dau_data(ws: Workspace) -> ReportData:
    return with_e_copies(gather(ws, GO_DAU, MAY))


def normalise(text: str) -> str:
    """One space between words, the reference's markup and line breaks gone."""
    text = text.replace("**", "").replace("<https://", "https://").replace(".vn>", ".vn")
    return re.sub(r"\s+", " ", text).strip().replace("–", "-")


def frame(text: str) -> str:
    """A sentence with its figures blanked: '92.37%' and '92,37%' both become '#', 'Trạch: #' as 'Trạch #'."""
    out = re.sub(r":\s*(\d+(?:[.,]\d+)?%)", r" \1", normalise(text))  # 'Trạch: 95%' as 'Trạch 95%'
    return re.sub(r"\d+(?:[.,]\d+)?%?", "#", out)


def reference_text() -> str:
    return normalise(REFERENCE.read_text(encoding="utf-8"))
