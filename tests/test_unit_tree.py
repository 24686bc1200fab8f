"""The one unit tree (domain/unittree.py): identity across code systems, precedence, kinds, lookups, invariants."""

from __future__ import annotations

import unicodedata
from collections import Counter
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chiso.domain.unitnames import name_key, name_parts, strip_marks
from chiso.domain.units import UnitKind, kind_from_name
from chiso.domain.unittree import MatchState, UnitLink, UnitOverride, UnitRecord, UnitSource, UnitTree
from chiso.errors import AmbiguousUnitError, UnknownUnitError

MAY_2023 = date(2023, 5, 31)
OFF, FILE, DOSSIER, SEED = UnitSource.OFFICIAL, UnitSource.UNIT_FILE, UnitSource.DOSSIER, UnitSource.SEED
K = UnitKind


def off(code: str, name: str, kind: UnitKind, parent: str | None, day: date = MAY_2023) -> UnitRecord:
    return UnitRecord(code, OFF, name, kind, parent, day)


def file(code: str, name: str, kind: UnitKind | None, parent: str | None) -> UnitRecord:
    return UnitRecord(code, FILE, name, kind, parent)


GO_DAU = [
    off("H53.07", "UBND huyện Gò Dầu", K.DISTRICT, "H53"),
    off("H53.07.00", "Các cơ quan chuyên môn huyện", K.AGENCY, "H53.07"),
    off("H53.07.01", "UBND thị trấn Gò Dầu", K.COMMUNE, "H53.07"),
    off("H53.07.02", "UBND xã Thạnh Đức", K.COMMUNE, "H53.07"),
    off("H53.01", "UBND thành phố Tây Ninh", K.AGENCY, "H53"),  # an older import's fallback kind
    file("H53", "UBND tỉnh Tây Ninh", K.PROVINCE, None),
    file("000.00.37.H53", "UBND huyện Gò Dầu", K.DISTRICT, "H53"),
    file("000.01.37.H53", "Phòng Tư pháp", K.AGENCY, "000.00.37.H53"),
    file("000.31.37.H53", "UBND thị trấn Gò Dầu", K.COMMUNE, "000.00.37.H53"),
    file("000.32.37.H53", "UBND xã Thạnh Đức", None, "000.00.37.H53"),
    UnitRecord("000.99.37.H53", DOSSIER),
]


def test_portal_and_one_stop_codes_of_gò_dầu_are_one_unit():
    tree = UnitTree.build(GO_DAU)
    district = tree.find("000.00.37.H53")
    assert district is tree.find("H53.07")
    assert (district.code, district.aliases, district.kind, district.parent) == (
        "H53.07", ("000.00.37.H53",), K.DISTRICT, "H53")  # fmt: skip
    assert district.official and district.local
    assert [u.code for u in tree.children("000.00.37.H53")] == ["000.01.37.H53", "H53.07.00", "H53.07.01", "H53.07.02"]
    town = tree.find("000.31.37.H53")
    assert (town.code, town.aliases, town.kind) == ("H53.07.01", ("000.31.37.H53",), K.COMMUNE)
    assert tree.find("000.32.37.H53").code == "H53.07.02"
    report = tree.report
    assert sorted(report.matched) == [("H53.07", "000.00.37.H53"), ("H53.07.01", "000.31.37.H53"),
                                      ("H53.07.02", "000.32.37.H53")]  # fmt: skip
    assert report.official_only == ["H53.01", "H53.07.00"]
    assert report.local_only == ["000.01.37.H53", "000.99.37.H53", "H53"]
    assert report.ambiguous == []
    assert tree.state("000.00.37.H53") is MatchState.MATCHED and tree.state("H53") is MatchState.LOCAL_ONLY
    # the city in a district list: a district, counted among the province's districts
    assert tree.get("H53.01").kind is K.DISTRICT
    assert [u.code for u in tree.peers("H53.07")] == ["H53.01", "H53.07"]
    assert tree.province_of("000.32.37.H53").name == "UBND tỉnh Tây Ninh"
    assert tree.subtree_codes("000.00.37.H53") >= {"H53.07", "000.00.37.H53", "000.31.37.H53", "H53.07.01"}


def test_ambiguous_names_are_reported_never_guessed():
    records = [
        off("H21", "UBND tỉnh Gia Lai", K.PROVINCE, "VN"),
        off("H21.101", "UBND xã An Bình", K.COMMUNE, "H21"),
        file("H21", "UBND tỉnh Gia Lai", K.PROVINCE, None),
        file("000.41.21.H21", "UBND xã An Bình", K.COMMUNE, "H21"),
        file("000.42.21.H21", "Xã An Bình", K.COMMUNE, "H21"),
        off("H21.102", "UBND xã Ia Mơ", K.COMMUNE, "H21"),
        file("000.43.21.H21", "UBND xã Ia Mơ", K.COMMUNE, "H21"),
    ]
    tree = UnitTree.build(records)
    (case,) = tree.report.ambiguous
    assert (case.parent, case.official, case.local) == ("H21", ("H21.101",), ("000.41.21.H21", "000.42.21.H21"))
    assert tree.get("000.41.21.H21").code == "000.41.21.H21"  # not joined to H21.101
    assert tree.state("H21.101") is MatchState.AMBIGUOUS
    assert tree.find("000.43.21.H21").code == "H21.102"  # the unambiguous one is matched
    # the mapping file settles it
    settled = UnitTree.build(records, [UnitLink("H21.101", "000.42.21.H21")])
    assert settled.find("000.42.21.H21").code == "H21.101"
    assert settled.state("H21.101") is MatchState.LINKED
    assert settled.report.linked == [("H21.101", "000.42.21.H21")]


def test_mapping_file_vetoes_a_match_and_overrides_kind_and_parent():
    vetoed = UnitTree.build(GO_DAU, [UnitLink("H53.07.02", "000.32.37.H53", same=False)])
    assert vetoed.find("000.32.37.H53").code == "000.32.37.H53"
    fixed = UnitTree.build(GO_DAU, overrides=[UnitOverride("000.99.37.H53", K.COMMUNE, "000.00.37.H53")])
    node = fixed.find("000.99.37.H53")
    assert (node.kind, node.parent) == (K.COMMUNE, "H53.07")  # the parent given by either code
    assert node in fixed.children("H53.07")


def test_find_by_name_without_diacritics_or_case_and_ambiguity_message():
    tree = UnitTree.build([*GO_DAU, off("H21.227", "UBND xã Vân Canh", K.COMMUNE, "H21", date(2026, 10, 10))])
    assert tree.find("Vân Canh").code == "H21.227"
    assert tree.find("van canh").code == "H21.227"
    assert tree.find("  VAN   CANH ").code == "H21.227"
    assert tree.find("h53.07").code == "H53.07"
    assert tree.find("huyện Gò Dầu").code == "H53.07"
    assert tree.find("thi tran go dau").code == "H53.07.01"
    with pytest.raises(AmbiguousUnitError) as err:
        tree.find("Gò Dầu")
    assert "H53.07 UBND huyện Gò Dầu" in err.value.message and "H53.07.01 UBND thị trấn Gò Dầu" in err.value.message
    assert "huyện Gò Dầu" in (err.value.hint or "")
    with pytest.raises(UnknownUnitError):
        tree.find("Hà Tiên")


def test_seed_names_a_province_the_files_only_refer_to_and_loops_are_cut():
    records = [off("H53.07", "UBND huyện Gò Dầu", K.DISTRICT, "H53"),
               UnitRecord("H53", SEED, "UBND tỉnh Tây Ninh", K.PROVINCE, "VN")]  # fmt: skip
    tree = UnitTree.build(records)
    assert tree.province_of("H53.07").name == "UBND tỉnh Tây Ninh"
    assert tree.state("H53") is MatchState.REFERENCE
    assert UnitTree.build([UnitRecord("H99", SEED, "UBND tỉnh X", K.PROVINCE, "VN")]).get("H99") is None
    looped = UnitTree.build(
        [file("A", "Sở A", None, "B"), file("B", "Sở B", None, "A")], overrides=[UnitOverride("C", parent="A")]
    )
    assert looped.problems and all(len(looped.ancestors(c)) < 2 for c in ("A", "B"))


def test_kinds_from_name_and_period():
    assert kind_from_name("UBND thành phố Tây Ninh", day=MAY_2023) is K.DISTRICT
    assert kind_from_name("UBND thành phố Tây Ninh", parent_kind=K.PROVINCE) is K.DISTRICT
    assert kind_from_name("UBND thành phố Tây Ninh", day=date(2026, 1, 31)) is None  # no districts after 07/2025
    assert kind_from_name("UBND Thành phố Hà Nội", day=MAY_2023) is K.PROVINCE
    assert kind_from_name("TP. Hồ Chí Minh") is K.PROVINCE
    assert kind_from_name("UBND thành phố Huế", day=date(2024, 12, 31)) is K.DISTRICT  # Thừa Thiên Huế's city
    assert kind_from_name("UBND thành phố Huế", day=date(2025, 1, 31)) is K.PROVINCE
    assert kind_from_name("UBND thị xã Trảng Bàng") is K.DISTRICT
    assert kind_from_name("UBND đặc khu Phú Quốc") is K.COMMUNE
    assert kind_from_name("Sở Tư pháp - tỉnh Tây Ninh") is K.AGENCY
    assert kind_from_name("Quản lý thị trường") is None
    # a unit file without kinds: the name, read under its parent
    tree = UnitTree.build([file("P", "UBND tỉnh Tây Ninh", None, None), file("C", "UBND thành phố Tây Ninh", None, "P"),
                           file("X", "Phòng Nội vụ", None, "C")])  # fmt: skip
    assert [tree.get(c).kind for c in "PCX"] == [K.PROVINCE, K.DISTRICT, K.AGENCY]


# -- name normalisation (property tests) --------------------------------------------------------------------
WORDS = st.sampled_from(["Vân", "Canh", "Gò", "Dầu", "Thạnh", "Đức", "Ia", "Mơ", "Hòa", "Thành", "Bàu", "Đồn", "Ân"])
LEVELS = st.sampled_from(["xã", "phường", "thị trấn", "huyện", "thị xã", "thành phố", "tỉnh", "quận", "đặc khu"])


@given(st.lists(WORDS, min_size=1, max_size=4), LEVELS, st.booleans(), st.booleans(), st.sampled_from([0, 1, 2]))
def test_name_key_ignores_case_marks_council_suffix_spacing_and_normal_form(words, level, council, upper, space):
    base = f"{level} {' '.join(words)}"
    key = name_key(base)
    assert key == strip_marks(" ".join(words)).replace("đ", "d")
    variant = ("UBND " if council else "") + base + " - tỉnh Tây Ninh"
    variant = variant.upper() if upper else variant
    variant = variant.replace(" ", " " * (space + 1))
    assert name_key(variant) == key
    assert name_key(unicodedata.normalize("NFD", variant)) == key
    assert name_key(strip_marks(variant)) == key  # typed without diacritics
    assert name_parts(variant).level == level


@given(st.sampled_from(["phường", "quận"]), st.sampled_from(["1", "2", "10", "IV", "XII"]))
def test_a_numbered_ward_keeps_its_level(level, number):
    parts = name_parts(f"UBND {level} {number}")
    assert parts.key == f"{strip_marks(level)} {number.lower()}"
    assert name_key(f"{level} {number}") != name_key(f"xã {number}")


# -- tree invariants (property tests) ------------------------------------------------------------------------
CODES = [f"U{i}" for i in range(12)]


@st.composite
def trees(draw: st.DrawFn) -> tuple[list[UnitRecord], list[UnitLink], list[UnitOverride]]:
    records = []
    for code in draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=12, unique=True)):
        source = draw(st.sampled_from([OFF, FILE, DOSSIER]))
        parent = draw(st.one_of(st.none(), st.sampled_from(CODES)))
        name = draw(st.sampled_from(["UBND xã A", "UBND xã B", "Sở C", "UBND huyện D", None]))
        records.append(UnitRecord(code, source, name, draw(st.sampled_from([None, *K])), parent))
    links = [UnitLink(a, b, same) for a, b, same in draw(st.lists(
        st.tuples(st.sampled_from(CODES), st.sampled_from(CODES), st.booleans()), max_size=4))]  # fmt: skip
    overrides = [UnitOverride(c, None, p) for c, p in draw(st.lists(
        st.tuples(st.sampled_from(CODES), st.sampled_from(CODES)), max_size=3))]  # fmt: skip
    return records, links, overrides


@settings(max_examples=300, deadline=None)
@given(trees(), st.dictionaries(st.sampled_from(CODES), st.integers(0, 100)))
def test_every_unit_is_reached_once_without_cycles_and_subtrees_sum(data, values):
    records, links, overrides = data
    tree = UnitTree.build(records, links, overrides)
    # every code known to a source resolves, to a unit whose codes include it
    for r in records:
        assert r.code in tree.get(r.code).codes
    # no cycles: walking up never repeats and ends
    for u in tree:
        chain = [u.code, *(a.code for a in tree.ancestors(u.code))]
        assert len(chain) == len(set(chain))
    # every unit is reached exactly once from the tops (units whose parent is not a unit)
    tops = [u for u in tree if tree.get(u.parent) is None]
    reached = Counter(x.code for t in tops for x in tree.subtree(t.code))
    assert reached == Counter(u.code for u in tree)
    # a unit's roll-up (own value added to itself and every ancestor) is the sum over its subtree
    own = Counter()
    for code, v in values.items():
        if code in tree:
            own[tree.main_code(code)] += v
    rolled = Counter()
    for code, v in own.items():
        for target in [code, *(a.code for a in tree.ancestors(code))]:
            rolled[target] += v
    for u in tree:
        assert rolled[u.code] == sum(own[x.code] for x in tree.subtree(u.code))
