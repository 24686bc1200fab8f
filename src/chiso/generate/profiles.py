"""Which units make dossiers, how many, from which procedures, and how well each unit performs.

Each unit that handles dossiers gets a :class:`UnitProfile`: its monthly volume and the shares that drive the
dossier flags (on time, online, digitised, electronic results, online payment, e-certified copies…). Profiles are
drawn from realistic ranges with the run's seed, a fifth of the units get one clear weakness, and the
``go-dau-2023`` preset pins the units named in Gò Dầu's letter of 02/06/2023 to its figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np

from chiso.domain.units import Unit, UnitKind
from chiso.formatting import fold
from chiso.seeds import SeedProcedure

# fields (SeedProcedure.field_code) an office or agency handles, by a folded keyword of its name
FIELDS_BY_KEYWORD: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("TU_PHAP", ("HOTICH", "CHUNGTHUC", "NUOICONNUOI", "TROGIUPPHAPLY", "DAUGIA", "HOAGIAI")),
    ("TAI_NGUYEN_VA_MOI_TRUONG", ("DATDAI", "MOITRUONG")),
    ("NONG_NGHIEP_VA_MOI_TRUONG", ("DATDAI", "MOITRUONG", "NONGNGHIEP")),
    ("NONG_NGHIEP_VA_PHAT_TRIEN", ("NONGNGHIEP",)),
    ("KINH_TE_VA_HA_TANG", ("XAYDUNG", "KINHDOANHKHI")),
    ("XAY_DUNG", ("XAYDUNG", "DUONGBO")),
    ("GIAO_THONG", ("DUONGBO",)),
    ("TAI_CHINH_KE_HOACH", ("HKD",)),
    ("SO_TAI_CHINH", ("DOANHNGHIEP",)),
    ("KE_HOACH_VA_DAU_TU", ("DOANHNGHIEP",)),
    ("LAO_DONG", ("BTXH", "NGUOICOCONG", "GIAMNGHEO", "VIECLAM", "LAODONG", "LAODONGNUOCNGOAI", "LAODONGNGOAINUOC")),
    ("SO_NOI_VU", ("CONGCHUC", "HOI", "LAODONG", "LAODONGNUOCNGOAI", "LAODONGNGOAINUOC", "NGUOICOCONG", "VIECLAM")),
    ("PHONG_NOI_VU", ("HOI",)),
    ("CONG_THUONG", ("XUATNHAPKHAU", "BANHANGDACAP", "KINHDOANHKHI")),
    ("VAN_HOA", ("VANHOA", "BAOCHI")),
    ("THONG_TIN_VA_TRUYEN_THONG", ("BAOCHI",)),
    ("KHOA_HOC", ("KHCN",)),
    ("GIAO_DUC", ("GIAODUC",)),
)

# monthly dossiers of an office or agency by the same keywords (assumed); communes are drawn separately
VOLUME_BY_KEYWORD: tuple[tuple[str, float], ...] = (
    ("TU_PHAP", 260.0),
    ("TAI_NGUYEN_VA_MOI_TRUONG", 420.0),
    ("NONG_NGHIEP_VA_MOI_TRUONG", 380.0),
    ("KINH_TE_VA_HA_TANG", 80.0),
    ("XAY_DUNG", 160.0),
    ("GIAO_THONG", 150.0),
    ("TAI_CHINH_KE_HOACH", 110.0),
    ("SO_TAI_CHINH", 260.0),
    ("KE_HOACH_VA_DAU_TU", 260.0),
    ("LAO_DONG", 120.0),
    ("SO_NOI_VU", 160.0),
    ("PHONG_NOI_VU", 4.0),
    ("CONG_THUONG", 70.0),
    ("VAN_HOA", 20.0),
    ("KHOA_HOC", 8.0),
    ("GIAO_DUC", 45.0),
)


@dataclass(frozen=True)
class UnitProfile:
    """How one unit performs: shares in [0, 1] and its volume. ``note`` says where pinned values come from."""

    code: str
    name: str
    kind: str
    monthly: float  # expected dossiers per month
    on_time: float
    online: float  # channel 2 (where the procedure is online)
    postal: float  # channel 3
    digitised: float
    reused: float  # among digitised dossiers
    e_result: float  # among finished dossiers with a paper result
    paid_online: float  # among fee-bearing dossiers submitted online (a third of it for the others)
    e_certified: float  # among certified copies
    citizen_data: float
    synced: float
    dissatisfied: float
    supplement: float
    petitions: float  # petitions per dossier
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def _keyword_value(name: str, table: Sequence[tuple[str, object]]) -> object | None:
    key = fold(name)
    for keyword, value in table:
        if keyword in key:
            return value
    return None


def fields_of(unit: Unit) -> tuple[str, ...]:
    value = _keyword_value(unit.name, FIELDS_BY_KEYWORD)
    return tuple(value) if isinstance(value, tuple) else ()


def candidate_procedures(
    unit: Unit, catalogue: Sequence[SeedProcedure], *, district_office: bool, three_tier: bool, year: int
) -> list[int]:
    """Indices of the catalogue procedures a unit handles.

    Three-tier (before 07/2025): a commune handles the ``xa`` procedures, a district office the ``huyen`` ones of its
    fields, a province agency the ``tinh`` ones of its fields. After the reform a commune also takes the former
    district procedures.
    """
    out = []
    fields = fields_of(unit)
    for i, p in enumerate(catalogue):
        if p.from_year is not None and p.from_year > year:
            continue
        if unit.kind is UnitKind.COMMUNE:
            ok = "xa" in p.levels or (not three_tier and "huyen" in p.levels)
        elif unit.kind is UnitKind.AGENCY:
            ok = ("huyen" if district_office else "tinh") in p.levels and p.field_code in fields
        else:
            ok = False
        if ok:
            out.append(i)
    return out


# The letter of UBND huyện Gò Dầu, 02/06/2023, on May 2023 (shared/reference/cong-van-go-dau-2023-06-02.txt):
# on-time shares, e-result shares, weak e-certified copies, online payment weak everywhere.
GO_DAU_LETTER: dict[str, dict[str, float]] = {
    "XA_THANH_PHUOC": {"on_time": 0.5684},
    "XA_HIEP_THANH": {"on_time": 0.7843, "e_result": 0.9878, "e_certified": 0.15},
    "XA_PHUOC_TRACH": {"on_time": 0.7008, "e_result": 0.95},
    "XA_BAU_DON": {"on_time": 0.8945},
    "XA_THANH_DUC": {"e_result": 0.7057},
    "XA_CAM_GIANG": {"e_result": 0.9296},
    "THI_TRAN_GO_DAU": {"e_certified": 0.12},
}
GO_DAU_OFFICES = {"e_result": 0.9237}
LETTER_NOTE = "theo Công văn của UBND huyện Gò Dầu ngày 02/6/2023"


def _bare(name: str) -> str:
    return fold(name.split(" - ")[0].removeprefix("UBND "))


def make_profiles(
    units: Sequence[Unit], rng: np.random.Generator, *, preset: str, year: int
) -> list[UnitProfile]:
    """One profile per unit, in the given order (deterministic for the generator's state)."""
    modern = year >= 2025
    out = []
    weaknesses = ("late", "e_result", "digitised", "e_certified", "online", "paid_online")
    for u in units:
        draws = rng.random(20)

        def between(lo: float, hi: float, i: int, draws: np.ndarray = draws) -> float:
            return float(lo + (hi - lo) * draws[i])

        if u.kind is UnitKind.COMMUNE:
            monthly = between(180, 450, 0) if not modern else between(40, 450, 0)
            if fold(u.name).startswith(("UBND_THI_TRAN", "UBND_PHUONG")):
                monthly *= 1.4
        else:
            base = _keyword_value(u.name, VOLUME_BY_KEYWORD)
            monthly = float(base) * between(0.7, 1.3, 0) if isinstance(base, float) else 0.0
        p = UnitProfile(
            code=u.code,
            name=u.name,
            kind=str(u.kind),
            monthly=monthly,
            on_time=between(0.94, 0.995, 1),
            online=between(0.2, 0.55, 2) if not modern else between(0.5, 0.9, 2),
            postal=between(0.003, 0.03, 3),
            digitised=between(0.8, 0.98, 4),
            reused=between(0.3, 0.9, 5),
            e_result=between(0.975, 1.0, 6),
            paid_online=between(0.03, 0.2, 7) if preset == "go-dau-2023" else between(0.25, 0.8, 7),
            e_certified=between(0.55, 0.9, 8),
            citizen_data=between(0.3, 0.85, 9),
            synced=between(0.97, 1.0, 10),
            dissatisfied=between(0.002, 0.015, 11),
            supplement=between(0.01, 0.05, 12),
            petitions=between(0.002, 0.01, 13),
        )
        if draws[14] < 0.2 and preset != "go-dau-2023":
            weakness = weaknesses[int(draws[15] * len(weaknesses))]
            if weakness == "late":
                p = replace(p, on_time=between(0.55, 0.9, 16), note="chậm tiến độ (giả định)")
            elif weakness == "e_result":
                p = replace(p, e_result=between(0.6, 0.88, 16), note="yếu về kết quả điện tử (giả định)")
            elif weakness == "digitised":
                p = replace(p, digitised=between(0.4, 0.7, 16), note="yếu về số hóa (giả định)")
            elif weakness == "e_certified":
                p = replace(p, e_certified=between(0.05, 0.3, 16), note="yếu về chứng thực điện tử (giả định)")
            elif weakness == "online":
                p = replace(p, online=between(0.05, 0.2, 16), note="ít hồ sơ trực tuyến (giả định)")
            else:
                p = replace(p, paid_online=between(0.0, 0.1, 16), note="yếu về thanh toán trực tuyến (giả định)")
        if preset == "go-dau-2023":
            pinned = GO_DAU_LETTER.get(_bare(u.name))
            if pinned:
                p = replace(p, **pinned, note=LETTER_NOTE)  # type: ignore[arg-type]
            elif u.kind is UnitKind.AGENCY:
                p = replace(p, **GO_DAU_OFFICES, note=LETTER_NOTE)  # type: ignore[arg-type]
        out.append(p)
    return out
