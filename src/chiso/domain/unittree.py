"""The one tree of units: what every command, page, letter and access rule knows about a unit.

Built (pure, no I/O) from what the store holds — :class:`UnitRecord` s from the portal's results, the one-stop
system's unit files, the codes seen on dossiers and the seed lists — plus the administrator's mapping file
(:class:`UnitLink` s and :class:`UnitOverride` s). One unit may have several codes: the portal's (``H53.07``)
and the one-stop system's identifiers (``000.00.37.H53``); any of them, or its name, finds it.

Precedence (the one rule; docs/units.md):

1. **Identity** — the mapping file's links ('the same unit' / 'not the same'), then automatic matching: a unit
   only the portal knows and a unit only the one-stop data knows, under the same parent, with the same
   normalised name (:mod:`chiso.domain.unitnames`) and no conflicting kind, are one unit. Two or more
   candidates on either side: nothing is guessed, the case is reported as ambiguous.
2. **Attributes** of a unit, for each of name, kind and parent: the mapping file's override, else the portal's
   results (newest appearance), else the one-stop unit files, else the seed lists (names of provinces a file
   refers to), else what the name says (kind, read with the period) — and the code itself as a last name, an
   agency as a last kind.
3. **Main code**: a code the portal publishes (newest first), else a unit file's code, else a dossier's.

Structure: before 07/2025 a province has agencies and districts, a district its own agencies and communes; from
07/2025 a province has agencies and communes directly (:data:`chiso.domain.units.REFORM_DAY`). The tree takes
whatever parents the data give; kinds are read with the period of the record ('UBND thành phố X' under a
province before 07/2025 is a district). A parent loop in the data is cut and reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from chiso.domain.codes import NATIONAL, normalise_unit_code
from chiso.domain.unitnames import name_parts
from chiso.domain.units import Unit, UnitKind, kind_from_name, official_kind
from chiso.errors import AmbiguousUnitError, UnknownUnitError


class UnitSource(StrEnum):
    OFFICIAL = "official"  # a row of the portal's published results
    UNIT_FILE = "unit_file"  # the one-stop system's unit list (chiso ingest)
    DOSSIER = "dossier"  # a code seen only on dossiers
    SEED = "seed"  # chiso's seed lists: names of provinces a file refers to


@dataclass(frozen=True)
class UnitRecord:
    """What one source says about one code."""

    code: str
    source: UnitSource
    name: str | None = None
    kind: UnitKind | None = None
    parent: str | None = None
    day: date | None = None  # the last day of the period of a published row (newest appearance)


@dataclass(frozen=True)
class UnitLink:
    """A line of the mapping file: ``code`` and ``other`` name the same unit (``same``), or never do."""

    code: str
    other: str
    same: bool = True


@dataclass(frozen=True)
class UnitOverride:
    """A line of the mapping file that sets a unit's kind or parent."""

    code: str
    kind: UnitKind | None = None
    parent: str | None = None


class MatchState(StrEnum):
    BOTH = "both"  # one code known to both systems
    LINKED = "linked"  # codes linked by the mapping file
    MATCHED = "matched"  # codes matched automatically by name under the same parent
    AMBIGUOUS = "ambiguous"  # several candidates: left for the mapping file
    OFFICIAL_ONLY = "official_only"
    LOCAL_ONLY = "local_only"
    REFERENCE = "reference"  # known only as a parent named by the seed lists

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]


_STATE_LABELS = {
    MatchState.BOTH: "Cổng và hồ sơ (cùng mã)",
    MatchState.LINKED: "đã liên kết (tệp ánh xạ)",
    MatchState.MATCHED: "tự khớp theo tên",
    MatchState.AMBIGUOUS: "trùng tên, cần chọn",
    MatchState.OFFICIAL_ONLY: "chỉ có kết quả chính thức",
    MatchState.LOCAL_ONLY: "chỉ có dữ liệu hồ sơ",
    MatchState.REFERENCE: "chỉ là đơn vị cha (danh mục có sẵn)",
}


@dataclass(frozen=True)
class Ambiguity:
    """Several units of one name under one parent: which portal code is which one-stop code is not guessed."""

    parent: str | None
    name: str
    official: tuple[str, ...]
    local: tuple[str, ...]


@dataclass(frozen=True)
class MatchReport:
    matched: list[tuple[str, str]]  # (portal code, one-stop code) matched by name
    linked: list[tuple[str, str]]  # (code, code) linked by the mapping file
    ambiguous: list[Ambiguity]
    official_only: list[str]  # left alone: only the portal knows them
    local_only: list[str]  # left alone: only the one-stop data knows them


@dataclass
class _Facts:
    official: UnitRecord | None = None
    unit_file: UnitRecord | None = None
    dossier: bool = False
    seed: UnitRecord | None = None


class _Groups:
    """Union-find over codes (which codes are one unit)."""

    def __init__(self, codes: Iterable[str]) -> None:
        self.up = {c: c for c in codes}

    def root(self, code: str) -> str:
        while self.up[code] != code:
            self.up[code] = self.up[self.up[code]]
            code = self.up[code]
        return code

    def join(self, a: str, b: str) -> None:
        ra, rb = self.root(a), self.root(b)
        if ra != rb:
            self.up[max(ra, rb)] = min(ra, rb)

    def members(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for c in sorted(self.up):
            out.setdefault(self.root(c), []).append(c)
        return out


@dataclass
class UnitTree:
    """Units by main code, every code's unit, children, and how the two code systems met."""

    units: dict[str, Unit] = field(default_factory=dict)
    index: dict[str, str] = field(default_factory=dict)  # any code → main code
    kids: dict[str, list[str]] = field(default_factory=dict)  # parent code → children's main codes (sorted)
    states: dict[str, MatchState] = field(default_factory=dict)
    report: MatchReport = field(default_factory=lambda: MatchReport([], [], [], [], []))
    problems: list[str] = field(default_factory=list)
    names: dict[str, list[str]] = field(default_factory=dict)  # name key → main codes
    published: frozenset[str] = frozenset()  # codes the portal's results use
    local_codes: frozenset[str] = frozenset()  # codes the one-stop data use (unit files, dossiers)

    # -- building ---------------------------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        records: Iterable[UnitRecord],
        links: Iterable[UnitLink] = (),
        overrides: Iterable[UnitOverride] = (),
    ) -> UnitTree:
        facts: dict[str, _Facts] = {}
        seeds: dict[str, UnitRecord] = {}
        for r in records:
            if r.source is UnitSource.SEED:
                seeds.setdefault(r.code, r)
                continue
            f = facts.setdefault(r.code, _Facts())
            if r.source is UnitSource.OFFICIAL:
                if f.official is None or (r.day or date.min, r.code) > (f.official.day or date.min, f.official.code):
                    f.official = r
            elif r.source is UnitSource.UNIT_FILE:
                f.unit_file = f.unit_file or r
            else:
                f.dossier = True
        links = list(links)
        for link in links:  # a link makes a code known ahead of its data (it resolves as soon as it arrives)
            if link.same and (link.code in facts or link.other in facts):
                facts.setdefault(link.code, _Facts())
                facts.setdefault(link.other, _Facts())
        fixed = {o.code: o for o in overrides}
        _add_seeds(facts, seeds, fixed)
        groups = _Groups(facts)
        linked: list[tuple[str, str]] = []
        vetoed: set[frozenset[str]] = set()
        for link in links:
            if link.code not in facts or link.other not in facts:
                continue
            if link.same:
                groups.join(link.code, link.other)
                linked.append((link.code, link.other))
            else:
                vetoed.add(frozenset((link.code, link.other)))
        matched, ambiguous = _match(facts, groups, fixed, vetoed)
        return _assemble(facts, groups, fixed, linked, matched, ambiguous)

    # -- reading ----------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.units)

    def __iter__(self) -> Iterator[Unit]:
        return iter(self.units.values())

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self.index

    def get(self, code: str | None) -> Unit | None:
        """The unit of any of its codes (None when unknown)."""
        if code is None:
            return None
        main = self.index.get(code)
        return self.units[main] if main is not None else None

    def main_code(self, code: str) -> str:
        """The main code of a unit given any of its codes (the code itself when unknown)."""
        return self.index.get(code, code)

    def children(self, code: str) -> list[Unit]:
        return [self.units[c] for c in self.kids.get(self.main_code(code), [])]

    def has_children(self, code: str) -> bool:
        return bool(self.kids.get(self.main_code(code)))

    def ancestors(self, code: str) -> list[Unit]:
        """Parent first, up to the top (a province, or a unit whose parent is unknown)."""
        out: list[Unit] = []
        node = self.get(code)
        while node is not None and node.parent_code is not None:
            node = self.get(node.parent_code)
            if node is None or node in out:
                break
            out.append(node)
        return out

    def subtree(self, code: str) -> list[Unit]:
        """The unit and every unit below it, each once, the unit first (empty when unknown)."""
        start = self.get(code)
        if start is None:
            return []
        out, seen, todo = [], {start.code}, [start.code]
        while todo:
            current = todo.pop()
            out.append(self.units[current])
            for child in reversed(self.kids.get(current, [])):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        return out

    def subtree_codes(self, code: str) -> frozenset[str]:
        """Every code (main codes and aliases) of the unit and the units below it."""
        return frozenset(c for u in self.subtree(code) for c in u.codes)

    def province_of(self, code: str) -> Unit | None:
        """The province a unit belongs to (itself when it is one)."""
        node = self.get(code)
        for u in [node, *self.ancestors(code)] if node else []:
            if u.kind is UnitKind.PROVINCE:
                return u
        return None

    def peers(self, code: str) -> list[Unit]:
        """Units of the same level: same parent and same kind (the unit included)."""
        node = self.get(code)
        if node is None:
            return []
        if node.parent_code is None:
            siblings = [u for u in self.units.values() if u.parent_code is None]
        else:
            siblings = [self.units[c] for c in self.kids.get(node.parent_code, [])]
        return sorted((u for u in siblings if u.kind is node.kind), key=lambda u: u.code)

    def roots_with_children(self) -> list[Unit]:
        """Units that have units below them, provinces first (the choices of a 'home' unit)."""
        out = [self.units[c] for c in self.kids if c in self.units]
        return sorted(out, key=lambda n: (n.kind is not UnitKind.PROVINCE, n.code))

    def local_chain(self, code: str) -> list[Unit]:
        """The unit and its ancestors known to the one-stop data, up to the first one it does not know: the units
        a unit's dossiers count for (a unit only the portal knows has no local figure)."""
        node = self.get(code)
        out = []
        for u in [node, *self.ancestors(code)] if node is not None else []:
            if not u.local:
                break
            out.append(u)
        return out

    def state(self, code: str) -> MatchState:
        return self.states.get(self.main_code(code), MatchState.OFFICIAL_ONLY)

    def find(self, text: str) -> Unit:
        """A unit by any of its codes, or by its name ('Vân Canh', 'van canh', 'huyện Gò Dầu').

        Raises ``UnknownUnitError`` when nothing matches and ``AmbiguousUnitError`` when a name fits several.
        """
        raw = " ".join(str(text).split())
        for candidate in (raw, normalise_unit_code(raw)):
            if candidate in self.index:
                return self.units[self.index[candidate]]
        upper = {c.upper(): m for c, m in self.index.items()}
        if raw.upper() in upper:
            return self.units[upper[raw.upper()]]
        parts = name_parts(raw)
        found = [self.units[c] for c in self.names.get(parts.key, [])] if parts.key else []
        if parts.level is not None and len(found) > 1:
            same_level = [u for u in found if name_parts(u.name).level == parts.level]
            found = same_level or [u for u in found if u.kind in _LEVEL_KINDS.get(parts.level, ())]
        if len(found) == 1:
            return found[0]
        if not found:
            raise UnknownUnitError(
                f"Không có đơn vị '{raw}' trong kho (tìm theo mã và theo tên)",
                hint="Xem danh sách đơn vị và các mã của chúng: chiso units",
            )
        listed = "; ".join(f"{u.code} {u.name}" for u in sorted(found, key=lambda u: u.code)[:10])
        raise AmbiguousUnitError(
            f"Có {len(found)} đơn vị tên '{raw}': {listed}",
            candidates=tuple(sorted(u.code for u in found)),
            hint="Ghi rõ cấp (ví dụ 'huyện Gò Dầu' hoặc 'thị trấn Gò Dầu') hoặc dùng mã đơn vị.",
        )


_LEVEL_KINDS = {
    "tỉnh": (UnitKind.PROVINCE,),
    "thành phố": (UnitKind.PROVINCE, UnitKind.DISTRICT),
    "huyện": (UnitKind.DISTRICT,),
    "quận": (UnitKind.DISTRICT,),
    "thị xã": (UnitKind.DISTRICT,),
    "xã": (UnitKind.COMMUNE,),
    "phường": (UnitKind.COMMUNE,),
    "thị trấn": (UnitKind.COMMUNE,),
    "đặc khu": (UnitKind.COMMUNE,),
}


# -- building steps ---------------------------------------------------------------------------------------------
def _add_seeds(facts: dict[str, _Facts], seeds: Mapping[str, UnitRecord], fixed: Mapping[str, UnitOverride]) -> None:
    """Parents the data name but do not describe get the seed lists' record (a province's name)."""
    todo = [r.parent for f in facts.values() for r in (f.official, f.unit_file) if r is not None and r.parent]
    todo += [o.parent for o in fixed.values() if o.parent]
    while todo:
        code = todo.pop()
        if code in facts or code not in seeds:
            continue
        facts[code] = _Facts(seed=seeds[code])
        if seeds[code].parent:
            todo.append(seeds[code].parent)  # type: ignore[arg-type]


def _best(codes: Iterable[str], facts: Mapping[str, _Facts]) -> tuple[UnitRecord | None, UnitRecord | None]:
    """The newest published record and the first unit-file record among ``codes``."""
    official = [facts[c].official for c in codes if facts[c].official is not None]
    files = [facts[c].unit_file for c in codes if facts[c].unit_file is not None]
    newest = max(official, key=lambda r: (r.day or date.min, r.code), default=None)  # type: ignore[union-attr]
    return newest, files[0] if files else None


def _stated_kind(codes: list[str], facts: Mapping[str, _Facts], fixed: Mapping[str, UnitOverride]) -> UnitKind | None:
    for c in codes:
        if c in fixed and fixed[c].kind is not None:
            return fixed[c].kind
    official, unit_file = _best(codes, facts)
    if official is not None and official.kind is not None:
        return official_kind(official.kind, official.name or "", official.day)
    if unit_file is not None and unit_file.kind is not None:
        return unit_file.kind
    seed = next((facts[c].seed for c in codes if facts[c].seed is not None), None)
    return seed.kind if seed else None


def _first_said(codes: list[str], facts: Mapping[str, _Facts], attribute: str) -> str | None:
    """``name`` or ``parent`` as the sources say it, in the order of precedence: published, unit file, seed."""
    official, unit_file = _best(codes, facts)
    seed = next((facts[c].seed for c in codes if facts[c].seed is not None), None)
    for r in (official, unit_file, seed):
        value = getattr(r, attribute) if r is not None else None
        if value:
            return str(value)
    return None


def _name(codes: list[str], facts: Mapping[str, _Facts]) -> str | None:
    return _first_said(codes, facts, "name")


def _parent(codes: list[str], facts: Mapping[str, _Facts], fixed: Mapping[str, UnitOverride]) -> str | None:
    for c in codes:
        if c in fixed and fixed[c].parent is not None:
            return fixed[c].parent
    return _first_said(codes, facts, "parent")


def _system(codes: list[str], facts: Mapping[str, _Facts]) -> tuple[bool, bool]:
    official = any(facts[c].official is not None for c in codes)
    local = any(facts[c].unit_file is not None or facts[c].dossier for c in codes)
    return official, local


def _match(
    facts: Mapping[str, _Facts],
    groups: _Groups,
    fixed: Mapping[str, UnitOverride],
    vetoed: set[frozenset[str]],
) -> tuple[list[tuple[str, str]], list[Ambiguity]]:
    """Join units only the portal knows with units only the one-stop data knows: same parent, same name key."""
    matched: list[tuple[str, str]] = []
    while True:
        joined = False
        ambiguous: list[Ambiguity] = []
        members = groups.members()
        sides: dict[tuple[str | None, str], tuple[list[str], list[str]]] = {}
        for root, codes in members.items():
            official, local = _system(codes, facts)
            name = _name(codes, facts)
            if official == local or not name or not name_parts(name).key:
                continue
            parent = _parent(codes, facts, fixed)
            parent_root = groups.root(parent) if parent in groups.up else parent
            if parent_root is None and kind_from_name(name) is UnitKind.PROVINCE:
                parent_root = NATIONAL  # a province a unit file lists without a parent
            side = sides.setdefault((parent_root, name_parts(name).key), ([], []))
            side[0 if official else 1].append(root)
        for (parent, key), (portal, onestop) in sorted(sides.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
            if not portal or not onestop:
                continue
            if len(portal) == 1 and len(onestop) == 1:
                a, b = portal[0], onestop[0]
                kinds = {_stated_kind(members[a], facts, fixed), _stated_kind(members[b], facts, fixed)} - {None}
                blocked = any(frozenset((x, y)) in vetoed for x in members[a] for y in members[b])
                if len(kinds) <= 1 and not blocked:
                    groups.join(a, b)
                    matched.append((_main(members[a], facts), _main(members[b], facts)))
                    joined = True
                continue
            shown = _name(members[portal[0]], facts) or key
            ambiguous.append(Ambiguity(parent, shown, tuple(sorted(_main(members[r], facts) for r in portal)),
                                       tuple(sorted(_main(members[r], facts) for r in onestop))))  # fmt: skip
        if not joined:
            return matched, ambiguous


def _main(codes: list[str], facts: Mapping[str, _Facts]) -> str:
    """The main code: published (newest first), else a unit file's, else a dossier's, else the first."""
    published = [c for c in codes if facts[c].official is not None]
    if published:
        return max(published, key=lambda c: (facts[c].official.day or date.min, -len(c), c))  # type: ignore[union-attr]
    for test in (lambda f: f.unit_file is not None, lambda f: f.dossier, lambda f: f.seed is not None):
        chosen = [c for c in codes if test(facts[c])]
        if chosen:
            return chosen[0]
    return codes[0]


def _assemble(
    facts: Mapping[str, _Facts],
    groups: _Groups,
    fixed: Mapping[str, UnitOverride],
    linked: list[tuple[str, str]],
    matched: list[tuple[str, str]],
    ambiguous: list[Ambiguity],
) -> UnitTree:
    tree = UnitTree(
        published=frozenset(c for c, f in facts.items() if f.official is not None),
        local_codes=frozenset(c for c, f in facts.items() if f.unit_file is not None or f.dossier),
    )
    members = groups.members()
    main_of = {root: _main(codes, facts) for root, codes in members.items()}
    for root, codes in members.items():
        for c in codes:
            tree.index[c] = main_of[root]
    parents: dict[str, str | None] = {}
    for root, codes in members.items():
        parent = _parent(codes, facts, fixed)
        parent = tree.index.get(parent, parent) if parent is not None else None
        parents[main_of[root]] = None if parent == main_of[root] else parent
    tree.problems.extend(_cut_loops(parents))
    # kinds top-down: a name read with its parent's kind ('UBND thành phố X' under a province is a district)
    kinds: dict[str, UnitKind] = {}
    by_main = {main_of[root]: codes for root, codes in members.items()}

    def kind_of(main: str, depth: int = 0) -> UnitKind:
        if main in kinds:
            return kinds[main]
        codes = by_main[main]
        kind = _stated_kind(codes, facts, fixed)
        if kind is None:
            parent = parents[main]
            above = kind_of(parent, depth + 1) if parent in by_main and depth < 50 else None
            official, _ = _best(codes, facts)
            kind = kind_from_name(_name(codes, facts) or "", day=official.day if official else None,
                                  parent_kind=above) or UnitKind.AGENCY  # fmt: skip
        kinds[main] = kind
        return kind

    in_links = {c for pair in linked for c in pair}
    in_matches = {c for pair in matched for c in pair}
    puzzled = {c for a in ambiguous for c in (*a.official, *a.local)}
    for root, codes in members.items():
        main = main_of[root]
        official, local = _system(codes, facts)
        tree.units[main] = Unit(
            code=main,
            name=_name(codes, facts) or main,
            kind=kind_of(main),
            parent_code=parents[main],
            aliases=tuple(c for c in codes if c != main),
            official=official,
            local=local,
        )
        tree.states[main] = _state(codes, main, official, local, in_links, in_matches, puzzled, facts)
        for name in {r.name for c in codes for r in (facts[c].official, facts[c].unit_file, facts[c].seed) if r}:
            key = name_parts(name or "").key
            if key and main not in tree.names.setdefault(key, []):
                tree.names[key].append(main)
    for main, parent in parents.items():
        if parent is not None:
            tree.kids.setdefault(parent, []).append(main)
    for codes in tree.kids.values():
        codes.sort()
    tree.report = MatchReport(
        matched=matched,
        linked=linked,
        ambiguous=ambiguous,
        official_only=sorted(m for m, s in tree.states.items() if s is MatchState.OFFICIAL_ONLY),
        local_only=sorted(m for m, s in tree.states.items() if s is MatchState.LOCAL_ONLY),
    )
    return tree


def _state(
    codes: list[str],
    main: str,
    official: bool,
    local: bool,
    in_links: set[str],
    in_matches: set[str],
    puzzled: set[str],
    facts: Mapping[str, _Facts],
) -> MatchState:
    if not official and not local:
        return MatchState.REFERENCE
    if official and local:
        if any(c in in_links for c in codes):
            return MatchState.LINKED
        if any(c in in_matches for c in codes):
            return MatchState.MATCHED
        return MatchState.BOTH
    if main in puzzled:
        return MatchState.AMBIGUOUS
    return MatchState.OFFICIAL_ONLY if official else MatchState.LOCAL_ONLY


def _cut_loops(parents: dict[str, str | None]) -> list[str]:
    """Break every parent loop at the unit where it closes; say which (in Vietnamese)."""
    problems = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for start in sorted(parents):
        path: list[str] = []
        current: str | None = start
        while current is not None and current in parents and state.get(current) != 2:
            if state.get(current) == 1:
                loop = path[path.index(current) :]
                last = loop[-1]
                parents[last] = None
                problems.append(f"Đơn vị cha tạo vòng lặp ({' → '.join([*loop, current])}): bỏ đơn vị cha của {last}.")
                break
            state[current] = 1
            path.append(current)
            current = parents[current]
        for c in path:
            state[c] = 2
    return problems
