"""Flatten the portal's sync JSON (data-formats.md §1) into raw text tables of our fields.

One dossier object becomes one row. Its arrays are reduced to the flags the metrics need: any digitised
component (``TaiLieuNop[].DuocSoHoa`` or ``HoSoCoThanhPhanSoHoa``), any reused component, any component taken
from the personal data store, fee total and count, any electronic result link, supplement count, first request
and total paused time. Personal data fields are never read. Values the reader cannot turn into a field (a bad
date inside ``DanhSachHoSoBoSung``) are reported as rejects of that row.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa

from chiso.errors import InputFileError
from chiso.ingest.readers import RawTable, guess_kind

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


def _s(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _flag(items: list[Any], key: str, accepted: tuple[str, ...] = ("1",)) -> bool:
    return any(isinstance(i, dict) and _s(i.get(key)) in accepted and _s(i.get("IsDeleted")) != "True" for i in items)


def _when(value: Any) -> datetime | None:
    text = (_s(value) or "").strip()
    if not text:
        return None
    return datetime.strptime(text, "%Y%m%d%H%M%S") if text.isdigit() else datetime.fromisoformat(text)


def _list(d: dict[str, Any], key: str) -> list[Any]:
    value = d.get(key)
    return value if isinstance(value, list) else []


def flatten(d: dict[str, Any], default_unit: str | None) -> tuple[dict[str, str | None], list[tuple[str, str, str]]]:
    """One dossier → (our raw fields, [(field, value, reason)] problems found while reducing arrays)."""
    row: dict[str, str | None] = dict.fromkeys(DOSSIER_HEADINGS)
    problems: list[tuple[str, str, str]] = []
    for key, ours in DOSSIER_SCALARS.items():
        if key in d and d[key] not in (None, "") and row.get(ours) is None:
            row[ours] = _s(d[key])
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
    total = Decimal(0)
    for fee in fees:
        try:
            total += Decimal(str(fee.get("Gia", 0) or 0)) if isinstance(fee, dict) else Decimal(0)
        except InvalidOperation:
            problems.append(("DanhSachLePhi.Gia", str(fee.get("Gia")), "số tiền không đọc được"))
    row["fee_total"] = str(total) if fees else None
    row["fee_items"] = str(len(fees))
    results = _list(d, "DanhSachGiayToKetQua")
    row["e_result"] = "1" if any(isinstance(r, dict) and _s(r.get("DuongDanTepTinKetQua")) for r in results) else "0"
    supplements = _list(d, "DanhSachHoSoBoSung")
    row["supplement_count"] = str(len(supplements))
    first: datetime | None = None
    paused = 0.0
    for sup in supplements:
        if not isinstance(sup, dict):
            continue
        try:
            asked, done = _when(sup.get("NgayBoSung")), _when(sup.get("NgayTiepNhanBoSung"))
        except ValueError:
            problems.append(("DanhSachHoSoBoSung.NgayBoSung", str(sup.get("NgayBoSung")), "ngày không đọc được"))
            continue
        if asked is not None and (first is None or asked < first):
            first = asked
        if asked is not None and done is not None and done > asked:
            paused += (done - asked).total_seconds() / 3600
    row["supplement_first_at"] = first.strftime("%Y%m%d%H%M%S") if first else None
    row["paused_hours"] = f"{paused:.4f}" if supplements else None
    return row, problems


def _steps(code: Any, items: list[Any]) -> list[dict[str, str | None]]:
    out = []
    for step in items:
        if isinstance(step, dict):
            out.append(
                {
                    "dossier_code": _s(step.get("MaHoSo")) or _s(code),
                    "status": _s(step.get("TrangThai")),
                    "at": _s(step.get("ThoiDiemXuLy") or step.get("NgayBatDau")),
                    "department": _s(step.get("PhongBanXuLy")),
                }
            )
    return out


def _table(kind: str, headings: list[str], rows: list[dict[str, str | None]], numbers: list[int],
           defaults: dict[str, str] | None = None) -> RawTable:  # fmt: skip
    columns = [pa.array([r.get(h) for r in rows], type=pa.string()) for h in headings]
    return RawTable(kind, headings, columns, pa.array(numbers, type=pa.int64()), defaults=defaults or {})


def tables(content: Any, file: str) -> list[RawTable]:
    """Raw tables (dossiers, steps) of a sync body, a bare list of dossiers, or a list of flat rows."""
    service = None
    default_unit = None
    items: Any = content
    if isinstance(content, dict):
        service = str(content.get("service") or "") or None
        default_unit = _s(content.get("madonvi") or content.get("MaDinhDanhDV"))
        items = content.get("data")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items[:100]):
        raise InputFileError(
            f"Không nhận ra dạng dữ liệu của tệp {file}. Tệp không được nạp.",
            file=file,
            place="cấp gốc",
            expected='{"service": "DongBoHoSoMC", "data": [hồ sơ...]} hoặc một danh sách hồ sơ',
            detail=f"top-level {type(content).__name__}",
        )
    first = items[0] if items else {}
    is_steps = service == "CapNhatTienDoHoSoMC" or ("ThoiDiemXuLy" in first and "TrangThaiHoSo" not in first)
    if is_steps:
        steps = _steps(None, items)
        return [_table("steps", STEP_HEADINGS, steps, list(range(1, len(steps) + 1)))]
    if service == "DongBoHoSoMC" or "MaHoSo" in first:
        rows: list[dict[str, str | None]] = []
        numbers: list[int] = []
        step_rows: list[dict[str, str | None]] = []
        step_numbers: list[int] = []
        problems: list[tuple[int, str, str, str]] = []
        for i, d in enumerate(items, start=1):
            row, found = flatten(d, default_unit)
            rows.append(row)
            numbers.append(i)
            problems.extend((i, f, v, r) for f, v, r in found)
            embedded = _steps(d.get("MaHoSo"), _list(d, "QuaTrinhXuLy"))
            step_rows.extend(embedded)
            step_numbers.extend([i] * len(embedded))
        table = _table("dossiers", DOSSIER_HEADINGS, rows, numbers, {"synced": "1"})
        table.derived = DERIVED
        table.problems = problems
        out = [table]
        if step_rows:
            out.append(_table("steps", STEP_HEADINGS, step_rows, step_numbers))
        return out
    headings = list(dict.fromkeys(k for item in items for k in item))
    flat = [{k: _s(v) for k, v in item.items()} for item in items]
    return [_table(guess_kind(headings) or "", headings, flat, list(range(1, len(flat) + 1)))]
