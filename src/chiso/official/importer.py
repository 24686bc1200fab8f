"""``chiso import-official``: read a file completely, then store all its snapshots in one transaction.

Idempotent by content: a file whose SHA-256 is already stored is skipped, whatever its name. Snapshots are
never overwritten or deleted; every capture stays in the history.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chiso.domain.periods import Period
from chiso.errors import InputFileError
from chiso.methodology import load_methodology, methodology_for
from chiso.methodology.model import Methodology
from chiso.official import detail, listing, reader
from chiso.official.bundle import ParsedFile
from chiso.official.values import date_in_name
from chiso.store import Store
from chiso.xlsxfile import XlsxLimits


@dataclass
class SnapshotReport:
    snapshot_id: str
    sheet: str | None
    period: str
    period_label: str
    scope: str
    units: int
    captured_at: datetime
    captured_basis: str
    methodology: str


@dataclass
class ImportReport:
    file: str
    file_id: str
    status: str  # imported | duplicate
    shape: str
    snapshots: list[SnapshotReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duplicate_of: str | None = None


def parse_file(
    path: Path,
    *,
    period: Period | None = None,
    methodology: str | None = None,
    captured_at: datetime | None = None,
    limits: XlsxLimits | None = None,
) -> ParsedFile:
    """Read and validate a whole file; raise InputFileError (nothing stored) at the first problem."""
    try:
        return _parse_file(path, period=period, methodology=methodology, captured_at=captured_at, limits=limits)
    except RecursionError as exc:  # values nested so deep that reading them exhausts the stack
        raise InputFileError(
            f"Tệp {path} có cấu trúc lồng nhau quá sâu. Tệp không được nhập.",
            file=str(path),
            place="toàn tệp",
            expected="JSON lồng nhau không quá vài chục cấp",
            detail="RecursionError",
        ) from exc


def _parse_file(
    path: Path,
    *,
    period: Period | None,
    methodology: str | None,
    captured_at: datetime | None,
    limits: XlsxLimits | None,
) -> ParsedFile:
    file = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(
            f"Không đọc được tệp {file}", file=file, place="toàn tệp", expected="tệp đọc được", detail=str(exc)
        ) from exc
    file_id = hashlib.sha256(data).hexdigest()
    chooser: Callable[[Period], Methodology]
    if methodology:
        fixed = load_methodology(methodology)
        chooser = lambda _p: fixed  # noqa: E731
    else:
        chooser = methodology_for
    captured = _fallback_capture(path, captured_at)
    suffix = reader.suffix_of(path)
    warnings: list[str] = []
    sheets: list[listing.Sheet]
    if suffix == ".json":
        content: Any = reader.read_json(data, file)
        if detail.looks_like_evaluation(content):  # before the list shape: 'departmentCode' is in both
            snapshots = detail.parse_evaluation(
                content, file=file, methodology_for=chooser, period=period, captured=captured
            )
            return ParsedFile(file, file_id, len(data), snapshots[0].shape, snapshots, warnings)
        if not _looks_like_rows(content):
            raise InputFileError(
                f"Không nhận ra dạng dữ liệu của tệp {file}. Tệp không được nhập.",
                file=file,
                place="cấp gốc",
                expected=(
                    "bản ghi đơn vị của API đánh giá (departmentCode, groupScores…) hoặc danh sách "
                    "(MA_COQUAN, TONG_SCORE…)"
                ),
                detail=f"top-level {type(content).__name__}"
                + (f" with keys {sorted(content)[:8]}" if isinstance(content, dict) else ""),
            )
        rows = content if isinstance(content, list) else _first_list(content) or []
        sheets = [reader.json_rows_as_sheet(rows, path.name)]
    elif suffix in (".xlsx", ".xlsm"):
        sheets, created = reader.read_workbook(data, file, limits)
        if created is not None and captured_at is None:
            captured = (created, "workbook")
    elif suffix == ".csv":
        sheets = reader.read_csv(data, file)
    else:
        raise InputFileError(
            f"Định dạng tệp {path.suffix or '(không có đuôi)'} không được hỗ trợ: {file}",
            file=file,
            place="đuôi tệp",
            expected=", ".join(reader.SUPPORTED),
        )
    snapshots = listing.parse_list_sheets(
        sheets,
        file=file,
        file_name=path.name,
        methodology_for=chooser,
        period=period,
        captured=captured,
        warnings=warnings,
    )
    return ParsedFile(file, file_id, len(data), "portal-list", snapshots, warnings)


def _fallback_capture(path: Path, captured_at: datetime | None) -> tuple[datetime, str]:
    if captured_at is not None:
        return captured_at, "user"
    named = date_in_name(path.name)
    if named is not None:
        return named, "file-name"
    return datetime.now(UTC), "import"


def _looks_like_rows(content: Any) -> bool:
    rows = content if isinstance(content, list) else _first_list(content)
    return (
        bool(rows)
        and isinstance(rows[0], dict)
        and any(listing.HEADER_ALIASES.get(listing.normalise_header(k)) == "MA_COQUAN" for k in rows[0])
    )


def _first_list(content: Any) -> list[Any] | None:
    if isinstance(content, dict):
        for value in content.values():
            if isinstance(value, list):
                return value
    return None


def store_file(
    store: Store, parsed: ParsedFile, *, extra_rows: Mapping[str, Sequence[Mapping[str, Any]]] | None = None
) -> ImportReport:
    """Write a parsed file in one transaction, or report it as a duplicate.

    The duplicate check is repeated under the writers' lock, in the writing transaction: two imports of one file
    at once store it once (the unique key on ``official_file.file_id`` backs this up). ``extra_rows`` (table →
    rows) are written in the same transaction: the raw responses and capture record of a portal capture
    (official/api_store.py).
    """
    known = _known(store, parsed.file_id)
    report = ImportReport(parsed.path, parsed.file_id, "imported", parsed.shape, warnings=parsed.warnings)
    ids = [f"{parsed.file_id[:16]}-{i:02d}" for i in range(len(parsed.snapshots))]
    for sid, s in zip(ids, parsed.snapshots, strict=True):
        report.snapshots.append(
            SnapshotReport(
                sid,
                s.sheet,
                s.period.key,
                s.period.label,
                s.scope,
                len(s.units),
                s.captured_at,
                s.captured_basis,
                s.methodology,
            )
        )
    if known:
        return _duplicate(report, known)
    now = datetime.now(UTC)
    snapshot_rows, unit_rows, group_rows, metric_rows = [], [], [], []
    for sid, s in zip(ids, parsed.snapshots, strict=True):
        snapshot_rows.append(
            {
                "snapshot_id": sid,
                "file_id": parsed.file_id,
                "sheet": s.sheet,
                "label": s.label,
                "shape": s.shape,
                "scope": s.scope,
                "period": s.period.key,
                "period_kind": str(s.period.kind),
                "period_start": s.period.start,
                "period_end": s.period.end,
                "captured_at": s.captured_at,
                "captured_basis": s.captured_basis,
                "methodology": s.methodology,
                "units": len(s.units),
            }
        )
        for u in s.units:
            unit_rows.append(
                {
                    "snapshot_id": sid,
                    "unit_code": u.code,
                    "unit_name": u.name,
                    "kind": u.kind,
                    "parent_code": u.parent,
                    "total": u.total,
                    "portal_rank": u.portal_rank,
                    "portal_group_rank": u.portal_group_rank,
                    "score_delta": u.score_delta,
                    "itemised": u.itemised,
                    "record": u.record,
                }
            )
            for g in u.groups:
                group_rows.append(
                    {"snapshot_id": sid, "unit_code": u.code, "group_code": g.code, "score": g.score, "max": g.max}
                )
            for mt in u.metrics:
                metric_rows.append(
                    {
                        "snapshot_id": sid,
                        "unit_code": u.code,
                        "group_code": mt.group,
                        "metric_code": mt.code,
                        "metric_name": mt.name,
                        "numerator": mt.numerator,
                        "denominator": mt.denominator,
                        "ratio": mt.ratio,
                        "score": mt.score,
                        "max": mt.max,
                        "data_quality": mt.data_quality,
                        "data_quality_message": mt.data_quality_message,
                        "source_field": mt.source_field,
                    }
                )
    with store.transaction():
        store.lock_writes()
        known = _known(store, parsed.file_id)  # stored by another writer while this one was reading
        if known:
            return _duplicate(report, known)
        store.insert(
            "official_file",
            [
                {
                    "file_id": parsed.file_id,
                    "file_name": Path(parsed.path).name,
                    "file_path": str(Path(parsed.path).resolve()),
                    "size": parsed.size,
                    "shape": parsed.shape,
                    "imported_at": now,
                    "snapshots": len(parsed.snapshots),
                    "units": len(unit_rows),
                }
            ],
        )
        store.insert("official_snapshot", snapshot_rows)
        store.insert("official_unit", unit_rows)
        store.insert("official_group", group_rows)
        store.insert("official_metric", metric_rows)
        for table, rows in (extra_rows or {}).items():
            store.insert(table, rows)
    return report


def _known(store: Store, file_id: str) -> list[dict[str, Any]]:
    files = store.table("official_file")
    return files.filter(files.file_id == file_id).select("file_name").to_pyarrow().to_pylist()


def _duplicate(report: ImportReport, known: list[dict[str, Any]]) -> ImportReport:
    report.status = "duplicate"
    report.duplicate_of = known[0]["file_name"]
    return report
