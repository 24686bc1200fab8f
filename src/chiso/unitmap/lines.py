"""The mapping lines in force: links between codes and overrides of kind or parent (tables ``unit_link``,
``unit_override``). Every line ever saved is kept; the newest per key is in force (a link's key is its pair of
codes in either order, an override's its code)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from chiso.domain.units import UnitKind
from chiso.domain.unittree import UnitLink, UnitOverride
from chiso.store.connection import Store

KEEP = object()  # an override field left as it is


@dataclass(frozen=True)
class LinkChange:
    code: str
    other: str
    same: bool | None  # None: back to automatic matching


@dataclass(frozen=True)
class OverrideChange:
    code: str
    kind: UnitKind | object | None = KEEP  # None clears the override, KEEP leaves it
    parent: str | object | None = KEEP


def _newest(rows: list[dict], key: object) -> dict:
    out: dict = {}
    for r in sorted(rows, key=lambda r: r["changed_at"]):
        out[key(r)] = r  # type: ignore[operator]
    return out


def links(store: Store) -> list[UnitLink]:
    rows = store.table("unit_link").to_pyarrow().to_pylist()
    newest = _newest(rows, lambda r: frozenset((r["code"], r["other"])))
    return [UnitLink(r["code"], r["other"], bool(r["same"])) for r in newest.values() if r["same"] is not None]


def overrides(store: Store) -> list[UnitOverride]:
    rows = store.table("unit_override").to_pyarrow().to_pylist()
    newest = _newest(rows, lambda r: r["unit_code"])
    return [
        UnitOverride(r["unit_code"], UnitKind(r["kind"]) if r["kind"] else None, r["parent_code"] or None)
        for r in newest.values()
        if r["kind"] or r["parent_code"]
    ]


def _merged(changes: Iterable[OverrideChange]) -> dict[str, tuple[object, object]]:
    out: dict[str, tuple[object, object]] = {}
    for c in changes:
        kind, parent = out.get(c.code, (KEEP, KEEP))
        out[c.code] = (kind if c.kind is KEEP else c.kind, parent if c.parent is KEEP else c.parent)
    return out


def save(
    store: Store, link_changes: Iterable[LinkChange], override_changes: Iterable[OverrideChange], *, by: str,
    source: str,
) -> tuple[int, int]:  # fmt: skip
    """Write the lines that change something (one transaction); returns (links, overrides) written."""
    now = datetime.now(UTC)
    in_force: dict[frozenset[str], bool | None] = {frozenset((x.code, x.other)): x.same for x in links(store)}
    last = {frozenset((c.code, c.other)): c for c in link_changes}  # within one save, the last line of a pair wins
    link_rows = [
        {"code": c.code, "other": c.other, "same": c.same, "changed_at": now, "changed_by": by, "source": source}
        for key, c in last.items()
        if in_force.get(key) != c.same
    ]
    current = {o.code: (o.kind, o.parent) for o in overrides(store)}
    override_rows = []
    for code, (kind_change, parent_change) in _merged(override_changes).items():
        kind, parent = current.get(code, (None, None))
        new = (kind if kind_change is KEEP else kind_change, parent if parent_change is KEEP else parent_change)
        if new != (kind, parent):
            override_rows.append({"unit_code": code, "kind": str(new[0]) if new[0] else None, "parent_code": new[1],
                                  "changed_at": now, "changed_by": by, "source": source})  # fmt: skip
    if link_rows or override_rows:
        with store.transaction():
            if link_rows:
                store.insert("unit_link", link_rows)
            if override_rows:
                store.insert("unit_override", override_rows)
    return len(link_rows), len(override_rows)
