"""Shipped methodologies and target sets; choose one by name, by file or by the period it applies to."""

from __future__ import annotations

from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from chiso.domain.periods import Period
from chiso.errors import MethodologyError, PeriodError
from chiso.methodology.checks import check_methodology
from chiso.methodology.loader import validate, validate_file
from chiso.methodology.model import Methodology
from chiso.methodology.targets import TargetSet, check_targets

DEFAULT_TARGETS = "chi-tieu-theo-doi"
_TARGET_SETS = {DEFAULT_TARGETS}


def _data_dir() -> Traversable:
    return resources.files("chiso.methodology") / "data"


def available() -> list[str]:
    """Names of the shipped methodologies, oldest first."""
    names = [
        p.name.removesuffix(".yaml")
        for p in _data_dir().iterdir()
        if p.name.endswith(".yaml") and p.name.removesuffix(".yaml") not in _TARGET_SETS
    ]
    return sorted(names, key=lambda n: load_methodology(n).effective_from)


@cache
def _load_packaged(name: str) -> Methodology:
    file = _data_dir() / f"{name}.yaml"
    if not file.is_file():
        raise MethodologyError(
            f"Không có phương pháp tính '{name}'",
            detail=f"available: {', '.join(available())}",
        )
    return validate(Methodology, file.read_text(encoding="utf-8"), f"{name}.yaml", check_methodology)


def load_methodology(name_or_path: str | Path) -> Methodology:
    """A shipped methodology by name (``dvcqg-live``) or a user's file by path."""
    text = str(name_or_path)
    if text.endswith((".yaml", ".yml")) or Path(text).is_file():
        return validate_file(Methodology, Path(text), check_methodology)
    return _load_packaged(text)


def methodology_for(period: Period) -> Methodology:
    """The shipped methodology in force on the period's last day."""
    for name in reversed(available()):
        m = load_methodology(name)
        if m.applies_on(period.end):
            return m
    raise PeriodError(
        f"Không có phương pháp tính nào áp dụng cho {period.label}",
        detail="the index exists since 23/06/2022",
    )


@cache
def _load_packaged_targets(name: str) -> TargetSet:
    file = _data_dir() / f"{name}.yaml"
    return validate(TargetSet, file.read_text(encoding="utf-8"), f"{name}.yaml", check_targets, "chỉ tiêu")


def load_targets(path: str | Path | None = None) -> TargetSet:
    """The shipped local targets, or a user's targets file."""
    if path is None:
        return _load_packaged_targets(DEFAULT_TARGETS)
    return validate_file(TargetSet, Path(path), check_targets, "chỉ tiêu")
