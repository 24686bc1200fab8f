"""The list shape of the portal's older list service (``report_tinh_766_service``) as XLSX, CSV or JSON.

Columns: ``MA_COQUAN`` (unit code), ``TEN``/``TEN_COQUAN`` (name), ``LOAI_COQUAN`` (1 province, 2 agency,
3 commune), the group scores ``CKMB TDGQ CLGQ TTTT MDHL MDSH``, ``TONG_SCORE`` (total) and ``ROW_STT`` (the
portal's order). Headers are matched without case or diacritics, and common Vietnamese headings are accepted
('Mã cơ quan', 'Tổng điểm' …). Values may be text cells.

Workbooks may also hold trend sheets (``month|quarter, year, score``: one province's total per period).

The period of a sheet comes from ``--period``, else from the sheet's name and the file's name (see
``SHEET_PERIODS`` and ``period_numbers_from_name``), else the file is refused with a request for ``--period``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chiso.domain.codes import (
    NATIONAL,
    default_parent,
    is_province_code,
    is_unit_code,
    normalise_unit_code,
    province_of,
)
from chiso.domain.periods import Period, PeriodKind
from chiso.domain.results import PublishedGroup
from chiso.domain.units import UnitKind, kind_from_loai_coquan, kind_from_name
from chiso.errors import PeriodError
from chiso.formatting import fold
from chiso.methodology.model import Methodology
from chiso.official.bundle import ParsedSnapshot, ParsedUnit
from chiso.official.values import BadValueError, decimal_or_none, int_or_none, plausible, refuse, text_or_none

GROUP_COLUMNS = ("CKMB", "TDGQ", "CLGQ", "TTTT", "MDHL", "MDSH")

# normalised heading → canonical column
HEADER_ALIASES = {
    "MA_COQUAN": "MA_COQUAN",
    "MA_CO_QUAN": "MA_COQUAN",
    "MA_DON_VI": "MA_COQUAN",
    "MADONVI": "MA_COQUAN",
    "DEPARTMENTCODE": "MA_COQUAN",
    "TEN": "TEN",
    "TEN_DON_VI": "TEN",
    "DON_VI": "TEN",
    "TEN_COQUAN": "TEN_COQUAN",
    "TEN_CO_QUAN": "TEN_COQUAN",
    "DEPARTMENTNAME": "TEN",
    "LOAI_COQUAN": "LOAI_COQUAN",
    "LOAI_CO_QUAN": "LOAI_COQUAN",
    "TONG_SCORE": "TONG_SCORE",
    "TONG_DIEM": "TONG_SCORE",
    "TOTALSCORE": "TONG_SCORE",
    "ROW_STT": "ROW_STT",
    "XEP_HANG": "ROW_STT",
    "THU_HANG": "ROW_STT",
    "CONG_KHAI_MINH_BACH": "CKMB",
    "TIEN_DO_KET_QUA_GIAI_QUYET": "TDGQ",
    "TIEN_DO_GIAI_QUYET": "TDGQ",
    "DICH_VU_CONG_TRUC_TUYEN": "CLGQ",
    "ONLINE": "CLGQ",
    "THANH_TOAN_TRUC_TUYEN": "TTTT",
    "MUC_DO_HAI_LONG": "MDHL",
    "SO_HOA_HO_SO": "MDSH",
    "MONTH": "MONTH",
    "THANG": "MONTH",
    "QUARTER": "QUARTER",
    "QUY": "QUARTER",
    "YEAR": "YEAR",
    "NAM": "YEAR",
    "SCORE": "SCORE",
    "DIEM": "SCORE",
}
for _g in GROUP_COLUMNS:
    HEADER_ALIASES[_g] = _g

# Sheets of the monthly report workbook that An Giang's public dashboard (truongquangphuc/new-766) writes:
# which part of the period each sheet covers. 'year' = the year to date, 'month' = the report's month.
SHEET_PERIODS = {
    "DIEM_NAM": "year",
    "DIEM_THANG": "month",
    "SO_BAN": "month",
    "XA_PHUONG": "year",
    "BAO_CAO_766": "year",
}
TREND_SHEETS = {"XU_HUONG_THANG", "XU_HUONG_QUY", "XU_HUONG_NAM"}

_MONTH_YEAR = re.compile(r"(?:^|[^0-9])(?:T|THANG_?|M)?(\d{1,2})[_\-./](20\d{2})(?:[^0-9]|$)", re.IGNORECASE)
_YEAR_MONTH = re.compile(r"(?:^|[^0-9])(20\d{2})[_\-.](\d{1,2})(?:[^0-9]|$)")


def normalise_header(text: Any) -> str:
    return fold(text)


def period_numbers_from_name(name: str) -> tuple[int, int] | None:
    """(month, year) written in a file name: ``bao_cao_T10_2025``, ``bao_cao_thang_10_2025``, ``2025-10``."""
    if m := _MONTH_YEAR.search(name):
        month, year = int(m[1]), int(m[2])
        if 1 <= month <= 12:
            return month, year
    if m := _YEAR_MONTH.search(name):
        year, month = int(m[1]), int(m[2])
        if 1 <= month <= 12:
            return month, year
    return None


@dataclass
class Sheet:
    name: str | None
    rows: list[list[Any]]


HEADER_ROWS = 15  # the heading row is searched in a sheet's first rows
LOOK_FURTHER = 200  # rows searched to say where a lower heading is


def _find_header(rows: Sequence[Sequence[Any]]) -> tuple[int, dict[str, int]] | None:
    for i, row in enumerate(rows[:HEADER_ROWS]):
        cols: dict[str, int] = {}
        for j, cell in enumerate(row):
            canon = HEADER_ALIASES.get(normalise_header(cell))
            if canon and canon not in cols:
                cols[canon] = j
        if ("MA_COQUAN" in cols and "TONG_SCORE" in cols) or (
            "SCORE" in cols and "YEAR" in cols and ("MONTH" in cols or "QUARTER" in cols)
        ):
            return i, cols
    return None


def sheet_kind(sheet: Sheet) -> str | None:
    found = _find_header(sheet.rows)
    if found is None:
        return None
    return "list" if "MA_COQUAN" in found[1] else "trend"


def parse_list_sheets(
    sheets: list[Sheet],
    *,
    file: str,
    file_name: str,
    methodology_for: Callable[[Period], Methodology],
    period: Period | None,
    captured: tuple[datetime, str],
    warnings: list[str],
) -> list[ParsedSnapshot]:
    recognised = [(s, _find_header(s.rows)) for s in sheets]
    if not any(h for _, h in recognised):
        for s in sheets:  # a heading further down: say where it is rather than that there is none
            late = _find_header(s.rows[HEADER_ROWS:LOOK_FURTHER])
            if late is not None:
                where = f"dòng {late[0] + HEADER_ROWS + 1}" + (f" của trang tính '{s.name}'" if s.name else "")
                raise refuse(file, where, f"dòng tiêu đề (MA_COQUAN, TONG_SCORE…) trong {HEADER_ROWS} dòng đầu",
                             detail="the heading row is below the rows searched")  # fmt: skip
        raise refuse(
            file,
            "dòng tiêu đề",
            "các cột MA_COQUAN, TEN, CKMB, TDGQ, CLGQ, TTTT, MDHL, MDSH, TONG_SCORE, ROW_STT "
            "(hoặc tệp JSON của Cổng DVCQG)",
            detail="no sheet has a header row with MA_COQUAN and TONG_SCORE",
        )
    snapshots: list[ParsedSnapshot] = []
    for sheet, header in recognised:
        if header is None:
            warnings.append(f"Bỏ qua trang tính '{sheet.name}': không có cột dữ liệu Bộ chỉ số")
            continue
        if "MA_COQUAN" in header[1]:
            p = period or _sheet_period(sheet.name, file, file_name, captured[0])
            snapshots.append(_parse_list(sheet, header, p, file, methodology_for(p), captured))
    province = _province_of_workbook(snapshots)
    for sheet, header in recognised:
        if header is not None and "MA_COQUAN" not in header[1]:
            if province is None:
                raise refuse(
                    file,
                    f"trang tính '{sheet.name}'",
                    "một trang danh sách đơn vị cùng tệp để biết xu hướng thuộc tỉnh nào",
                )
            snapshots.extend(_parse_trend(sheet, header, province, file, methodology_for, captured))
    return snapshots


def _sheet_period(sheet: str | None, file: str, file_name: str, captured_at: datetime) -> Period:
    part = SHEET_PERIODS.get(normalise_header(sheet)) if sheet else None
    numbers = period_numbers_from_name(file_name)
    if part is None and numbers is None:
        raise refuse(
            file,
            f"trang tính '{sheet}'" if sheet else "tên tệp",
            "kỳ đánh giá: dùng tham số --period (ví dụ --period 2025-10 hoặc --period 2025)",
            detail="the sheet and file names do not say which period the scores cover",
        )
    month, year = numbers or (captured_at.month, captured_at.year)
    try:
        found = Period.year(year) if part == "year" else Period.month(year, month)
    except PeriodError as exc:
        raise refuse(file, "tên tệp", "tháng và năm hợp lệ", file_name, detail=str(exc)) from exc
    return plausible(found, file, "tên tệp")


def _cell(row: Sequence[Any], cols: dict[str, int], name: str) -> Any:
    j = cols.get(name)
    return row[j] if j is not None and j < len(row) else None


def _parse_list(
    sheet: Sheet,
    header: tuple[int, dict[str, int]],
    period: Period,
    file: str,
    m: Methodology,
    captured: tuple[datetime, str],
) -> ParsedSnapshot:
    start, cols = header
    where = f"trang tính '{sheet.name}'" if sheet.name else "bảng"
    units: list[ParsedUnit] = []
    seen: set[str] = set()
    group_cols = [c for c in GROUP_COLUMNS if c in cols]
    for i, row in enumerate(sheet.rows[start + 1 :], start=start + 2):
        if not any(text_or_none(c) for c in row):
            continue
        place = f"{where}, dòng {i}"
        raw_code = text_or_none(_cell(row, cols, "MA_COQUAN"))
        if raw_code is None or not is_unit_code(raw_code):
            raise refuse(file, f"{place}, cột MA_COQUAN", "mã đơn vị của Cổng (ví dụ H01.187)", raw_code)
        code = normalise_unit_code(raw_code)
        if code in seen:
            raise refuse(file, f"{place}, cột MA_COQUAN", "mã đơn vị không trùng trong một trang", code)
        seen.add(code)
        name = text_or_none(_cell(row, cols, "TEN")) or text_or_none(_cell(row, cols, "TEN_COQUAN")) or code
        above = UnitKind.PROVINCE if is_province_code(default_parent(code) or "") else None
        kind = kind_from_loai_coquan(_cell(row, cols, "LOAI_COQUAN")) or kind_from_name(
            name, day=period.end, parent_kind=above
        )
        if kind is None:
            kind = UnitKind.PROVINCE if default_parent(code) == NATIONAL else UnitKind.AGENCY
        groups = []
        for g in group_cols:
            try:
                score = decimal_or_none(_cell(row, cols, g))
            except BadValueError as exc:
                raise refuse(file, f"{place}, cột {g}", "điểm nhóm (số)", _cell(row, cols, g)) from exc
            groups.append(PublishedGroup(m.group(g).code if m.has_group(g) else g, score, None))
        try:
            total = decimal_or_none(_cell(row, cols, "TONG_SCORE"))
        except BadValueError as exc:
            raise refuse(file, f"{place}, cột TONG_SCORE", "tổng điểm (số)", _cell(row, cols, "TONG_SCORE")) from exc
        try:
            order = int_or_none(_cell(row, cols, "ROW_STT"))
        except BadValueError as exc:
            raise refuse(file, f"{place}, cột ROW_STT", "số thứ tự (số nguyên)", _cell(row, cols, "ROW_STT")) from exc
        units.append(
            ParsedUnit(
                code=code,
                name=name,
                kind=str(kind),
                parent=default_parent(code, is_province=kind == UnitKind.PROVINCE),
                total=total,
                record=i,
                portal_rank=order,
                itemised=False,
                groups=groups,
            )
        )
    if not units:
        raise refuse(file, where, "ít nhất một dòng đơn vị dưới dòng tiêu đề", "không có dòng nào")
    parents = {u.parent for u in units}
    scope = parents.pop() if len(parents) == 1 else (province_of(units[0].code) or NATIONAL)
    return ParsedSnapshot(
        shape="portal-list",
        scope=scope or NATIONAL,
        period=period,
        captured_at=captured[0],
        captured_basis=captured[1],
        methodology=m.name,
        units=units,
        sheet=sheet.name,
        label=sheet.name,
    )


def _province_of_workbook(snapshots: list[ParsedSnapshot]) -> tuple[str, str] | None:
    """(code, name) of the province a workbook reports on: the one its agencies and communes belong to."""
    provinces = {province_of(u.code) for s in snapshots for u in s.units if u.kind != UnitKind.PROVINCE}
    provinces.discard(None)
    if len(provinces) != 1:
        return None
    code = provinces.pop()
    assert code is not None
    for s in snapshots:
        for u in s.units:
            if u.code == code:
                return code, u.name
    return code, code


def _parse_trend(
    sheet: Sheet,
    header: tuple[int, dict[str, int]],
    province: tuple[str, str],
    file: str,
    methodology_for: Callable[[Period], Methodology],
    captured: tuple[datetime, str],
) -> list[ParsedSnapshot]:
    start, cols = header
    out = []
    for i, row in enumerate(sheet.rows[start + 1 :], start=start + 2):
        if not any(text_or_none(c) for c in row):
            continue
        place = f"trang tính '{sheet.name}', dòng {i}"
        try:
            year = int_or_none(_cell(row, cols, "YEAR"))
            index = int_or_none(_cell(row, cols, "MONTH" if "MONTH" in cols else "QUARTER"))
            score = decimal_or_none(_cell(row, cols, "SCORE"))
            if year is None or index is None:
                raise BadValueError("thiếu năm hoặc kỳ")
            p = Period.month(year, index) if "MONTH" in cols else Period.quarter(year, index)
        except (BadValueError, PeriodError) as exc:
            raise refuse(file, place, "năm, tháng/quý và điểm hợp lệ", row, detail=str(exc)) from exc
        plausible(p, file, place)
        unit = ParsedUnit(
            code=province[0],
            name=province[1],
            kind=str(UnitKind.PROVINCE),
            parent=NATIONAL,
            total=score,
            record=i,
            itemised=False,
        )
        kind = "month" if p.kind is PeriodKind.MONTH else "quarter"
        out.append(
            ParsedSnapshot(
                shape=f"portal-trend-{kind}",
                scope=province[0],
                period=p,
                captured_at=captured[0],
                captured_basis=captured[1],
                methodology=methodology_for(p).name,
                units=[unit],
                sheet=sheet.name,
                label=sheet.name,
            )
        )
    return out
