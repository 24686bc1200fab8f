"""Ingest one file: recognise it, parse every field, store valid rows, report and keep every rejected row.

The invariant users rely on: ``rows_read = rows_stored + rows_rejected``. A row is rejected when any of its
fields cannot be read or a cross-check fails; every such field is reported (file, row, field, value, reason).
A file whose shape cannot be recognised, or that lacks a required column, is refused as a whole with
``InputFileError`` and nothing is written. A file already ingested (same SHA-256) is skipped.

``read_file`` reads and checks a file without touching the store; ``store_checked`` writes its rows, rejects and
``ingest_run`` rows in one transaction under the writers' lock (``Store.lock_writes``): a second ingest of the
same file waits, then reports it as already loaded. When the workspace ingests, that transaction also covers the
rebuild of the derived tables (docs/guarantees.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import yaml

from chiso.cells import CsvWriter
from chiso.errors import InputFileError
from chiso.ingest.catalogue import BASE_CODE, UnknownCodes, unknown_codes
from chiso.ingest.fields import KIND_FIELDS, KIND_LABELS, Field, FieldType, match_headings
from chiso.ingest.parse import damaged_text, parse
from chiso.ingest.readers import WHOLE_ROW, RawTable, read
from chiso.store import limits as store_limits
from chiso.store.connection import Store
from chiso.workdays import WorkCalendar
from chiso.xlsxfile import XlsxLimits

PETITION_DAYS = 15  # working days to handle a PAKN (Quy chế Cổng DVCQG)
MAX_REPORTED = 1000  # rejects kept in the report object; the table and the CSV keep all of them
# Event times: the newest of them is the time a row's state is from (a deadline is not an event).
DATE_FIELDS = ("submitted_at", "received_at", "finished_at", "returned_at", "rejected_at", "supplement_first_at")
SHOWN_CHARS = 200  # characters of a rejected value kept in the report and the rejects table
TARGET_TABLE = {
    "dossiers": "dossier_version",
    "steps": "dossier_step",
    "procedures": "procedure_version",
    "units": "unit_version",
    "petitions": "petition_version",
}


@dataclass(frozen=True)
class RejectRow:
    row: int
    field: str
    value: str
    reason: str


@dataclass
class IngestReport:
    file_name: str
    path: str
    kind: str
    format: str
    rows_read: int = 0
    rows_stored: int = 0
    rows_rejected: int = 0
    skipped: bool = False
    duplicate_of: str | None = None
    rejects: list[RejectRow] = field(default_factory=list)
    rejects_total: int = 0  # reject entries (a row may have several bad fields)
    rejects_csv: Path | None = None
    ingest_id: int | None = None
    warnings: list[str] = field(default_factory=list)
    dropped_personal: list[str] = field(default_factory=list)
    unknown_headings: list[str] = field(default_factory=list)
    unknown_codes: list[UnknownCodes] = field(default_factory=list)  # codes the catalogues do not know

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


def file_id(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_mapping(path: Path) -> dict[str, str]:
    """A mapping file: YAML ``{their heading: our field}``; our field names are checked."""
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputFileError(
            f"Không đọc được tệp ánh xạ cột {path.name}",
            file=str(path),
            expected="YAML dạng {tiêu đề cột của tệp: tên trường của chiso}",
            detail=str(exc),
        ) from exc
    if not isinstance(content, dict):
        raise InputFileError(
            f"Tệp ánh xạ cột {path.name} phải là một bảng {{tiêu đề: trường}}",
            file=str(path),
            expected="YAML dạng {tiêu đề cột của tệp: tên trường của chiso}",
        )
    known = {f.name for fields in KIND_FIELDS.values() for f in fields}
    for theirs, ours in content.items():
        if str(ours) not in known:
            raise InputFileError(
                f"Tệp ánh xạ cột {path.name}: trường '{ours}' (cho cột '{theirs}') không tồn tại",
                file=str(path),
                place=str(theirs),
                expected="một trong: " + ", ".join(sorted(known)),
            )
    return {str(k): str(v) for k, v in content.items()}


def _format_of(path: Path) -> str:
    return {".csv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".json": "json"}.get(path.suffix.lower(), "?")


class _Collector:
    """Collects reject entries per row; the set of rejected rows decides what is stored."""

    def __init__(self, n: int, rows: pa.Array) -> None:
        self.n = n
        self.rows = rows
        self.rejected = pa.repeat(False, n) if n else pa.array([], pa.bool_())
        self.whole_row = self.rejected  # rows unreadable as a whole: reported once, nothing more
        self.by_field: dict[str, pa.Array] = {}  # rows already reported for a field: one reason per field
        self.entries: list[pa.Table] = []

    def add(self, mask: pa.Array, label: str, values: pa.Array, reason: str) -> None:
        mask = pc.and_(pc.fill_null(mask, False), pc.invert(self.whole_row))
        if label in self.by_field:
            mask = pc.and_(mask, pc.invert(self.by_field[label]))
        if not pc.any(mask).as_py():
            return
        self.by_field[label] = pc.or_(self.by_field[label], mask) if label in self.by_field else mask
        self.rejected = pc.or_(self.rejected, mask)
        idx = pc.indices_nonzero(mask)
        shown = pc.utf8_slice_codeunits(pc.fill_null(pc.take(values, idx).cast(pa.string()), ""), 0, SHOWN_CHARS)
        self.entries.append(
            pa.table(
                {
                    "row": pc.take(self.rows, idx),
                    "field": pa.repeat(label, len(idx)).cast(pa.string()),
                    "value": shown,
                    "reason": pa.repeat(reason, len(idx)).cast(pa.string()),
                }
            )
        )

    def add_rows(self, problems: list[tuple[int, str, str, str]]) -> None:
        if not problems:
            return
        wanted = {p[0] for p in problems}
        mask = pa.array([r in wanted for r in self.rows.to_pylist()], type=pa.bool_())
        self.rejected = pc.or_(self.rejected, mask)
        whole = {p[0] for p in problems if p[1] == WHOLE_ROW}
        if whole:
            self.whole_row = pc.or_(
                self.whole_row, pa.array([r in whole for r in self.rows.to_pylist()], type=pa.bool_())
            )
        self.entries.append(
            pa.table(
                {
                    "row": pa.array([p[0] for p in problems], pa.int64()),
                    "field": pa.array([p[1] for p in problems], pa.string()),
                    "value": pa.array([p[2] for p in problems], pa.string()),
                    "reason": pa.array([p[3] for p in problems], pa.string()),
                }
            )
        )

    def table(self) -> pa.Table:
        if not self.entries:
            return pa.table({"row": pa.array([], pa.int64()), "field": pa.array([], pa.string()),
                             "value": pa.array([], pa.string()), "reason": pa.array([], pa.string())})  # fmt: skip
        return pa.concat_tables(self.entries).sort_by([("row", "ascending"), ("field", "ascending")])


def _refuse_missing(path: Path, kind: str, missing: list[Field], headings: list[str]) -> InputFileError:
    names = ", ".join(f"'{f.label}'" for f in missing)
    return InputFileError(
        f"Tệp {path.name} ({KIND_LABELS[kind]}) thiếu cột bắt buộc: {names}. Tệp không được nạp.",
        file=str(path),
        place="dòng tiêu đề",
        expected="các cột " + ", ".join(f"'{f.headings[0] if f.headings else f.label}'" for f in missing),
        detail="headings found: " + ", ".join(headings[:40]),
        hint="Đổi tên cột cho đúng, hoặc dùng --mapping TỆP.yaml để khai báo tên cột của hệ thống của bạn.",
    )


def _columns(
    raw: RawTable, path: Path, kind: str, mapping: Mapping[str, str] | None, unit_names: Mapping[str, str] | None
) -> tuple[dict[str, pa.Array], list[str], list[str], list[str]]:
    """Raw string column per field (present in the file, a default, or derived), plus notes."""
    fields = KIND_FIELDS[kind]
    found, unknown, personal = match_headings(raw.headings, fields, dict(mapping or {}))
    n = raw.length
    columns: dict[str, pa.Array] = {name: raw.columns[i] for name, i in found.items()}
    for name, value in raw.defaults.items():
        if name not in columns:
            columns[name] = pa.repeat(value, n).cast(pa.string())
        else:
            columns[name] = pc.coalesce(columns[name], pa.scalar(value, pa.string()))
    warnings: list[str] = list(raw.notes)
    if kind == "dossiers" and "unit_code" not in columns and "unit_name" in columns and unit_names:
        by_name = {k.casefold(): v for k, v in unit_names.items()}
        names = pc.utf8_trim_whitespace(columns["unit_name"]).to_pylist()
        columns["unit_code"] = pa.array([by_name.get((x or "").casefold()) for x in names], pa.string())
        warnings.append("Mã đơn vị lấy theo tên đơn vị xử lý trong danh mục đơn vị.")
    missing = [f for f in fields if f.required and f.name not in columns]
    if missing and n > 0:
        raise _refuse_missing(path, kind, missing, raw.headings)
    return columns, unknown, personal, warnings


def column_maximum(kind: str, f: Field) -> int | Decimal | None:
    """The largest value the store's column for a numeric field holds (its type is the one definition)."""
    if f.type not in (FieldType.INT, FieldType.DECIMAL):
        return None
    found = store_limits.column_maximum(TARGET_TABLE[kind], f.name)
    return found if found is not None else (store_limits.NUM_MAX if f.type is FieldType.DECIMAL else None)


def _parse_table(
    raw: RawTable, path: Path, kind: str, mapping: Mapping[str, str] | None, unit_names: Mapping[str, str] | None
) -> tuple[dict[str, pa.Array], _Collector, list[str], list[str], list[str]]:
    columns, unknown, personal, warnings = _columns(raw, path, kind, mapping, unit_names)
    n = raw.length
    bad = _Collector(n, raw.rows)
    bad.add_rows(raw.problems)
    values: dict[str, pa.Array] = {}
    for f in KIND_FIELDS[kind]:
        col = columns.get(f.name)
        if col is None:
            continue
        for mask, reason in damaged_text(col):
            bad.add(mask, f.label, col, reason)
        parsed = parse(f, col, maximum=column_maximum(kind, f))
        values[f.name] = parsed.values
        for mask, reason in parsed.details:
            bad.add(mask, f.label, col, reason)
        bad.add(parsed.bad, f.label, col, parsed.reason)
        if f.required:
            bad.add(pc.and_(pc.invert(parsed.bad), pc.is_null(parsed.values)), f.label, col, "thiếu giá trị bắt buộc")
    if kind == "dossiers":
        _check_dossiers(values, bad, columns)
    if kind == "petitions":
        _check_order(values, bad, columns, "received_at", "handled_at", "Ngày xử lý xong", "trước ngày tiếp nhận")
    return values, bad, unknown, personal, warnings


def _check_order(values: dict[str, pa.Array], bad: _Collector, raw: dict[str, pa.Array], first: str, later: str,
                 label: str, reason: str) -> None:  # fmt: skip
    if first in values and later in values:
        bad.add(pc.less(values[later], values[first]), label, raw[later], reason)


def _check_dossiers(values: dict[str, pa.Array], bad: _Collector, raw: dict[str, pa.Array]) -> None:
    """Cross-field checks of one dossier row (data-formats §1.5, §2)."""
    status = values["status"]
    received = values.get("received_at")
    if received is None:
        received = pa.nulls(len(status), pa.timestamp("us", tz="UTC"))
    needs_reception = pc.invert(pc.is_in(status, pa.array([1, 3], pa.int8())))
    bad.add(
        pc.and_(needs_reception, pc.is_null(received)),
        "Ngày tiếp nhận",
        raw.get("received_at", pa.nulls(len(status), pa.string())),
        "hồ sơ đã tiếp nhận (trạng thái khác 1 và 3) phải có ngày tiếp nhận",
    )
    for name, label in (("finished_at", "Ngày kết thúc xử lý"), ("returned_at", "Ngày trả kết quả"),
                        ("due_at", "Ngày hẹn trả")):  # fmt: skip
        if name in values and "received_at" in values:
            bad.add(pc.less(values[name], received), label, raw[name], "trước ngày tiếp nhận")
    ends = [values[n] for n in ("finished_at", "returned_at") if n in values]
    end = pc.coalesce(*ends) if ends else pa.nulls(len(status), pa.timestamp("us", tz="UTC"))
    bad.add(
        pc.and_(pc.is_in(status, pa.array([9, 10], pa.int8())), pc.is_null(end)),
        "Ngày kết thúc xử lý",
        raw.get("finished_at", pa.nulls(len(status), pa.string())),
        "hồ sơ đã xử lý xong (trạng thái 9, 10) phải có ngày kết thúc xử lý hoặc ngày trả kết quả",
    )
    if "supplement_count" in values:
        bad.add(pc.less(values["supplement_count"], 0), "Số lần yêu cầu bổ sung", raw["supplement_count"],
                "không được âm")  # fmt: skip


def _stored_table(kind: str, values: dict[str, pa.Array], keep: pa.Array, rows: pa.Array, ingest_id: int) -> pa.Table:
    """The valid rows in the target table's column names and types."""
    n = int(pc.sum(pc.cast(keep, pa.int64())).as_py() or 0)
    out: dict[str, pa.Array] = {name: pc.filter(arr, keep) for name, arr in values.items()}
    out["ingest_id"] = pa.repeat(ingest_id, n).cast(pa.int64())
    out["source_row"] = pc.filter(rows, keep)
    if "procedure_code" in out:
        out["procedure_code"] = pc.replace_substring_regex(out["procedure_code"], BASE_CODE, r"\1")
    if kind == "dossiers":
        if "paused_hours" in out:
            hours = pc.cast(out.pop("paused_hours"), pa.float64())
            out["paused_seconds"] = pc.cast(pc.round(pc.multiply(hours, 3600.0)), pa.int64())
        dates = [out[d] for d in DATE_FIELDS if d in out]
        as_int = [pc.cast(pc.cast(d, pa.timestamp("us")), pa.int64()) for d in dates]
        newest = pc.max_element_wise(*as_int, skip_nulls=True) if as_int else pa.nulls(n, pa.int64())
        out["state_at"] = pc.cast(pc.cast(newest, pa.timestamp("us")), pa.timestamp("us", tz="UTC"))
        for flag, default in (("channel", 1),):
            if flag in out:
                out[flag] = pc.fill_null(out[flag], default)
    if kind == "units":
        out["source"] = pa.repeat("file", n).cast(pa.string())
    return pa.table(out)


def _petition_dues(table: pa.Table, calendar: WorkCalendar) -> pa.Table:
    """A PAKN without 'Hạn xử lý' is due 15 working days after reception (methodology §4.6)."""
    if "due_at" in table.column_names and table.column("due_at").null_count == 0:
        return table
    received = table.column("received_at").combine_chunks().cast(pa.timestamp("us", tz="UTC"))
    computed = calendar.add_working_time_many(
        received.cast(pa.timestamp("us")).to_numpy(zero_copy_only=False), float(PETITION_DAYS), "working_day"
    )
    filled = pa.array(computed, pa.timestamp("us")).cast(pa.timestamp("us", tz="UTC"))
    if "due_at" in table.column_names:
        filled = pc.coalesce(table.column("due_at").combine_chunks(), filled)
        return table.set_column(table.column_names.index("due_at"), "due_at", filled)
    return table.append_column("due_at", filled)


def _write_rejects_csv(target: Path, file_name: str, rejects: pa.Table) -> None:
    with target.open("w", encoding="utf-8-sig", newline="") as fh:
        w = CsvWriter(fh)  # the rejected values are raw input: never a formula in a spreadsheet
        w.writerow(["Tệp", "Dòng", "Trường", "Giá trị", "Lý do"])
        for r in rejects.to_pylist():
            w.writerow([file_name, r["row"], r["field"], r["value"], r["reason"]])


def _already_loaded(store: Store, path: Path, fid: str, fmt: str) -> list[IngestReport]:
    """Reports 'already loaded' for a file whose ingest committed (same SHA-256), else an empty list."""
    runs = store.table("ingest_run")
    known = runs.filter(runs.file_id == fid).select("file_name", "kind").to_pyarrow().to_pylist()
    return [IngestReport(path.name, str(path), k["kind"], fmt, skipped=True, duplicate_of=k["file_name"])
            for k in known]  # fmt: skip


@dataclass
class CheckedFile:
    """A file read and checked (``read_file``), not yet stored: one part per table it holds."""

    path: Path
    fid: str
    fmt: str
    parts: list[tuple[RawTable, str, dict[str, pa.Array], _Collector, list[str], list[str], list[str]]]


def loaded_before(store: Store, path: Path) -> tuple[str, list[IngestReport]]:
    """The file's SHA-256, and 'already loaded' reports when a committed ingest stored these bytes."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"Không tìm thấy tệp {path}", file=str(path), expected="một tệp có thật")
    fid = file_id(path)
    return fid, _already_loaded(store, path, fid, _format_of(path))


def ingest_path(
    store: Store,
    path: Path,
    *,
    kind: str | None = None,
    mapping: Mapping[str, str] | None = None,
    rejects_dir: Path | None = None,
    unit_names: Mapping[str, str] | None = None,
    calendar: WorkCalendar | None = None,
    limits: XlsxLimits | None = None,
) -> list[IngestReport]:
    """Ingest one file (a JSON envelope may hold dossiers and steps: one report each).

    ``limits`` bound an XLSX workbook (checked before it is parsed); codes of units and procedures that the
    catalogues do not know are reported as warnings (``IngestReport.unknown_codes``), the rows are kept.
    """
    fid, known = loaded_before(store, path)
    if known:
        return known
    checked = read_file(Path(path), fid, kind=kind, mapping=mapping, unit_names=unit_names, limits=limits)
    return store_checked(store, checked, rejects_dir=rejects_dir, calendar=calendar)


def read_file(
    path: Path,
    fid: str,
    *,
    kind: str | None = None,
    mapping: Mapping[str, str] | None = None,
    unit_names: Mapping[str, str] | None = None,
    limits: XlsxLimits | None = None,
) -> CheckedFile:
    """Read and check every row of a file without touching the store; a file refused as a whole raises."""
    fmt = _format_of(path)
    raws = read(path, limits=limits)
    parsed = []
    for raw in raws:
        k = kind if (kind and not (raw.kind == "steps" and kind == "dossiers")) else raw.kind
        if not k or k not in KIND_FIELDS:
            raise InputFileError(
                f"Không nhận ra loại dữ liệu của tệp {path.name}" + (f" (trang {raw.sheet})" if raw.sheet else "")
                + ". Tệp không được nạp."
                + (f" Tệp mã hóa {raw.encoding}: tiêu đề tiếng Việt có thể đã mất dấu khi lưu bằng bảng mã này, hãy "
                   "lưu lại dạng CSV UTF-8." if raw.encoding else ""),
                file=str(path),
                place="dòng tiêu đề" if fmt != "json" else "cấp gốc",
                expected="hồ sơ (Mã hồ sơ, Mã đơn vị, Mã thủ tục, Trạng thái…), thủ tục, đơn vị hoặc phản ánh kiến "
                "nghị — xem docs/ingest-formats.md",
                detail="headings: " + ", ".join(raw.headings[:40]),
                hint="Dùng --kind dossiers|procedures|units|petitions|steps nếu tiêu đề cột khác thường.",
            )
        parsed.append((raw, k, *_parse_table(raw, path, k, mapping, unit_names)))
    return CheckedFile(path, fid, fmt, parsed)


def store_checked(
    store: Store, checked: CheckedFile, *, rejects_dir: Path | None = None, calendar: WorkCalendar | None = None
) -> list[IngestReport]:
    """Write a checked file in one transaction under the writers' lock, or report it as already loaded."""
    path, fid, fmt, parsed = checked.path, checked.fid, checked.fmt, checked.parts
    found_codes = []  # per table: codes the catalogues do not know (their sentences join the table's warnings)
    for _, k, values, bad, _, _, warnings in parsed:
        found = unknown_codes(store, k, values, pc.invert(bad.rejected))
        warnings.extend(u.sentence(KIND_LABELS[k]) for u in found)
        found_codes.append(found)
    reports: list[IngestReport] = []
    started = datetime.now(UTC)
    with store.transaction():
        store.lock_writes()
        known = _already_loaded(store, path, fid, fmt)  # stored by another writer while this one was reading
        if known:
            return known
        for offset, (raw, k, values, bad, unknown, personal, warnings) in enumerate(parsed):
            run_id = store.next_ingest_id()
            keep = pc.invert(bad.rejected)
            table = _stored_table(k, values, keep, raw.rows, run_id)
            if k == "petitions" and calendar is not None:
                table = _petition_dues(table, calendar)
            stored = store.insert_arrow(TARGET_TABLE[k], table)
            rejects = bad.table()
            rejected = raw.length - stored
            store.insert_arrow(
                "ingest_reject",
                rejects.append_column("ingest_id", pa.repeat(run_id, rejects.num_rows).cast(pa.int64())).append_column(
                    "file_name", pa.repeat(path.name, rejects.num_rows).cast(pa.string())
                ),
            )
            report = IngestReport(
                path.name, str(path), k, fmt, rows_read=raw.length, rows_stored=stored, rows_rejected=rejected,
                ingest_id=run_id, warnings=list(warnings), dropped_personal=personal, unknown_headings=unknown,
                rejects_total=rejects.num_rows,
            )  # fmt: skip
            report.rejects = [RejectRow(**r) for r in rejects.slice(0, MAX_REPORTED).to_pylist()]
            if personal:
                report.warnings.append("Đã bỏ các cột dữ liệu cá nhân: " + ", ".join(personal))
            if rejects.num_rows:
                folder = rejects_dir or path.parent
                suffix = "" if offset == 0 else f".{k}"
                target = folder / f"{path.name}{suffix}.rejects.csv"
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                    _write_rejects_csv(target, path.name, rejects)
                    report.rejects_csv = target
                except OSError as exc:
                    report.warnings.append(f"Không ghi được tệp dòng bị loại {target}: {exc}")
            store.insert(
                "ingest_run",
                [
                    {
                        "ingest_id": run_id,
                        "file_name": path.name,
                        "file_path": str(path.resolve()),
                        "file_id": fid,
                        "kind": k,
                        "format": fmt,
                        "rows_read": raw.length,
                        "rows_stored": stored,
                        "rows_rejected": rejected,
                        "started_at": started,
                        "finished_at": datetime.now(UTC),
                        "warnings": "\n".join(report.warnings) or None,
                    }
                ],
            )
            reports.append(report)
    for report, found in zip(reports, found_codes, strict=True):
        report.unknown_codes = found
    return reports
