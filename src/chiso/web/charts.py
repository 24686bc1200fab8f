"""Plotly figures as JSON for the pages (drawn by /static/plotly.min.js from the installed plotly package)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import plotly.graph_objects as go

from chiso.domain.periods import Period
from chiso.domain.results import GroupScore
from chiso.formatting import number

BLUE = "#1f4e79"
LIGHT = "#dfe7ef"
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif", "size": 13}


def _layout(**extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "separators": ",.",  # decimal comma, dot for thousands
        "font": FONT,
        "margin": {"l": 10, "r": 20, "t": 10, "b": 30},
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        "showlegend": False,
    }
    base.update(extra)
    return base


def groups_chart(groups: Mapping[str, GroupScore], names: Mapping[str, str]) -> str:
    """Six groups against their maxima: a pale bar for the maximum, a dark one for the score."""
    codes = list(groups)[::-1]  # plotly draws the first category at the bottom
    labels = [f"{names.get(c, c)} ({c})" for c in codes]
    maxima = [float(groups[c].max) for c in codes]
    scores = [float(groups[c].score) if groups[c].score is not None else 0.0 for c in codes]
    text = [
        f"{number(groups[c].score)}/{number(groups[c].max)}" if groups[c].score is not None else "không có dữ liệu"
        for c in codes
    ]
    fig = go.Figure()
    fig.add_bar(y=labels, x=maxima, orientation="h", marker_color=LIGHT, hoverinfo="skip", name="Tối đa")
    fig.add_bar(
        y=labels, x=scores, orientation="h", marker_color=BLUE, text=text, textposition="outside",
        cliponaxis=False, hovertemplate="%{y}: %{text}<extra></extra>", name="Điểm",
    )  # fmt: skip
    fig.update_layout(
        **_layout(barmode="overlay", height=60 + 42 * len(codes), margin={"l": 10, "r": 70, "t": 10, "b": 30})
    )
    fig.update_xaxes(range=[0, max(maxima, default=1) * 1.05], gridcolor="#eee", zeroline=False)
    fig.update_yaxes(automargin=True)
    return fig.to_json()  # type: ignore[no-any-return]


def trend_chart(points: Sequence[tuple[str, Decimal | None]], bands: Sequence[Decimal] = ()) -> str:
    """Total score by period, with the band thresholds as dotted lines."""
    labels = [Period.parse(p).label for p, _ in points]
    values = [float(v) if v is not None else None for _, v in points]
    fig = go.Figure()
    fig.add_scatter(
        x=labels, y=values, mode="lines+markers+text", line={"color": BLUE, "width": 3}, marker={"size": 8},
        text=[number(v) if v is not None else "" for _, v in points], textposition="top center",
        hovertemplate="%{x}: %{y:.2f}<extra></extra>",
    )  # fmt: skip
    present = [v for v in values if v is not None]
    low = min(present, default=50.0)
    for b in bands:
        if float(b) >= low - 5:
            fig.add_hline(y=float(b), line_dash="dot", line_color="#999", line_width=1)
    fig.update_layout(**_layout(height=280, margin={"l": 40, "r": 20, "t": 20, "b": 40}))
    fig.update_yaxes(range=[max(min(low - 5, 90), 0), 101], gridcolor="#eee")
    fig.update_xaxes(type="category")
    return fig.to_json()  # type: ignore[no-any-return]
