"""``chiso import-official`` for raw responses saved from the portal (the ``{"code","data","message"}`` envelope).

A response does not say its period or when it was taken (portal-api.md §7): they come from ``--period`` and
``--captured-at`` (or a ddmmyyyy run date in the file name, as trackers name files). All raw files of one
command with the same period and capture time form one capture; each refused file is reported on its own and
the others still combine.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chiso.domain.periods import Period
from chiso.domain.times import date_in_name
from chiso.errors import ChisoError, InputFileError
from chiso.methodology.model import Methodology
from chiso.official import api_store
from chiso.official.api_import import build_capture, scopes_of
from chiso.official.api_shapes import ApiResponse, is_envelope, read_response
from chiso.official.importer import ImportReport
from chiso.store import Store


@dataclass
class RawFile:
    path: Path
    data: bytes
    content: Any

    @property
    def name(self) -> str:
        return str(self.path)


@dataclass
class RawOutcome:
    path: str
    report: ImportReport | None = None
    error: ChisoError | None = None


def sniff(path: Path, data: bytes) -> RawFile | None:
    """The file as a raw response, or None when it is another shape (the other readers take it)."""
    if path.suffix.lower() != ".json" or b'"data"' not in data[:200_000] or b'"code"' not in data:
        return None
    from chiso.jsonfile import load_json

    try:
        content = load_json(data, str(path))
    except InputFileError:
        return None
    return RawFile(path, data, content) if is_envelope(content) else None


def _missing_options(f: RawFile, period: Period | None, captured: datetime | None) -> InputFileError:
    options = [o for o, v in (("--period", period), ("--captured-at", captured)) if v is None]
    what = {"--period": "kỳ đánh giá (ví dụ --period 2026, 2026-Q3 hoặc 2026-08)",
            "--captured-at": "thời điểm lấy số liệu (ví dụ --captured-at '2026-09-26 18:20')"}  # fmt: skip
    return InputFileError(
        f"Tệp {f.name} là phản hồi gốc của Cổng DVCQG; phản hồi không ghi "
        + " và ".join(what[o].split(" (")[0] for o in options)
        + ". Hãy nhập lại với "
        + " và ".join(what[o] for o in options)
        + ". Tệp không được nhập.",
        file=f.name,
        place="toàn tệp",
        expected=" và ".join(options),
        detail="a raw response carries neither its period nor its capture time; missing: " + ", ".join(options),
        hint="Ví dụ: chiso import-official " + " ".join(f"{o} …" for o in options) + f" {f.path.name}",
    )


def import_raw(
    store: Store,
    files: Sequence[RawFile],
    *,
    period: Period | None,
    captured_at: datetime | None,
    methodology_for: Callable[[Period], Methodology],
) -> list[RawOutcome]:
    """Import raw responses: one capture per capture time; every file gets an outcome."""
    outcomes = {f.name: RawOutcome(f.name) for f in files}
    groups: dict[tuple[datetime, str], list[tuple[RawFile, ApiResponse]]] = {}
    for f in files:
        moment, basis = (captured_at, "user") if captured_at else (date_in_name(f.path.name), "file-name")
        if period is None or moment is None:
            outcomes[f.name].error = _missing_options(f, period, moment)
            continue
        try:
            response = read_response(f.content, file=f.name, m=methodology_for(period))
        except ChisoError as exc:
            outcomes[f.name].error = exc
            continue
        groups.setdefault((moment, basis), []).append((f, response))
    assert period is not None or not groups
    for (moment, basis), members in groups.items():
        assert period is not None
        _import_group(store, members, period, (moment, basis), methodology_for(period), outcomes)
    return list(outcomes.values())


def _import_group(
    store: Store,
    members: list[tuple[RawFile, ApiResponse]],
    period: Period,
    captured: tuple[datetime, str],
    m: Methodology,
    outcomes: dict[str, RawOutcome],
) -> None:
    known = api_store.department_map(store)
    earlier, superseded = _earlier_parts(store, members, period, captured[0], m, known)
    seen = {hashlib.sha256(b).hexdigest() for _, b in earlier}
    for f, _ in members:
        if hashlib.sha256(f.data).hexdigest() in seen:
            outcomes[f.name].report = ImportReport(f.name, "", "duplicate", "portal-api",
                                                   duplicate_of="cùng lần lấy số liệu đã nhập")  # fmt: skip
    members = [(f, r) for f, r in members if hashlib.sha256(f.data).hexdigest() not in seen]
    while members:
        first = members[0][0]
        label = first.path.name + (f" (+{len(members) - 1} tệp)" if len(members) > 1 else "")
        try:
            built = build_capture(
                [*(r for r, _ in earlier), *(r for _, r in members)], period=period, captured=captured, methodology=m,
                known_ids=known, label=label, path=label, size=sum(len(f.data) for f, _ in members),
            )  # fmt: skip
        except InputFileError as exc:  # drop the file it names (or, for an earlier one, every new one)
            bad = [i for i, (f, _) in enumerate(members) if f.name == exc.file] or list(range(len(members)))
            for i in bad:
                outcomes[members[i][0].name].error = exc
            members = [x for i, x in enumerate(members) if i not in bad]
            continue
        break
    else:
        return
    now = datetime.now(UTC)
    scope = next((s.scope for s in built.scopes if s.scope != "VN"), built.scopes[0].scope if built.scopes else "")
    record = api_store.CaptureRecord(
        capture_id=f"import-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}",
        source="import", scope=scope, period=period, started_at=now, captured_at=captured[0], finished_at=now,
    )  # fmt: skip
    exchanges = [
        api_store.Exchange(r.endpoint, captured[0], f.data, source_name=f.path.name, page=_page(r)) for f, r in members
    ]
    if built.parsed is None:  # the catalogue only: keep the raw responses
        shas = [hashlib.sha256(f.data).hexdigest() for f, _ in members]
        if all(api_store.stored_response(store, sha, "import") for sha in shas):
            report = ImportReport(first.name, shas[0], "duplicate", "portal-api")
        else:
            record.status = api_store.STORED
            record.warnings = [f"Danh mục thủ tục: {built.catalogue_items} thủ tục trong các trang đã nhập"]
            api_store.save_capture(store, record, exchanges, built)
            report = ImportReport(first.name, record.capture_id, api_store.STORED, "portal-api",
                                  warnings=record.warnings)  # fmt: skip
    else:
        report = api_store.publish(store, record, exchanges, built, superseded)
    for i, (f, _) in enumerate(members):
        if i == 0:
            outcomes[f.name].report = report
        else:
            status = "duplicate" if report.status == "duplicate" else "combined"
            outcomes[f.name].report = ImportReport(f.name, report.file_id, status, report.shape,
                                                   duplicate_of=first.path.name)  # fmt: skip


def _earlier_parts(
    store: Store,
    members: list[tuple[RawFile, ApiResponse]],
    period: Period,
    moment: datetime,
    m: Methodology,
    known: dict[str, str],
) -> tuple[list[tuple[ApiResponse, bytes]], list[str]]:
    """Responses of the same capture imported by earlier commands (same period and capture time, a scope in
    common): they combine with the new ones into a fuller snapshot, which supersedes theirs."""
    scopes = scopes_of([r for _, r in members], known)
    rows = [row for row in api_store.same_time_imports(store, period, moment)
            if scopes & set(api_store.pairs(row["fingerprints"]))]  # fmt: skip
    parts: list[tuple[ApiResponse, bytes]] = []
    shas: set[str] = set()
    for raw in api_store.responses_of(store, [row["capture_id"] for row in rows]):
        if raw["sha256"] in shas:
            continue
        shas.add(raw["sha256"])
        body = api_store.decompress(raw["body"])
        content = json.loads(body.decode("utf-8-sig"))
        parts.append((read_response(content, file=raw["source_name"] or raw["capture_id"], m=m), body))
    gone = set(store.table("official_superseded").snapshot_id.to_pyarrow().to_pylist())
    superseded = [f"{k}={v}" for row in rows for k, v in api_store.pairs(row["snapshot_ids"]).items() if v not in gone]
    return parts, superseded


def _page(r: ApiResponse) -> int | None:
    return r.pagination.current if r.pagination else None
