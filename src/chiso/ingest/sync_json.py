"""Flatten the portal's sync JSON (data-formats.md §1) into raw text tables of our fields.

One dossier object becomes one row. Its arrays are reduced to the flags the metrics need: any digitised
component (``TaiLieuNop[].DuocSoHoa`` or ``HoSoCoThanhPhanSoHoa``), any reused component, any component taken
from the personal data store, fee total and count, any electronic result link, supplement count, first request
and total paused time. Personal data fields are never read. Values the reader cannot turn into a field (a bad
date inside ``DanhSachHoSoBoSung``, a negative fee, a list where a value belongs) are reported as rejects of that
row; an item of the list that is not an object is rejected as a whole row with its 1-based index.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from chiso.errors import InputFileError
from chiso.ingest.parse import parse_dates
from chiso.ingest.readers import WHOLE_ROW, RawTable, guess_kind

DOSSIER_SCALARS = {
    "MaHoSo": "dossier_code",
    "MaDonVi": "unit_code",
    "MaDinhDanhDonVi": "unit_code",
    "DonViXuLy": "unit_name",
    "MaTTHC": "procedure_code",
    "TenTTHC": "procedure_name",
    "MaLinhVuc": "field_code",
    "KenhThucHien": "channel",
    "LoaiDoiTuong": "applicant_type",
    "NgayNopHoSo": "submitted_at",
    "NgayTiepNhan": "received_at",
    "NgayHenTra": "due_at",
    "NgayKetThucXuLy": "finished_at",
    "NgayTra": "returned_at",
    "NgayTuChoi": "rejected_at",
    "TrangThaiHoSo": "status",
    "TaiKhoanDuocXacThucVoiVNeID": "vneid",
    "DuocThanhToanTrucTuyen": "paid_online",
    "TrangThaiDongBoDVC": "synced",
    "DongBoKhoDuLieuCaNhan": "result_to_personal_store",
    "LaHoSoChungThuc": "certified_copy",
    "DaChungThucDienTu": "e_certified",
    "KhongHaiLong": "dissatisfied",
}
DERIVED = [
    "digitised",
    "reused",
    "from_personal_store",
    "citizen_db",
    "fee_total",
    "fee_items",
    "e_result",
    "supplement_count",
    "supplement_first_at",
    "paused_hours",
]
DOSSIER_HEADINGS = list(dict.fromkeys([*DOSSIER_SCALARS.values(), *DERIVED]))
STEP_HEADINGS = ["dossier_code", "status", "at", "department"]


Problem = tuple[str, str, str]  # (field, value shown, reason)


def _shown(value: Any) -> str:
    """A value as shown in a reject: scalars as text, containers by their kind (never their whole content)."""
    if isinstance(value, dict):
        return "(object)"
    if isinstance(value, list):
        return f"(danh sách {len(value)} phần tử)"
    return str(value)[:200]


def _scalar(value: Any, name: str, problems: list[Problem]) -> str | None:
    """The text of a scalar field; a list or an object where one value belongs is a problem of the row."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dict | list):
        problems.append((name, _shown(value), "cần một giá trị, gặp " + ("object" if isinstance(value, dict)
                                                                      else "danh sách")))  # fmt: skip
        return None
    return str(value)


def _s(value: Any) -> str | None:
    """Text of a value only compared with flags ('1'); containers never match."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _flag(items: list[Any], key: str, accepted: tuple[str, ...] = ("1",)) -> bool:
    return any(isinstance(i, dict) and _s(i.get(key)) in accepted and _s(i.get("IsDeleted")) != "True" for i in items)


def _list(d: dict[str, Any], key: str) -> list[Any]:
    value = d.get(key)
    return value if isinstance(value, list) else []


def _fees(fees: list[Any], problems: list[Problem]) -> str | None:
    total = Decimal(0)
    for j, fee in enumerate(fees):
        where = f"DanhSachLePhi[{j}]"
        if not isinstance(fee, dict):
            problems.append((where, _shown(fee), "khoản phí phải là một object JSON"))
            continue
        raw = fee.get("Gia", 0)
        try:
            if isinstance(raw, bool | dict | list):
                raise InvalidOperation
            amount = Decimal(str(raw if raw not in (None, "") else 0).strip())
        except (InvalidOperation, ValueError):
            problems.append((f"{where}.Gia", _shown(raw), "số tiền không đọc được"))
            continue
        if not amount.is_finite():
            problems.append((f"{where}.Gia", _shown(raw), "số tiền không đọc được"))
        elif amount < 0:
            problems.append((f"{where}.Gia", _shown(raw), "số tiền không được âm"))
        else:
            total += amount
    return str(total) if fees else None


@dataclass
class _Supplements:
    """Supplement dates of every dossier, read together (vectorised) once all dossiers are flattened."""

    owners: list[int] = field(default_factory=list)  # index of the dossier row
    asked: list[str | None] = field(default_factory=list)
    done: list[str | None] = field(default_factory=list)
    where: list[str] = field(default_factory=list)

    def add(self, owner: int, items: list[Any], problems: list[Problem]) -> None:
        for j, sup in enumerate(items):
            if not isinstance(sup, dict):
                problems.append((f"DanhSachHoSoBoSung[{j}]", _shown(sup), "lần bổ sung phải là một object JSON"))
                continue
            found: list[Problem] = []
            asked = _scalar(sup.get("NgayBoSung"), f"DanhSachHoSoBoSung[{j}].NgayBoSung", found)
            done = _scalar(sup.get("NgayTiepNhanBoSung"), f"DanhSachHoSoBoSung[{j}].NgayTiepNhanBoSung", found)
            problems.extend(found)
            if not found:
                self.owners.append(owner)
                self.asked.append(asked)
                self.done.append(done)
                self.where.append(f"DanhSachHoSoBoSung[{j}]")

    def apply(self, rows: list[dict[str, str | None]], problems: list[list[Problem]]) -> None:
        """Fill each dossier's first request and total paused hours; report unreadable or reversed dates."""
        checked = []
        for name, texts in (("NgayBoSung", self.asked), ("NgayTiepNhanBoSung", self.done)):
            parsed = parse_dates(pa.array(texts, pa.string()))
            reasons = [None if not b else parsed.reason for b in parsed.bad.to_pylist()]
            for mask, reason in reversed(parsed.details):  # the first detail that applies wins
                for k in pc.indices_nonzero(mask).to_pylist():
                    reasons[k] = reason
            checked.append((name, texts, parsed.values.to_pylist(), reasons))
        (_, _, asked_values, _), (_, _, done_values, _) = checked
        first: dict[int, datetime] = {}
        paused: dict[int, float] = {}
        for k, owner in enumerate(self.owners):
            bad = False
            for name, texts, _, reasons in checked:
                if reasons[k] is not None:
                    problems[owner].append((f"{self.where[k]}.{name}", texts[k] or "", reasons[k]))
                    bad = True
            a, d = asked_values[k], done_values[k]
            if bad:
                continue
            if a is not None and d is not None and d < a:
                problems[owner].append((f"{self.where[k]}.NgayTiepNhanBoSung", self.done[k] or "",
                                        "trước ngày yêu cầu bổ sung (thời gian tạm dừng âm)"))  # fmt: skip
                continue
            if a is not None and (owner not in first or a < first[owner]):
                first[owner] = a
            if a is not None and d is not None:
                paused[owner] = paused.get(owner, 0.0) + (d - a).total_seconds() / 3600
        for owner, moment in first.items():
            rows[owner]["supplement_first_at"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        for i, row in enumerate(rows):
            if row["supplement_count"] not in (None, "0"):
                row["paused_hours"] = f"{paused.get(i, 0.0):.4f}"


def flatten(d: dict[str, Any], default_unit: str | None) -> tuple[dict[str, str | None], list[Problem]]:
    """One dossier → (our raw fields, [(field, value, reason)] problems found while reducing arrays).

    Supplement dates are read by ``tables`` for all dossiers at once (``supplement_first_at``, ``paused_hours``).
    """
    row: dict[str, str | None] = dict.fromkeys(DOSSIER_HEADINGS)
    problems: list[Problem] = []
    for key, ours in DOSSIER_SCALARS.items():
        if key in d and d[key] not in (None, "") and row.get(ours) is None:
            row[ours] = _scalar(d[key], key, problems)
    if row["unit_code"] is None:
        row["unit_code"] = default_unit
    parts = _list(d, "TaiLieuNop")
    row["digitised"] = "1" if (_s(d.get("HoSoCoThanhPhanSoHoa")) == "1" or _flag(parts, "DuocSoHoa")) else "0"
    reused = _flag(parts, "DuocTaiSuDung", ("1", "2")) or any(
        isinstance(p, dict) and _s(p.get("MaKetQuaThayThe")) for p in parts
    )
    row["reused"] = "1" if reused else "0"
    row["from_personal_store"] = "1" if _flag(parts, "DuocLayTuKhoDMQG") else "0"
    row["citizen_db"] = "1" if _list(d, "DSKetNoiCSDL") else "0"
    fees = _list(d, "DanhSachLePhi")
    row["fee_total"] = _fees(fees, problems)
    row["fee_items"] = str(len(fees))
    results = _list(d, "DanhSachGiayToKetQua")
    row["e_result"] = "1" if any(isinstance(r, dict) and _s(r.get("DuongDanTepTinKetQua")) for r in results) else "0"
    row["supplement_count"] = str(len(_list(d, "DanhSachHoSoBoSung")))
    return row, problems


def _step(step: dict[str, Any], code: Any, problems: list[Problem]) -> dict[str, str | None]:
    return {
        "dossier_code": _scalar(step.get("MaHoSo"), "MaHoSo", problems) or _s(code),
        "status": _scalar(step.get("TrangThai"), "TrangThai", problems),
        "at": _scalar(step.get("ThoiDiemXuLy") or step.get("NgayBatDau"), "ThoiDiemXuLy", problems),
        "department": _scalar(step.get("PhongBanXuLy"), "PhongBanXuLy", problems),
    }


def _not_object(index: int, item: Any, what: str) -> tuple[int, str, str, str]:
    return (index, WHOLE_ROW, _shown(item), f"phần tử thứ {index} của danh sách không phải {what} (object JSON)")


def _table(kind: str, headings: list[str], rows: list[dict[str, str | None]], numbers: list[int],
           defaults: dict[str, str] | None = None) -> RawTable:  # fmt: skip
    columns = [pa.array([r.get(h) for r in rows], type=pa.string()) for h in headings]
    return RawTable(kind, headings, columns, pa.array(numbers, type=pa.int64()), defaults=defaults or {})


def _refuse(file: str, message: str, detail: str) -> InputFileError:
    return InputFileError(
        f"{message} Tệp không được nạp.",
        file=file,
        place="cấp gốc",
        expected='{"service": "DongBoHoSoMC", "data": [hồ sơ...]} hoặc một danh sách hồ sơ',
        detail=detail,
    )


def tables(content: Any, file: str) -> list[RawTable]:
    """Raw tables (dossiers, steps) of a sync body, a bare list of dossiers, or a list of flat rows.

    Every item of the list is a row: an item that is not an object is rejected as a whole row with its index.
    """
    service = None
    default_unit = None
    items: Any = content
    if isinstance(content, dict):
        service = _s(content.get("service")) or None
        default_unit = _s(content.get("madonvi")) or _s(content.get("MaDinhDanhDV"))
        items = content.get("data")
    if not isinstance(items, list) or (items and not any(isinstance(i, dict) for i in items)):
        raise _refuse(file, f"Không nhận ra dạng dữ liệu của tệp {file}.", f"top-level {type(content).__name__}")
    if not items:
        raise _refuse(file, f"Tệp {file} không có hồ sơ nào (danh sách data rỗng).", "empty data list")
    first = next(i for i in items if isinstance(i, dict))
    is_steps = service == "CapNhatTienDoHoSoMC" or ("ThoiDiemXuLy" in first and "TrangThaiHoSo" not in first)
    if is_steps:
        return [_steps_table(items)]
    if service == "DongBoHoSoMC" or "MaHoSo" in first:
        return _dossier_tables(items, default_unit)
    return [_flat_table(items)]


def _list_table(kind: str | None, headings: list[str], items: list[Any], what: str,
                make: Callable[[dict[str, Any], list[Problem]], dict[str, str | None]]) -> RawTable:  # fmt: skip
    """One row per item (``make`` reads an object); an item that is not an object is a whole-row reject."""
    rows: list[dict[str, str | None]] = []
    problems: list[tuple[int, str, str, str]] = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            rows.append({})
            problems.append(_not_object(i, item, what))
            continue
        found: list[Problem] = []
        rows.append(make(item, found))
        problems.extend((i, f, v, r) for f, v, r in found)
    table = _table(kind or guess_kind(headings) or "", headings, rows, list(range(1, len(rows) + 1)))
    table.problems = problems
    return table


def _steps_table(items: list[Any]) -> RawTable:
    return _list_table("steps", STEP_HEADINGS, items, "một bước xử lý", lambda item, found: _step(item, None, found))


def _dossier_tables(items: list[Any], default_unit: str | None) -> list[RawTable]:
    rows: list[dict[str, str | None]] = []
    found: list[list[Problem]] = []
    whole: list[tuple[int, str, str, str]] = []
    step_rows: list[dict[str, str | None]] = []
    step_numbers: list[int] = []
    step_problems: list[tuple[int, str, str, str]] = []
    supplements = _Supplements()
    for i, d in enumerate(items, start=1):
        if not isinstance(d, dict):
            rows.append(dict.fromkeys(DOSSIER_HEADINGS))
            found.append([])
            whole.append(_not_object(i, d, "một hồ sơ"))
            continue
        row, problems = flatten(d, default_unit)
        supplements.add(len(rows), _list(d, "DanhSachHoSoBoSung"), problems)
        rows.append(row)
        found.append(problems)
        for j, step in enumerate(_list(d, "QuaTrinhXuLy")):
            step_numbers.append(i)
            if not isinstance(step, dict):
                step_rows.append({})
                step_problems.append((i, WHOLE_ROW, _shown(step), f"QuaTrinhXuLy[{j}] không phải object JSON"))
                continue
            step_found: list[Problem] = []
            step_rows.append(_step(step, d.get("MaHoSo"), step_found))
            step_problems.extend((i, f"QuaTrinhXuLy[{j}].{f}", v, r) for f, v, r in step_found)
    supplements.apply(rows, found)
    table = _table("dossiers", DOSSIER_HEADINGS, rows, list(range(1, len(rows) + 1)), {"synced": "1"})
    table.derived = DERIVED
    table.problems = whole + [(i, f, v, r) for i, problems in enumerate(found, start=1) for f, v, r in problems]
    out = [table]
    if step_rows:
        steps = _table("steps", STEP_HEADINGS, step_rows, step_numbers)
        steps.problems = step_problems
        out.append(steps)
    return out


def _flat_table(items: list[Any]) -> RawTable:
    headings = list(dict.fromkeys(k for item in items if isinstance(item, dict) for k in item))
    return _list_table(None, headings, items, "một dòng",
                       lambda item, found: {str(k): _scalar(v, str(k), found) for k, v in item.items()})  # fmt: skip
