"""Ranks with ties, rating bands, and change against a previous ranking.

Equal values share a rank and the next rank skips ("1, 2, 2, 4": standard competition ranking). How the portal
breaks ties is not published (methodology.md §10); its own order is shown beside ours where it exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from chiso.errors import ChisoError


class Band(StrEnum):
    EXCELLENT = "excellent"
    GOOD = "good"
    FAIR = "fair"
    AVERAGE = "average"
    WEAK = "weak"

    @property
    def label(self) -> str:
        return {
            Band.EXCELLENT: "Xuất sắc",
            Band.GOOD: "Tốt",
            Band.FAIR: "Khá",
            Band.AVERAGE: "Trung bình",
            Band.WEAK: "Yếu",
        }[self]


@dataclass(frozen=True)
class Bands:
    """Lower bounds of each band. ≥ 90 Xuất sắc and < 50 Yếu are published; 80 and 70 are a working rule."""

    excellent: Decimal = Decimal(90)
    good: Decimal = Decimal(80)
    fair: Decimal = Decimal(70)
    average: Decimal = Decimal(50)

    def __post_init__(self) -> None:
        if not (self.excellent > self.good > self.fair > self.average >= 0):
            raise ChisoError(
                "Ngưỡng xếp loại phải giảm dần: Xuất sắc > Tốt > Khá > Trung bình ≥ 0",
                detail=f"got {self.excellent}/{self.good}/{self.fair}/{self.average}",
            )

    def of(self, total: Decimal | None) -> Band | None:
        if total is None:
            return None
        if total >= self.excellent:
            return Band.EXCELLENT
        if total >= self.good:
            return Band.GOOD
        if total >= self.fair:
            return Band.FAIR
        if total >= self.average:
            return Band.AVERAGE
        return Band.WEAK


def competition_ranks(values: Sequence[Decimal | None]) -> list[int | None]:
    """Rank by value, highest first; equal values share the rank; None is not ranked."""
    present = sorted((v for v in values if v is not None), reverse=True)
    first_at: dict[Decimal, int] = {}
    for i, v in enumerate(present, start=1):
        first_at.setdefault(v, i)
    return [None if v is None else first_at[v] for v in values]


@dataclass(frozen=True)
class Change:
    """Change of a unit between two rankings. ``rank`` > 0 means the unit moved up."""

    score: Decimal | None
    rank: int | None
    previous_score: Decimal | None
    previous_rank: int | None


def change(
    score: Decimal | None, rank: int | None, previous_score: Decimal | None, previous_rank: int | None
) -> Change:
    ds = None if score is None or previous_score is None else score - previous_score
    dr = None if rank is None or previous_rank is None else previous_rank - rank
    return Change(ds, dr, previous_score, previous_rank)
