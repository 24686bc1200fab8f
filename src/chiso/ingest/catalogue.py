"""Codes on ingested rows that the catalogues do not know: unit codes missing from the unit table, procedure codes
missing from the procedure catalogue. The rows are kept (a catalogue may come later); the report warns with
counts and a few examples so that typing errors and missing catalogues are seen at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from chiso.formatting import integer
from chiso.store.connection import Store

BASE_CODE = r"^(\d+\.\d{6})\..*$"  # 1.000948.000.00.00.H22 → 1.000948 (the national base code)
EXAMPLES = 5

# (field, catalogue table, its code column, what the catalogue is called, what a code is called)
CHECKS: dict[str, tuple[tuple[str, str, str, str, str], ...]] = {
    "dossiers": (
        ("unit_code", "unit_version", "unit_code", "danh mục đơn vị", "mã đơn vị"),
        ("procedure_code", "procedure_version", "procedure_code", "danh mục thủ tục", "mã thủ tục"),
    ),
    "petitions": (("unit_code", "unit_version", "unit_code", "danh mục đơn vị", "mã đơn vị"),),
}


@dataclass(frozen=True)
class UnknownCodes:
    field: str  # unit_code | procedure_code
    catalogue: str  # Vietnamese name of the catalogue
    noun: str  # Vietnamese name of the code
    codes: int  # distinct unknown codes
    rows: int  # stored rows that carry one
    examples: list[tuple[str, int]] = field(default_factory=list)  # (code, rows), most frequent first
    catalogue_empty: bool = False

    def sentence(self, rows_label: str) -> str:
        shown = ", ".join(f"{code} ({integer(n)})" for code, n in self.examples)
        if self.catalogue_empty:
            return (f"Chưa có {self.catalogue} trong kho nên chưa kiểm tra được {integer(self.codes)} {self.noun} của "
                    f"{integer(self.rows)} dòng {rows_label} (ví dụ: {shown}).")  # fmt: skip
        return (f"{integer(self.codes)} {self.noun} chưa có trong {self.catalogue}, ở {integer(self.rows)} dòng "
                f"{rows_label} đã lưu (ví dụ: {shown}). Hãy kiểm tra lại mã hoặc nạp {self.catalogue}.")  # fmt: skip


def unknown_codes(store: Store, kind: str, values: Mapping[str, pa.Array], keep: pa.Array) -> list[UnknownCodes]:
    """Unknown codes among the rows to be stored, per checked field of the kind."""
    out = []
    for name, table, column, catalogue, noun in CHECKS.get(kind, ()):
        if name not in values:
            continue
        codes = pc.drop_null(pc.filter(values[name], keep))
        if name == "procedure_code":
            codes = pc.replace_substring_regex(codes, BASE_CODE, r"\1")
        if len(codes) == 0:
            continue
        counts = pc.value_counts(codes)
        distinct = counts.field("values").to_pylist()
        t = store.table(table)
        empty = not t.count().to_pyarrow().as_py()
        known: set[str] = set()
        if not empty:
            found = t.filter(t[column].isin(distinct)).select(column).distinct().to_pyarrow()
            known = set(found.column(0).to_pylist())
        unknown = [(c, n) for c, n in zip(distinct, counts.field("counts").to_pylist(), strict=True) if c not in known]
        if not unknown:
            continue
        unknown.sort(key=lambda cn: (-cn[1], cn[0]))
        out.append(UnknownCodes(name, catalogue, noun, len(unknown), sum(n for _, n in unknown),
                                unknown[:EXAMPLES], empty))  # fmt: skip
    return out
