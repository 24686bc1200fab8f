"""Uploaded files: kept under the data directory, then imported (portal results) or ingested (dossier data).

Both the upload page and ``POST /api/v1/uploads`` call :func:`save` then :func:`process`; the answer is the same
JSON the CLI's ``import-official`` and ``ingest`` print with ``--format json``, one object per file.

Reading and checking a file happens outside the application's write lock; the lock is held only while the
checked rows are written (and the current dossier table rebuilt), so a large upload does not make the other
users' uploads wait while it is parsed. A file refused as a whole (too large once unpacked, unreadable, no
recognisable heading…) is reported with the reader's Vietnamese message.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import HTTPException, UploadFile

from chiso import serialize
from chiso.errors import ChisoError, InputFileError
from chiso.web.context import Ctx
from chiso.web.queries import period_arg

KINDS = {
    "official": "Kết quả do Cổng DVCQG công bố",
    "auto": "Dữ liệu hồ sơ, TTHC, đơn vị (tự nhận dạng)",
    "dossiers": "Hồ sơ",
    "procedures": "Danh mục TTHC",
    "units": "Danh mục đơn vị",
    "petitions": "Phản ánh, kiến nghị",
}
SUFFIXES = {".json", ".csv", ".xlsx", ".xls", ".txt"}
MAX_BYTES = 200 * 1024 * 1024


def _safe_name(name: str) -> str:
    base = Path(name or "tep").name
    base = re.sub(r"[^\w.\-]+", "_", base, flags=re.UNICODE).strip("._") or "tep"
    return base[:120]


async def save(ctx: Ctx, files: list[UploadFile]) -> list[Path]:
    """Write the uploads under ``<data dir>/uploads/<time>-<random>/``, refusing unknown types and huge files."""
    folder = ctx.web.data_dir / "uploads" / f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in files:
        name = _safe_name(f.filename or "")
        if Path(name).suffix.lower() not in SUFFIXES:
            raise HTTPException(400, f"Tệp {name}: chỉ nhận tệp .json, .csv, .xlsx")
        data = await f.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise HTTPException(413, f"Tệp {name} lớn hơn {MAX_BYTES // (1024 * 1024)} MB")
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def process(ctx: Ctx, paths: list[Path], kind: str, period: str | None = None) -> list[dict[str, Any]]:
    """Import or ingest saved files; one report per file; every upload is written to the audit log."""
    if kind not in KINDS:
        raise HTTPException(400, f"Loại dữ liệu không hợp lệ: {kind}")
    ws = ctx.ws
    lock = ctx.web.write_lock  # held by the workspace only while it writes
    try:
        if kind == "official":
            outcomes = ws.import_official(paths, period=period_arg(period), write_lock=lock)
            reports = [serialize.import_outcome(o) for o in outcomes]
            for o, r in zip(outcomes, reports, strict=True):
                r["file"] = Path(o.path).name
                ctx.audit("import", Path(o.path).name, f"{r['status']}; {len(r['snapshots'])} bộ số liệu")
        else:
            ingest = getattr(ws, "ingest", None)
            if ingest is None:
                raise HTTPException(501, "Phiên bản này chưa có phần nạp dữ liệu hồ sơ")
            try:
                results = ingest(paths, kind=None if kind == "auto" else kind, write_lock=lock)
            except ChisoError as exc:
                ctx.audit("upload", Path(getattr(exc, "file", "") or "").name, f"từ chối: {exc.message}")
                raise
            reports = [serialize.ingest_report(r) for r in results]
            for r in reports:
                ctx.audit(
                    "upload",
                    r["file"],
                    f"{r['kind']}: {r['rows_stored']} dòng lưu, {r['rows_rejected']} dòng bị từ chối"
                    + ("; đã có trong kho" if r["skipped"] else ""),
                )
    finally:
        ctx.web.invalidate()  # files stored before a refused one count too
    return reports


def refused(exc: ChisoError, paths: list[Path]) -> dict[str, Any]:
    """A file refused as a whole, in the shape the upload page shows (as ``import-official``'s refusals)."""
    file = Path(getattr(exc, "file", "") or (paths[0] if paths else "tệp")).name
    earlier = " Các tệp đứng trước nó (nếu có) đã được nạp: xem Lịch sử nhập." if len(paths) > 1 else ""
    hint = f" Gợi ý: {exc.hint}" if exc.hint else ""
    return {
        "file": file, "status": "refused", "error": exc.message + hint + earlier,
        "place": exc.place if isinstance(exc, InputFileError) else None,
        "detail": exc.detail, "snapshots": [], "warnings": [],
    }  # fmt: skip
