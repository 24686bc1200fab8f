"""Writing an output file: create its folder, and turn an OS error into a Vietnamese message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from chiso.errors import ChisoError


def save(path: Path, write: Callable[[str], object]) -> Path:
    """Call ``write(str(path))`` after creating the folder; a failure names the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        write(str(path))
    except OSError as exc:
        raise ChisoError(f"Không ghi được tệp {path}", detail=str(exc), hint="Kiểm tra thư mục --out.") from exc
    return path
