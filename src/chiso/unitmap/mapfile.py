"""The mapping file users edit (docs/units.md): CSV (UTF-8, ``,`` ``;`` or tab) or XLSX, one line per unit.

Columns read (headings without case or diacritics; other columns are ignored, so the file ``chiso units
--mapping`` writes can be edited and imported back):

* ``Mã Cổng DVCQG`` — the portal's code (H53.07); ``Mã một cửa`` — one-stop identifiers (000.00.37.H53), several
  separated by ``;``. Both on a line: the codes are one unit.
* ``Liên kết`` — ``có`` (default), ``không`` (never the same unit: stops automatic matching) or ``bỏ`` (forget the
  line: back to automatic matching).
* ``Đặt loại`` — tỉnh, sở/ban/ngành, huyện/thị xã/thành phố, xã/phường/thị trấn; ``tự động`` clears; empty keeps.
* ``Đặt đơn vị cha`` — the parent's code; ``tự động`` clears; empty keeps.

Every line is applied or reported with its row, column, value and reason; nothing is dropped silently.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chiso.domain.codes import is_unit_code, normalise_unit_code
from chiso.domain.units import UnitKind, kind_from_word
from chiso.domain.unittree import MatchState, UnitTree
from chiso.errors import InputFileError
from chiso.formatting import fold
from chiso.unitmap.lines import KEEP, LinkChange, OverrideChange

HEADINGS = {
    "code": "Mã Cổng DVCQG",
    "other": "Mã một cửa",
    "name": "Tên đơn vị",
    "kind_now": "Loại hiện tại",
    "parent_now": "Đơn vị cha hiện tại",
    "state": "Trạng thái",
    "kind": "Đặt loại",
    "parent": "Đặt đơn vị cha",
    "same": "Liên kết",
}
_READ = {
    "MA_CONG_DVCQG": "code", "MA_CONG": "code", "MA_TREN_CONG_DVCQG": "code", "PORTAL_CODE": "code",
    "MA_MOT_CUA": "other", "MA_HE_THONG_MOT_CUA": "other", "MA_DINH_DANH": "other", "ONESTOP_CODE": "other",
    "DAT_LOAI": "kind", "LOAI": "kind", "KIND": "kind",
    "DAT_DON_VI_CHA": "parent", "MA_DON_VI_CHA": "parent", "PARENT": "parent",
    "LIEN_KET": "same", "SAME": "same",
}  # fmt: skip
KIND_CHOICES = "loại phải là tỉnh, sở/ban/ngành, huyện/thị xã/thành phố, xã/phường/thị trấn hoặc 'tự động'"
_SAME = {"CO": True, "": True, "YES": True, "KHONG": False, "NO": False, "BO": None}
_AUTO = {"TU_DONG", "AUTO"}


@dataclass(frozen=True)
class Rejected:
    row: int
    column: str
    value: str
    reason: str


@dataclass
class MappingFile:
    name: str
    rows: int = 0
    links: list[LinkChange] = field(default_factory=list)
    overrides: list[OverrideChange] = field(default_factory=list)
    unchanged: int = 0  # lines that only name a unit (as written by chiso units --mapping)
    rejected: list[Rejected] = field(default_factory=list)


def _raw_rows(path: Path) -> list[list[str]]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        except Exception as exc:  # any unreadable workbook: one Vietnamese message
            raise InputFileError(f"Không đọc được tệp {path.name}", file=str(path), expected="một tệp XLSX",
                                 detail=f"{type(exc).__name__}: {exc}") from exc  # fmt: skip
        return [["" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"Không đọc được tệp {path.name}", file=str(path), expected="tệp CSV mã hóa UTF-8",
                             detail=f"{type(exc).__name__}: {exc}") from exc  # fmt: skip
    first = text.splitlines()[0] if text else ""
    delimiter = max((",", ";", "\t"), key=first.count)
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def read_mapping(path: Path) -> MappingFile:
    """Read a mapping file into link and override changes, and the lines refused with their reason."""
    rows = _raw_rows(path)
    if not rows:
        raise InputFileError(f"Tệp {path.name} rỗng", file=str(path), expected="dòng tiêu đề và các dòng đơn vị")
    columns = {_READ[fold(h)]: i for i, h in reversed(list(enumerate(rows[0]))) if fold(h) in _READ}
    if "code" not in columns and "other" not in columns:
        raise InputFileError(
            f"Tệp {path.name} không có cột mã đơn vị", file=str(path), place="dòng 1",
            expected=f"cột '{HEADINGS['code']}' và/hoặc '{HEADINGS['other']}'",
            hint="Lấy tệp mẫu bằng: chiso units --mapping > don-vi.csv",
        )  # fmt: skip
    out = MappingFile(path.name)
    linked_to: dict[str, tuple[str, int]] = {}
    for number, row in enumerate(rows[1:], start=2):
        cell = {k: (row[i].strip() if i < len(row) else "") for k, i in columns.items()}
        if not any(cell.values()):
            continue
        out.rows += 1
        problems = _line(number, cell, out, linked_to)
        out.rejected.extend(problems)
    return out


def read_line(cell: dict[str, str], name: str = "web") -> MappingFile:
    """One line typed in a form (keys: code, other, kind, parent, same), checked as a file's line."""
    out = MappingFile(name, rows=1)
    out.rejected.extend(_line(1, {k: v.strip() for k, v in cell.items() if v}, out, {}))
    return out


def _safe(text: str) -> str:
    """A cell a spreadsheet would read as a formula is written as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _line(number: int, cell: dict[str, str], out: MappingFile, linked_to: dict[str, tuple[str, int]]) -> list[Rejected]:
    def bad(column: str, reason: str) -> list[Rejected]:
        return [Rejected(number, HEADINGS[column], cell.get(column, ""), reason)]

    code = normalise_unit_code(cell.get("code", "")) if cell.get("code") else None
    others = [normalise_unit_code(x) for x in re.split(r"[;,\s]+", cell.get("other", "")) if x]
    for column, values in (("code", [code] if code else []), ("other", others)):
        if any(not is_unit_code(v) for v in values):
            return bad(column, "mã đơn vị không hợp lệ (các phần chữ, số cách nhau bằng dấu chấm)")
    if code is None and not others:
        return bad("code", "thiếu mã: cần Mã Cổng DVCQG hoặc Mã một cửa")
    same_text = fold(cell.get("same", ""))
    if same_text not in _SAME:
        return bad("same", "Liên kết phải là có, không hoặc bỏ")
    same = _SAME[same_text]
    kind: object = KEEP
    if cell.get("kind"):
        kind = None if fold(cell["kind"]) in _AUTO else kind_from_word(cell["kind"])
        if kind is None and fold(cell["kind"]) not in _AUTO:
            return bad("kind", KIND_CHOICES)
    parent: object = KEEP
    if cell.get("parent"):
        parent = None if fold(cell["parent"]) in _AUTO else normalise_unit_code(cell["parent"])
        if parent is not None and not is_unit_code(str(parent)):
            return bad("parent", "mã đơn vị cha không hợp lệ")
    changes_node = kind is not KEEP or parent is not KEEP
    if same is False and changes_node:
        return bad("same", "dòng ghi 'không' liên kết (hai đơn vị khác nhau) thì không đặt loại, đơn vị cha")
    if code is not None and code in others:
        return bad("other", "một mã không liên kết với chính nó")
    if code is not None and same is True:
        for other in others:
            earlier = linked_to.get(other)
            if earlier is not None and earlier[0] != code:
                return bad("other", f"mã một cửa {other} đã liên kết với {earlier[0]} ở dòng {earlier[1]}")
        for other in others:
            linked_to[other] = (code, number)
    if code is not None:
        out.links.extend(LinkChange(code, other, same) for other in others)
    if changes_node:
        out.overrides.append(OverrideChange(code or others[0], kind, parent))
    if not changes_node and (code is None or not others):
        out.unchanged += 1
    return []


def mapping_rows(tree: UnitTree) -> list[dict[str, Any]]:
    """The tree as a mapping file: one line per unit (and one per ambiguous name), Vietnamese headings."""
    puzzled = {c: a for a in tree.report.ambiguous for c in (*a.official, *a.local)}
    out = []
    for u in sorted(tree, key=lambda u: (u.parent_code or "", u.kind is not UnitKind.PROVINCE, u.code)):
        state = tree.state(u.code)
        if state is MatchState.REFERENCE:
            continue
        portal = [c for c in u.codes if c in tree.published][:1]
        onestop = [c for c in u.codes if c not in portal]
        note = state.label
        if u.code in puzzled:
            a = puzzled[u.code]
            note += ": " + " hoặc ".join(a.local if u.code in a.official else a.official)
        parent = tree.get(u.parent_code)
        parent_now = parent.name if parent else (u.parent_code or "")
        out.append({
            HEADINGS["code"]: "".join(portal), HEADINGS["other"]: "; ".join(onestop), HEADINGS["name"]: _safe(u.name),
            HEADINGS["kind_now"]: u.kind.label, HEADINGS["parent_now"]: _safe(parent_now),
            HEADINGS["state"]: note, HEADINGS["kind"]: "", HEADINGS["parent"]: "",
            HEADINGS["same"]: "có" if portal and onestop else "",
        })  # fmt: skip
    return out


def mapping_csv(tree: UnitTree) -> str:
    """The mapping file as CSV text (headings in Vietnamese), to edit in a spreadsheet and import back."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(HEADINGS.values()), lineterminator="\n")
    writer.writeheader()
    writer.writerows(mapping_rows(tree))
    return buffer.getvalue()
