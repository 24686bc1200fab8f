"""Seed data: unit trees (Tây Ninh 2023, the 34 provinces of 2025) and the sample procedure catalogue."""

from __future__ import annotations

import unicodedata
from collections import Counter

import pytest

from chiso import seeds
from chiso.domain.codes import is_unit_code
from chiso.domain.units import Unit, UnitKind, kind_from_name
from chiso.errors import ChisoError


def _check_tree(units: list[Unit]) -> None:
    codes = [u.code for u in units]
    assert len(codes) == len(set(codes)), [c for c, n in Counter(codes).items() if n > 1]
    seen: set[str] = set()
    for u in units:
        assert isinstance(u.kind, UnitKind) and u.kind is not UnitKind.NATIONAL
        assert is_unit_code(u.code), u.code
        assert u.name and unicodedata.is_normalized("NFC", u.name), u.name
        assert u.name == u.name.strip() and "  " not in u.name
        if u.kind is UnitKind.PROVINCE:
            assert u.parent_code is None
        else:
            assert u.parent_code in seen, u  # parents come first, so every parent exists
        seen.add(u.code)


def test_available_lists_both_seeds():
    names = [s.name for s in seeds.available()]
    assert names == ["tay-ninh-2023", "2025"]
    assert all(unicodedata.is_normalized("NFC", s.title_vi + s.description) for s in seeds.available())


def test_tay_ninh_2023_tree():
    units = seeds.load("tay-ninh-2023")
    _check_tree(units)
    kinds = Counter(u.kind for u in units)
    assert kinds[UnitKind.PROVINCE] == 1 and kinds[UnitKind.DISTRICT] == 9
    assert kinds[UnitKind.COMMUNE] == 94  # 71 xã, 17 phường, 6 thị trấn (2020–06/2025)
    province = units[0]
    assert province.code == "H53" and province.name == "UBND tỉnh Tây Ninh"
    agencies = [u for u in units if u.kind is UnitKind.AGENCY and u.parent_code == "H53"]
    assert len(agencies) >= 15 and any(u.name.startswith("Sở Tư pháp") for u in agencies)
    go_dau = next(u for u in units if u.name == "UBND huyện Gò Dầu")
    children = [u for u in units if u.parent_code == go_dau.code]
    communes = sorted(u.name for u in children if u.kind is UnitKind.COMMUNE)
    assert communes == sorted(
        ["UBND thị trấn Gò Dầu"]
        + [f"UBND xã {n}" for n in ("Thạnh Đức", "Cẩm Giang", "Hiệp Thạnh", "Bàu Đồn", "Phước Thạnh", "Phước Đông",
                                     "Phước Trạch", "Thanh Phước")]
    )  # fmt: skip
    offices = [u.name for u in children if u.kind is UnitKind.AGENCY]
    for office in ("Văn phòng HĐND và UBND huyện", "Phòng Tư pháp", "Phòng Tài nguyên và Môi trường",
                   "Phòng Kinh tế và Hạ tầng", "Phòng Lao động - Thương binh và Xã hội", "Phòng Tài chính - Kế hoạch"):
        assert any(o.startswith(office) for o in offices), office  # fmt: skip
    # every district has communes; names read as the portal shows them
    for d in (u for u in units if u.kind is UnitKind.DISTRICT):
        assert any(u.parent_code == d.code and u.kind is UnitKind.COMMUNE for u in units), d
        assert kind_from_name(d.name) is UnitKind.DISTRICT or d.name.startswith("UBND thành phố")
    assert all(kind_from_name(u.name) is UnitKind.COMMUNE for u in units if u.kind is UnitKind.COMMUNE)


def test_2025_all_provinces():
    units = seeds.load("2025")
    _check_tree(units)
    provinces = [u for u in units if u.kind is UnitKind.PROVINCE]
    assert len(provinces) == 34
    assert {p.code for p in provinces} >= {"H01", "H21", "H26", "H29", "H53", "H56"}
    assert sum(u.kind is UnitKind.COMMUNE for u in units) > 3000
    assert not any(u.kind is UnitKind.DISTRICT for u in units)
    for p in provinces:
        assert any(u.parent_code == p.code and u.kind is UnitKind.AGENCY for u in units)
        assert any(u.parent_code == p.code and u.kind is UnitKind.COMMUNE for u in units)
    assert all(u.code.split(".")[0] == u.parent_code for u in units if u.parent_code)


@pytest.mark.parametrize("key", ["H21", "gia-lai", "52", "Gia Lai", "h21"])
def test_2025_one_province_by_any_key(key):
    units = seeds.load(f"2025:{key}")
    _check_tree(units)
    assert units[0].code == "H21" and units[0].name == "UBND tỉnh Gia Lai"
    assert sum(u.kind is UnitKind.COMMUNE for u in units) == 135


def test_2025_known_portal_codes_are_kept():
    gia_lai = {u.code: u.name for u in seeds.load("2025:H21")}
    assert gia_lai["H21.227"] == "UBND xã Vân Canh"
    assert gia_lai["H21.125"] == "UBND xã Đăk Song"
    assert gia_lai["H21.17"].startswith("Sở Văn hóa, Thể thao và Du lịch")
    an_giang = seeds.load("2025:an-giang")
    assert sum(u.kind is UnitKind.AGENCY for u in an_giang) == 15  # the complete real list
    names = {u.name for u in an_giang}
    assert "UBND phường Long Phú" in names  # NFC although the source was not
    assert {u.code for u in an_giang if u.kind is UnitKind.COMMUNE} == {f"H01.{n}" for n in range(101, 203)}


def test_2025_city_names():
    hanoi = seeds.load("2025:ha-noi")
    assert hanoi[0].code == "H26" and hanoi[0].name == "UBND Thành phố Hà Nội"
    assert kind_from_name(hanoi[0].name) is UnitKind.PROVINCE


def test_unknown_seed_and_province_are_errors_in_vietnamese():
    with pytest.raises(ChisoError, match="Không có bộ dữ liệu"):
        seeds.load("tay-ninh-2099")
    with pytest.raises(ChisoError, match="Không có tỉnh"):
        seeds.load("2025:H99")


def test_procedures_are_valid():
    procs = seeds.procedures()
    assert 80 <= len(procs) <= 150
    codes = [p.code for p in procs]
    assert len(codes) == len(set(codes))
    for p in procs:
        assert p.code.count(".") == 1 and p.code.split(".")[0].isdigit() and len(p.code.split(".")[1]) == 6, p.code
        assert p.name and unicodedata.is_normalized("NFC", p.name) and unicodedata.is_normalized("NFC", p.field_name)
        assert p.levels and set(p.levels) <= set(seeds.LEVELS)
        assert p.online_level in (2, 3, 4)
        assert p.time_unit in seeds.TIME_UNITS and p.processing_time > 0
        assert p.fee_amount >= 0 and (p.fee_amount > 0) == p.has_fee
        assert p.weight > 0
        assert not p.full_online_eligible or p.online_level >= 3
    levels = Counter(level for p in procs for level in p.levels)
    assert min(levels[x] for x in seeds.LEVELS) >= 15
    fields = {p.field_name for p in procs}
    assert {"Hộ tịch", "Chứng thực", "Đất đai", "Đăng ký hộ kinh doanh", "Hoạt động xây dựng",
            "Bảo trợ xã hội"} <= fields  # fmt: skip
    copies = [p for p in procs if p.certified_copy]
    assert [p.code for p in copies] == ["2.000815"]
    assert copies[0].name.startswith("Chứng thực bản sao từ bản chính")
    birth = next(p for p in procs if p.code == "1.001193")
    assert birth.name == "Thủ tục đăng ký khai sinh" and birth.levels == ("xa",)
