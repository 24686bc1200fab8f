"""Seed data shipped with chiso: unit trees and a sample of the national procedure catalogue.

* ``tay-ninh-2023`` — Tây Ninh before the 2025 reform: the province, its agencies, its 9 districts and their 94
  communes; Gò Dầu district also has its specialised offices (``data/tay-ninh-2023.yaml``).
* ``2025`` — the 34 provinces of the 2025 reform, a standard list of agencies for each and all their communes from
  the ``vietnam-provinces`` package (``data/provinces-2025.yaml``); ``2025:<province>`` is one province's subtree.
* :func:`procedures` — about a hundred real procedures across the province, district and commune levels
  (``data/procedures.csv``).

Each data file says in its header which values come from a public source and which are assumed (codes below the
province, fees, processing times). Pure data and loading: no I/O beyond the package's own files.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from chiso.domain.units import Unit, UnitKind
from chiso.errors import ChisoError
from chiso.formatting import fold, nfc

LEVELS = ("tinh", "huyen", "xa")
TIME_UNITS = ("working_day", "day", "hour", "month")


@dataclass(frozen=True)
class SeedInfo:
    name: str
    title_vi: str
    description: str


@dataclass(frozen=True)
class SeedProcedure:
    code: str
    name: str
    field_code: str
    field_name: str
    levels: tuple[str, ...]  # among LEVELS
    online_level: int  # 4 toàn trình, 3 một phần, 2 không trực tuyến
    full_online_eligible: bool
    has_fee: bool
    fee_amount: int  # đồng, for one dossier (per page for certified copies)
    paper_result: bool
    processing_time: float
    time_unit: str  # among TIME_UNITS
    citizen_target: bool
    certified_copy: bool  # chứng thực bản sao từ bản chính
    weight: float  # relative popularity (assumed), for synthetic data
    from_year: int | None = None  # first year the procedure exists; None = long-standing


@dataclass(frozen=True)
class Province2025:
    gso: int
    code: str  # the portal's code (H21)
    name: str  # 'Gia Lai', 'Thành phố Hà Nội'
    slug: str  # 'gia-lai', 'ha-noi'

    @property
    def display_name(self) -> str:
        """The portal's name: 'UBND tỉnh Gia Lai', 'UBND Thành phố Hà Nội'."""
        return f"UBND {self.name}" if self.name.startswith("Thành phố") else f"UBND tỉnh {self.name}"

    @property
    def suffix(self) -> str:
        """The suffix the portal appends to child names: 'tỉnh Gia Lai', 'Thành phố Hà Nội'."""
        return self.name if self.name.startswith("Thành phố") else f"tỉnh {self.name}"


SEEDS = (
    SeedInfo(
        "tay-ninh-2023",
        "Tỉnh Tây Ninh trước sắp xếp năm 2025 (có huyện Gò Dầu)",
        "UBND tỉnh Tây Ninh (H53), 20 sở, ban, ngành, 9 huyện, thị xã, thành phố và 94 xã, phường, thị trấn; huyện "
        "Gò Dầu có 12 cơ quan chuyên môn, thị trấn Gò Dầu và 8 xã. Mã dưới cấp tỉnh là mã giả định theo dạng mã "
        "định danh của Cổng.",
    ),
    SeedInfo(
        "2025",
        "34 tỉnh, thành phố sau sắp xếp năm 2025",
        "34 tỉnh, thành phố với mã của Cổng DVCQG, các sở, ban, ngành theo danh mục chuẩn và toàn bộ xã, phường, đặc "
        "khu (gói vietnam-provinces). Dùng '2025:<mã tỉnh>' (ví dụ 2025:H21 hoặc 2025:gia-lai) để lấy một tỉnh.",
    ),
)


def available() -> list[SeedInfo]:
    """The unit seeds shipped with chiso."""
    return list(SEEDS)


def _data(name: str) -> str:
    return (resources.files("chiso.seeds") / "data" / name).read_text(encoding="utf-8")


def _yaml(text: str) -> Any:
    """Parse with libyaml when present (several times faster than the pure-Python parser)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # a safe loader either way


def _clean(text: Any) -> str:
    return nfc(" ".join(str(text).split()))


# -- tay-ninh-2023 -----------------------------------------------------------------------------------------------


@cache
def _tay_ninh_2023() -> tuple[Unit, ...]:
    data = _yaml(_data("tay-ninh-2023.yaml"))
    province = data["province"]
    units = [Unit(str(province["code"]), _clean(province["name"]), UnitKind.PROVINCE, None)]
    units += [Unit(str(a["code"]), _clean(a["name"]), UnitKind.AGENCY, units[0].code) for a in data["agencies"]]
    for district in data["districts"]:
        d = Unit(str(district["code"]), _clean(district["name"]), UnitKind.DISTRICT, units[0].code)
        units.append(d)
        for kind, key in ((UnitKind.AGENCY, "offices"), (UnitKind.COMMUNE, "communes")):
            units += [Unit(str(x["code"]), _clean(x["name"]), kind, d.code) for x in district.get(key) or []]
    return tuple(units)


# -- 2025 --------------------------------------------------------------------------------------------------------


@cache
def _data_2025() -> dict[str, Any]:
    return _yaml(_data("provinces-2025.yaml"))


@cache
def provinces_2025() -> tuple[Province2025, ...]:
    """The 34 provinces of 2025, in GSO code order, with the portal's codes."""
    from vietnam_provinces import Province, ProvinceCode

    out = []
    for p in _data_2025()["provinces"]:
        vp = Province.from_code(ProvinceCode(int(p["gso"])))
        slug = vp.codename.replace("_", "-")
        out.append(Province2025(int(p["gso"]), str(p["portal"]), _clean(p["name"]), slug))
    return tuple(out)


@cache
def province_names() -> tuple[tuple[str, str], ...]:
    """(portal code, name) of the provinces the seeds know: 2025's 34 and Tây Ninh before the reform (no package
    lookups: fast enough to name a parent on every build of the unit tree)."""
    out = {str(p["portal"]): Province2025(int(p["gso"]), str(p["portal"]), _clean(p["name"]), "").display_name
           for p in _data_2025()["provinces"]}  # fmt: skip
    province = _yaml(_data("tay-ninh-2023.yaml"))["province"]
    out.setdefault(str(province["code"]), _clean(province["name"]))
    return tuple(out.items())


def find_province_2025(key: str) -> Province2025:
    """A 2025 province by its portal code (H21), slug (gia-lai), GSO code (52) or name (Gia Lai)."""
    text = key.strip()
    folded = fold(text)
    for p in provinces_2025():
        if text.upper() == p.code or fold(p.slug) == folded or fold(p.name) == folded:
            return p
        if fold(p.name.removeprefix("Thành phố ")) == folded or (text.isdigit() and int(text) == p.gso):
            return p
    raise ChisoError(
        f"Không có tỉnh, thành phố '{key}' trong danh mục năm 2025.",
        hint="Dùng mã của Cổng (ví dụ H21), tên không dấu (gia-lai) hoặc mã thống kê (52). "
        "Danh sách: " + ", ".join(f"{p.code} {p.name}" for p in provinces_2025()),
    )


def _commune_name(ward_name: str) -> str:
    """'Xã Vân Canh' → 'UBND xã Vân Canh'; 'Đặc khu Phú Quốc' → 'UBND đặc khu Phú Quốc'."""
    name = _clean(ward_name)
    head, _, rest = name.partition(" ")
    if head == "Đặc":
        head, _, rest = name.partition(" khu ")
        return f"UBND đặc khu {rest}"
    return f"UBND {head.lower()} {rest}"


def _bare(name: str) -> str:
    """A unit name without 'UBND' and the province suffix, folded: for matching names across sources."""
    return fold(name.split(" - ")[0].removeprefix("UBND "))


@cache
def _province_2025_units(code: str) -> tuple[Unit, ...]:
    from vietnam_provinces import ProvinceCode, Ward

    p = next(p for p in provinces_2025() if p.code == code)
    known = (_data_2025().get("known") or {}).get(code, {})
    units = [Unit(p.code, p.display_name, UnitKind.PROVINCE, None)]
    # agencies: known real codes first, then the standard list on its numbers (or free numbers from 30)
    known_agencies = [(str(a["code"]), _clean(a["name"])) for a in known.get("agencies", [])]
    taken = {c.split(".")[1] for c, _ in known_agencies}
    names = {_bare(n) for _, n in known_agencies}
    spare = (f"{n:02d}" for n in range(30, 100) if f"{n:02d}" not in taken)
    agencies = list(known_agencies)
    standard = [] if known.get("agencies_complete") else _data_2025()["agencies"]
    for a in standard:
        name = _clean(a["name"])
        label = f"Thanh tra {p.suffix}" if name == "Thanh tra tỉnh" else f"{name} - {p.suffix}"
        if _bare(label) in names:
            continue
        number = str(a["number"])
        if number in taken:
            number = next(spare)
        taken.add(number)
        agencies.append((f"{p.code}.{number}", label))
    agencies.sort(key=lambda x: int(x[0].split(".")[1]))
    units += [Unit(c, n, UnitKind.AGENCY, p.code) for c, n in agencies]
    # communes: known real codes by name, the others 101, 102, … in GSO order on the free numbers
    known_communes = {_bare(_clean(c["name"])): str(c["code"]) for c in known.get("communes", [])}
    used = {int(c.split(".")[1]) for c in known_communes.values()}
    wards = sorted(Ward.iter_by_province(ProvinceCode(p.gso)), key=lambda w: int(w.code))
    free = (n for n in range(101, 10_000) if n not in used)
    for w in wards:
        name = _commune_name(w.name)
        c_code = known_communes.get(_bare(name)) or f"{p.code}.{next(free)}"
        units.append(Unit(c_code, name, UnitKind.COMMUNE, p.code))
    return tuple(units)


def load(name: str) -> list[Unit]:
    """The units of a seed: ``tay-ninh-2023``, ``2025`` (all provinces) or ``2025:<province>`` (one subtree).

    Parents come before their children; codes are unique; names are NFC.
    """
    key = name.strip()
    if key == "tay-ninh-2023":
        return list(_tay_ninh_2023())
    if key == "2025":
        return [u for p in provinces_2025() for u in _province_2025_units(p.code)]
    if key.startswith("2025:"):
        return list(_province_2025_units(find_province_2025(key[5:]).code))
    raise ChisoError(
        f"Không có bộ dữ liệu đơn vị '{name}'.",
        hint="Các bộ có sẵn: " + ", ".join(s.name for s in SEEDS) + " (và 2025:<mã tỉnh>).",
    )


# -- procedures --------------------------------------------------------------------------------------------------


def _flag(value: str) -> bool:
    if value.strip() not in ("0", "1"):
        raise ValueError(f"expected 0/1, got {value!r}")
    return value.strip() == "1"


@cache
def _procedures() -> tuple[SeedProcedure, ...]:
    text = "".join(line for line in io.StringIO(_data("procedures.csv")) if not line.startswith("#"))
    out = []
    for row in csv.DictReader(io.StringIO(text)):
        levels = tuple(x for x in row["levels"].split("#") if x)
        out.append(
            SeedProcedure(
                code=row["code"].strip(),
                name=_clean(row["name"]),
                field_code=row["field_code"].strip(),
                field_name=_clean(row["field_name"]),
                levels=levels,
                online_level=int(row["online_level"]),
                full_online_eligible=_flag(row["full_online_eligible"]),
                has_fee=_flag(row["has_fee"]),
                fee_amount=int(row["fee_amount"]),
                paper_result=_flag(row["paper_result"]),
                processing_time=float(row["processing_time"]),
                time_unit=row["time_unit"].strip(),
                citizen_target=_flag(row["citizen_target"]),
                certified_copy=_flag(row["certified_copy"]),
                weight=float(row["weight"]),
                from_year=int(row["from_year"]) if row["from_year"].strip() else None,
            )
        )
    return tuple(out)


def procedures() -> list[SeedProcedure]:
    """The sample catalogue: real national codes and names; fees and times assumed (see the data file header)."""
    return list(_procedures())

