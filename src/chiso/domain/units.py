"""Units of the evaluation: provinces, their agencies and communes, and (before 07/2025) districts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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


def kind_from_name(name: str) -> UnitKind | None:
    """Guess from the official name: 'UBND tỉnh …' province, 'UBND xã/phường/thị trấn …' commune, …"""
    low = name.strip().lower()
    if low.startswith(("ubnd tỉnh", "ubnd thành phố huế", "ủy ban nhân dân tỉnh")) or low in {
        "ubnd thành phố hà nội",
        "ubnd thành phố hồ chí minh",
        "ubnd thành phố hải phòng",
        "ubnd thành phố đà nẵng",
        "ubnd thành phố cần thơ",
    }:
        return UnitKind.PROVINCE
    if low.startswith(("ubnd xã", "ubnd phường", "ubnd thị trấn", "ubnd đặc khu")):
        return UnitKind.COMMUNE
    if low.startswith(("ubnd huyện", "ubnd thị xã", "ubnd quận")):
        return UnitKind.DISTRICT
    if low.startswith(("sở ", "ban ", "thanh tra", "văn phòng", "công an", "bảo hiểm", "cục ", "chi nhánh")):
        return UnitKind.AGENCY
    return None


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    kind: UnitKind
    parent_code: str | None = None

    @property
    def short_name(self) -> str:
        """The name without the province suffix the portal appends (' - tỉnh An Giang')."""
        return self.name.split(" - ")[0].strip()
