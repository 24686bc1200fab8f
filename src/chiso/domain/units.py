"""Units of the evaluation: provinces, their agencies and communes, and (before 07/2025) districts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from chiso.domain.unitnames import name_parts, strip_marks


class UnitKind(StrEnum):
    NATIONAL = "national"
    PROVINCE = "province"
    AGENCY = "agency"  # sở, ban, ngành (the portal's childGroup AGENCY)
    DISTRICT = "district"  # huyện, thị xã, thành phố thuộc tỉnh (before the 2025 reform)
    COMMUNE = "commune"  # xã, phường, thị trấn (the portal's childGroup COMMUNE)

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def plural_label(self) -> str:
        return _PLURAL_LABELS[self]


_LABELS = {
    UnitKind.NATIONAL: "toàn quốc",
    UnitKind.PROVINCE: "tỉnh, thành phố",
    UnitKind.AGENCY: "sở, ban, ngành",
    UnitKind.DISTRICT: "huyện, thị xã, thành phố",
    UnitKind.COMMUNE: "xã, phường, thị trấn",
}
_PLURAL_LABELS = {
    UnitKind.NATIONAL: "toàn quốc",
    UnitKind.PROVINCE: "các tỉnh, thành phố",
    UnitKind.AGENCY: "các sở, ban, ngành",
    UnitKind.DISTRICT: "các huyện, thị xã, thành phố",
    UnitKind.COMMUNE: "các xã, phường, thị trấn",
}

_CHILD_GROUP = {
    "AGENCY": UnitKind.AGENCY,
    "COMMUNE": UnitKind.COMMUNE,
    "PROVINCE": UnitKind.PROVINCE,
    "DISTRICT": UnitKind.DISTRICT,  # cấp huyện, in files that describe the years before 07/2025
}
_LOAI_COQUAN = {"1": UnitKind.PROVINCE, "2": UnitKind.AGENCY, "3": UnitKind.COMMUNE}


def kind_from_child_group(value: str | None) -> UnitKind | None:
    """The evaluation API's ``childGroup`` (AGENCY / COMMUNE; DISTRICT for results before 07/2025)."""
    if value is None:
        return None
    return _CHILD_GROUP.get(str(value).strip().upper())


def kind_from_loai_coquan(value: object) -> UnitKind | None:
    """The list service's ``LOAI_COQUAN`` (1 province, 2 agency, 3 commune)."""
    if value is None:
        return None
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    return _LOAI_COQUAN.get(text)


REFORM_DAY = date(2025, 7, 1)
"""From this day districts are gone: a province's agencies and communes hang from it directly (before it:
province > district > the district's agencies and communes)."""
_CENTRAL = {"ha noi": None, "ho chi minh": None, "hai phong": None, "da nang": None, "can tho": None,
            "hue": date(2025, 1, 1)}  # fmt: skip  # centrally-run cities, and since when (Huế: 01/01/2025)
_LEVEL_KINDS = {
    "tỉnh": UnitKind.PROVINCE,
    "huyện": UnitKind.DISTRICT,
    "quận": UnitKind.DISTRICT,
    "thị xã": UnitKind.DISTRICT,
    "xã": UnitKind.COMMUNE,
    "phường": UnitKind.COMMUNE,
    "thị trấn": UnitKind.COMMUNE,
    "đặc khu": UnitKind.COMMUNE,
}
_AGENCY_STARTS = (
    "sở ", "ban ", "thanh tra", "văn phòng", "công an", "bảo hiểm", "cục ", "chi cục", "chi nhánh", "phòng ",
    "các cơ quan", "cơ quan", "trung tâm", "kho bạc", "đài ", "ngân hàng", "tòa án", "viện ", "bộ chỉ huy",
)  # fmt: skip


def before_reform(day: date | None) -> bool | None:
    """True when ``day`` (a period's last day) falls before 07/2025's reform; None when unknown."""
    return None if day is None else day < REFORM_DAY


def is_central_city(name: str, day: date | None = None) -> bool:
    """A centrally-run city (a province): Hà Nội, TP Hồ Chí Minh, Hải Phòng, Đà Nẵng, Cần Thơ; Huế from 2025."""
    parts = name_parts(name)
    if parts.level not in ("thành phố", None) or parts.key not in _CENTRAL:
        return False
    since = _CENTRAL[parts.key]
    return since is None or day is None or day >= since


def kind_from_name(name: str, *, day: date | None = None, parent_kind: UnitKind | None = None) -> UnitKind | None:
    """The kind a name says, read with the period (``day``: the period's last day) and the parent's kind.

    'UBND tỉnh …' is a province, 'UBND xã/phường/thị trấn …' a commune, 'UBND huyện/quận/thị xã …' a district;
    'UBND thành phố X' is a province when X is centrally run, else (before 07/2025, or under a province) a
    district; 'Sở …', 'Ban …', 'Văn phòng …' … are agencies. None when the name does not say.
    """
    parts = name_parts(name)
    if parts.level == "thành phố" or (parts.level is None and parts.key in _CENTRAL and _council(name)):
        if is_central_city(name, day):
            return UnitKind.PROVINCE
        if before_reform(day) or parent_kind is UnitKind.PROVINCE:
            return UnitKind.DISTRICT
        return None
    if parts.level is not None:
        return _LEVEL_KINDS[parts.level]
    low = " ".join(name.strip().casefold().split())
    if low.startswith(_AGENCY_STARTS):
        return UnitKind.AGENCY
    return None


def _council(name: str) -> bool:
    low = name.strip().casefold()
    return low.startswith(("ubnd", "ủy ban nhân dân", "uỷ ban nhân dân"))


def is_local_government(name: str) -> bool:
    """A name of a people's committee ('UBND …', 'Xã …', 'Phường …'): never an agency."""
    return _council(name) or name_parts(name).level is not None


def official_kind(stored: str | UnitKind, name: str, day: date | None) -> UnitKind:
    """The kind of a published row: as imported, except the importer's fallback (agency) for a people's committee,
    which older versions gave 'UBND thành phố X' in a list without LOAI_COQUAN; then the name and period decide."""
    kind = UnitKind(stored)
    if kind is UnitKind.AGENCY and is_local_government(name):
        return kind_from_name(name, day=day, parent_kind=UnitKind.PROVINCE) or kind
    return kind


_WORDS = {
    "tinh": UnitKind.PROVINCE, "tinh thanh pho": UnitKind.PROVINCE, "province": UnitKind.PROVINCE,
    "so": UnitKind.AGENCY, "nganh": UnitKind.AGENCY, "ban": UnitKind.AGENCY, "so ban nganh": UnitKind.AGENCY,
    "co quan": UnitKind.AGENCY, "phong": UnitKind.AGENCY, "agency": UnitKind.AGENCY,
    "co quan chuyen mon": UnitKind.AGENCY,
    "huyen": UnitKind.DISTRICT, "quan": UnitKind.DISTRICT, "thi xa": UnitKind.DISTRICT,
    "thanh pho thuoc tinh": UnitKind.DISTRICT, "huyen thi xa thanh pho": UnitKind.DISTRICT,
    "district": UnitKind.DISTRICT,
    "xa": UnitKind.COMMUNE, "phuong": UnitKind.COMMUNE, "thi tran": UnitKind.COMMUNE, "dac khu": UnitKind.COMMUNE,
    "xa phuong thi tran": UnitKind.COMMUNE, "commune": UnitKind.COMMUNE,
}  # fmt: skip


def kind_from_word(text: str) -> UnitKind | None:
    """A kind written by a person: 'huyện', 'xã, phường, thị trấn', 'sở', 'district' (None if not one)."""
    return _WORDS.get(" ".join(strip_marks(text).replace(",", " ").split()))


@dataclass(frozen=True)
class Unit:
    """One unit. In the unit tree (``domain/unittree.py``) ``code`` is its main code (the portal's when the portal
    publishes it) and ``aliases`` its other codes (one-stop identifiers); ``official``/``local`` say whether the
    portal's results / the one-stop system's data know it."""

    code: str
    name: str
    kind: UnitKind
    parent_code: str | None = None
    aliases: tuple[str, ...] = ()
    official: bool = False
    local: bool = False

    @property
    def parent(self) -> str | None:
        return self.parent_code

    @property
    def codes(self) -> tuple[str, ...]:
        return (self.code, *self.aliases)

    @property
    def short_name(self) -> str:
        """The name without the province suffix the portal appends (' - tỉnh An Giang')."""
        return self.name.split(" - ")[0].strip()
