"""Letters (công văn), appendix, PDF and brief, generated through the report module and kept for download.

The one call into ``chiso.report`` is :func:`builder`: a function ``(ws, period, unit, out_dir, source)`` that
writes the files of ``chiso report`` (letter.docx, appendix.xlsx, letter.pdf when LibreOffice is present, else
letter.pdf.txt saying how to get it, brief.txt) into ``out_dir``, through ``chiso.report.produce``. Each
generated set lives in ``<data dir>/letters/<id>/`` with a ``meta.json`` saying which unit, period and source it
is for, so that downloads go through the same access rule as everything else.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import HTTPException
from fastapi.responses import FileResponse

from chiso.domain.periods import Period
from chiso.errors import ChisoError
from chiso.web.context import Ctx

META = "meta.json"
_ID = re.compile(r"^[0-9A-Za-z_-]{6,64}$")
MEDIA = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pdf": "application/pdf",
    ".txt": "text/plain; charset=utf-8",
}
LABELS = {
    "letter.docx": "Công văn (Word)",
    "letter.pdf": "Công văn (PDF)",
    "letter.pdf.txt": "Vì sao chưa có bản PDF",
    "appendix.xlsx": "Phụ lục (Excel)",
    "brief.txt": "Tóm tắt cho lãnh đạo",
}


def builder() -> Callable[..., Any] | None:
    """The letter writer of ``chiso.report`` (as ``chiso report`` runs it), or None without the report module."""
    try:
        from chiso.report.produce import ReportRequest, produce
    except ImportError:  # pragma: no cover - the report module ships with chiso
        return None

    def build(ws: Any, period: Period, unit: str, out_dir: Path, source: str) -> Any:
        return produce(ws, ReportRequest(unit, period, out_dir, source=source))

    return build


def _root(ctx: Ctx) -> Path:
    return ctx.web.data_dir / "letters"


def generate(ctx: Ctx, unit: str, period: str, source: str = "official") -> dict[str, Any]:
    ctx.require_writer()
    unit = ctx.unit(unit).code
    build = builder()
    if build is None:
        raise HTTPException(501, "Phiên bản này chưa có chức năng tạo công văn (chiso report)")
    if source not in ("official", "local"):
        raise HTTPException(400, f"Nguồn số liệu không hợp lệ: {source}")
    chosen = Period.parse(period)
    letter_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"
    out_dir = _root(ctx) / letter_id
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        build(ctx.ws, chosen, unit, out_dir, source)
    except ChisoError:
        _remove(out_dir)
        raise
    files = sorted(p.name for p in out_dir.iterdir() if p.is_file() and p.name != META)
    meta = {
        "id": letter_id,
        "unit": unit,
        "unit_name": ctx.tree.get(unit).name if ctx.tree.get(unit) else unit,  # type: ignore[union-attr]
        "period": chosen.key,
        "period_label": chosen.label,
        "source": source,
        "created_at": datetime.now(UTC).isoformat(),
        "created_by": ctx.user.username,
        "files": files,
    }
    (out_dir / META).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    ctx.audit("letter", unit, f"{chosen.key}, {source}: {', '.join(files)}")
    return meta


def _remove(folder: Path) -> None:
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()


def _meta(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / META).read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return None


def listing(ctx: Ctx, unit: str | None = None) -> list[dict[str, Any]]:
    """Generated sets the user may see (their units only), newest first."""
    root = _root(ctx)
    if not root.is_dir():
        return []
    out = []
    for folder in sorted(root.iterdir(), reverse=True):
        meta = _meta(folder) if folder.is_dir() else None
        if meta and ctx.allowed(meta["unit"]) and (unit is None or meta["unit"] == unit):
            out.append(meta)
    return out


def download(ctx: Ctx, letter_id: str, name: str) -> FileResponse:
    if not _ID.match(letter_id):
        raise HTTPException(404, "Không có bộ công văn này")
    folder = _root(ctx) / letter_id
    meta = _meta(folder)
    if meta is None:
        raise HTTPException(404, "Không có bộ công văn này")
    ctx.unit(meta["unit"])  # the same access rule as the unit's pages
    if name not in meta["files"]:
        raise HTTPException(404, f"Không có tệp {name}")
    path = folder / name
    return FileResponse(path, media_type=MEDIA.get(path.suffix, "application/octet-stream"), filename=name)
