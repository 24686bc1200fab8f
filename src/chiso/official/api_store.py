"""Keep portal captures: raw responses (compressed, with their requests), the capture record, the id→code map,
and, when the capture is complete and its figures are new, its snapshots — all in one transaction.

Three outcomes (docs/portal.md): ``published`` (new snapshots), ``unchanged`` (the figures equal the newest
earlier capture of the same scope and period: no snapshot, but the capture record keeps the newer time), and
``incomplete``/``failed`` (nothing published; the record says what was missing).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import ibis

from chiso.domain.periods import Period
from chiso.official.api_import import Built, Department
from chiso.official.importer import ImportReport, SnapshotReport, store_file
from chiso.store import Store

PUBLISHED = "published"
UNCHANGED = "unchanged"
INCOMPLETE = "incomplete"
FAILED = "failed"
STORED = "stored"  # raw responses without scores (the procedure catalogue)


@dataclass
class Exchange:
    """One response with its request, as fetch received it or a saved file holds it."""

    endpoint: str | None
    received_at: datetime
    body: bytes | None
    url: str | None = None
    request_body: dict[str, Any] | None = None
    page: int | None = None
    status: int | None = None
    content_type: str | None = None
    elapsed_ms: int | None = None
    attempts: int = 1
    source_name: str | None = None
    error: str | None = None

    @property
    def sha256(self) -> str | None:
        return hashlib.sha256(self.body).hexdigest() if self.body is not None else None


@dataclass
class CaptureRecord:
    capture_id: str
    source: str  # fetch | import
    scope: str
    period: Period
    started_at: datetime
    captured_at: datetime
    finished_at: datetime
    base_url: str | None = None
    status: str = INCOMPLETE
    missing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    file_id: str | None = None
    snapshot_ids: dict[str, str] = field(default_factory=dict)  # scope → snapshot id
    fingerprints: dict[str, str] = field(default_factory=dict)
    same_as: datetime | None = None  # unchanged: the capture time of the figures it confirmed


def compress(body: bytes) -> bytes:
    return zlib.compress(body, 6)


def decompress(body: bytes) -> bytes:
    return zlib.decompress(body)


def response_rows(capture_id: str, exchanges: Sequence[Exchange]) -> list[dict[str, Any]]:
    return [
        {
            "capture_id": capture_id,
            "seq": i,
            "endpoint": x.endpoint,
            "url": x.url,
            "request_body": json.dumps(x.request_body, ensure_ascii=False) if x.request_body is not None else None,
            "page": x.page,
            "status": x.status,
            "content_type": x.content_type,
            "received_at": x.received_at,
            "elapsed_ms": x.elapsed_ms,
            "attempts": x.attempts,
            "size": len(x.body) if x.body is not None else None,
            "sha256": x.sha256,
            "body": compress(x.body) if x.body is not None else None,
            "source_name": x.source_name,
            "error": x.error,
        }
        for i, x in enumerate(exchanges, start=1)
    ]


def capture_row(c: CaptureRecord, responses: int) -> dict[str, Any]:
    return {
        "capture_id": c.capture_id,
        "source": c.source,
        "scope": c.scope,
        "period": c.period.key,
        "started_at": c.started_at,
        "captured_at": c.captured_at,
        "finished_at": c.finished_at,
        "status": c.status,
        "file_id": c.file_id,
        "snapshot_ids": ",".join(f"{k}={v}" for k, v in sorted(c.snapshot_ids.items())) or None,
        "fingerprints": ",".join(f"{k}={v}" for k, v in sorted(c.fingerprints.items())) or None,
        "responses": responses,
        "missing": "\n".join(c.missing) or None,
        "warnings": "\n".join(c.warnings) or None,
        "base_url": c.base_url,
    }


# -- reads ----------------------------------------------------------------------------------------------------
def department_map(store: Store) -> dict[str, str]:
    """departmentId → unit code, the newest pairing of each id."""
    t = store.table("portal_department")
    w = ibis.window(group_by=t.department_id, order_by=[ibis.desc(t.seen_at)])
    newest = t.mutate(_n=ibis.row_number().over(w)).filter(lambda x: x._n == 0)
    return {
        r["department_id"]: r["unit_code"] for r in newest.select("department_id", "unit_code").to_pyarrow().to_pylist()
    }


def _department_rows(
    departments: Sequence[Department], known: dict[str, str], capture_id: str, seen_at: datetime
) -> list[dict[str, Any]]:
    """Rows for ids that are new or whose code changed (the map is append-only)."""
    return [
        {"department_id": d.department_id, "unit_code": d.code, "unit_name": d.name, "kind": d.kind,
         "seen_at": seen_at, "capture_id": capture_id}
        for d in departments
        if known.get(d.department_id) != d.code
    ]  # fmt: skip


def captures(store: Store, *, scope: str | None = None, period: str | None = None) -> list[dict[str, Any]]:
    """Capture records, newest capture time first."""
    t = store.table("portal_capture")
    if scope is not None:
        t = t.filter(t.scope == scope)
    if period is not None:
        t = t.filter(t.period == period)
    return t.order_by([ibis.desc(t.captured_at), ibis.desc(t.finished_at)]).to_pyarrow().to_pylist()


def pairs(text: str | None) -> dict[str, str]:
    """``"H44=abc,VN=def"`` → {scope: value} (the fingerprints and snapshot ids of a capture record)."""
    return dict(part.split("=", 1) for part in (text or "").split(",") if "=" in part)


def previous_figures(store: Store, scope: str, period: Period, before: datetime) -> dict[str, Any] | None:
    """The newest published or unchanged capture of ``scope`` and ``period`` taken before ``before``."""
    for row in captures(store, period=period.key):
        if row["status"] not in (PUBLISHED, UNCHANGED) or row["captured_at"] >= before:
            continue
        if scope in pairs(row["fingerprints"]):
            return row
    return None


def confirmations(store: Store, snapshot_ids: Sequence[str]) -> dict[str, datetime]:
    """Per snapshot: the newest time a capture found its figures unchanged (portal-api.md §9.5)."""
    t = store.table("portal_capture")
    rows = t.filter(t.status.isin([PUBLISHED, UNCHANGED])).select("snapshot_ids", "captured_at").to_pyarrow()
    wanted = set(snapshot_ids)
    out: dict[str, datetime] = {}
    for r in rows.to_pylist():
        for sid in pairs(r["snapshot_ids"]).values():
            if sid in wanted and (sid not in out or r["captured_at"] > out[sid]):
                out[sid] = r["captured_at"]
    return out


def stored_response(store: Store, sha256: str, source: str) -> bool:
    r = store.table("portal_response")
    c = store.table("portal_capture").filter(lambda x: x.source == source).select("capture_id")
    return bool(r.filter(r.sha256 == sha256).join(c, "capture_id").count().to_pyarrow().as_py())


# -- writes ---------------------------------------------------------------------------------------------------
def same_time_imports(store: Store, period: Period, captured_at: datetime) -> list[dict[str, Any]]:
    """Published imports of raw files with this period and capture time (the same capture, other commands)."""
    return [
        row
        for row in captures(store, period=period.key)
        if row["source"] == "import" and row["status"] == PUBLISHED and row["captured_at"] == captured_at
    ]


def responses_of(store: Store, capture_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The stored raw responses of these captures, in the order they were stored."""
    if not capture_ids:
        return []
    r = store.table("portal_response")
    r = r.filter(r.capture_id.isin(list(capture_ids)) & r.body.notnull())
    return r.order_by(["capture_id", "seq"]).to_pyarrow().to_pylist()


def save_capture(
    store: Store,
    record: CaptureRecord,
    exchanges: Sequence[Exchange],
    built: Built | None,
    superseded: Sequence[str] = (),
) -> ImportReport | None:
    """Store a capture in one transaction: published when ``record.status`` is published and ``built`` has
    snapshots; otherwise only the record (and, unless unchanged, the raw responses)."""
    known = department_map(store)
    departments = _department_rows(built.departments if built else [], known, record.capture_id, record.captured_at)
    raw = [] if record.status == UNCHANGED else response_rows(record.capture_id, exchanges)
    if record.status == PUBLISHED and built is not None and built.parsed is not None:
        parsed = built.parsed
        record.file_id = parsed.file_id
        record.snapshot_ids = {s.scope: f"{parsed.file_id[:16]}-{i:02d}" for i, s in enumerate(parsed.snapshots)}
        extra = {
            "portal_capture": [capture_row(record, len(exchanges))],
            "portal_response": raw,
            "portal_department": departments,
            "official_superseded": [
                {"snapshot_id": old, "by_snapshot_id": record.snapshot_ids.get(scope), "at": record.finished_at}
                for scope, old in superseded_pairs(superseded)
                if scope in record.snapshot_ids
            ],
        }
        report = store_file(store, parsed, extra_rows=extra)
        if report.status == "duplicate":  # the same figures at the same time: keep nothing twice
            record.status = UNCHANGED
        return report
    with store.transaction():
        store.insert("portal_capture", [capture_row(record, len(exchanges))])
        store.insert("portal_response", raw)
        store.insert("portal_department", departments)
    return None


def unchanged_report(path: str, built: Built, previous: dict[str, Any]) -> ImportReport:
    """The report of a capture whose figures equal an earlier one: the earlier snapshots, nothing new."""
    parsed = built.parsed
    assert parsed is not None
    ids = pairs(previous.get("snapshot_ids"))
    report = ImportReport(path, previous.get("file_id") or "", UNCHANGED, parsed.shape, warnings=built.warnings)
    for s in parsed.snapshots:
        report.snapshots.append(
            SnapshotReport(ids.get(s.scope, ""), None, s.period.key, s.period.label, s.scope, len(s.units),
                           s.captured_at, s.captured_basis, s.methodology)
        )  # fmt: skip
    report.duplicate_of = previous["captured_at"].isoformat() if previous.get("captured_at") else None
    return report


def superseded_pairs(items: Sequence[str]) -> list[tuple[str, str]]:
    """``["H44=abc", …]`` → [(scope, snapshot id)]."""
    return [tuple(x.split("=", 1)) for x in items if "=" in x]  # type: ignore[misc]


def publish(
    store: Store,
    record: CaptureRecord,
    exchanges: Sequence[Exchange],
    built: Built,
    superseded: Sequence[str] = (),
) -> ImportReport:
    """Store a complete capture: new snapshots, or, when every scope's figures equal the newest earlier capture
    of that scope and period, only a record that confirms them at the newer time (nothing else changes)."""
    assert built.parsed is not None
    record.fingerprints = {r.scope: r.fingerprint for r in built.scopes}
    record.warnings = [*record.warnings, *(w for w in built.warnings if w not in record.warnings)]
    before = {scope: previous_figures(store, scope, record.period, record.captured_at) for scope in record.fingerprints}
    if all(p is not None and pairs(p["fingerprints"]).get(s) == record.fingerprints[s] for s, p in before.items()):
        found = {s: p for s, p in before.items() if p is not None}
        record.status = UNCHANGED
        record.snapshot_ids = {s: pairs(p["snapshot_ids"]).get(s, "") for s, p in found.items()}
        record.file_id = next(iter(found.values()))["file_id"]
        record.same_as = max(p["captured_at"] for p in found.values())
        save_capture(store, record, exchanges, built)
        return unchanged_report(built.parsed.path, built, next(iter(found.values())))
    record.status = PUBLISHED
    report = save_capture(store, record, exchanges, built, superseded)
    assert report is not None
    return report
