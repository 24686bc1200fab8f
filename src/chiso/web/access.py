"""Who may see which unit. One rule, used by every page, API endpoint and export.

Administrators and office staff see every unit. A unit viewer sees their own unit and its descendants (the
unit tree of the store: province → agencies and communes; dossier-level units below them once ingested), and
nothing else: not the parent, not the siblings, not the ranking rows of other units.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from fastapi import HTTPException

from chiso.accounts import User
from chiso.domain.codes import NATIONAL
from chiso.workspace import UnitInfo

UnitNode = UnitInfo  # a unit of the tree: code, name, kind, parent


@dataclass
class UnitTree:
    nodes: dict[str, UnitNode]
    kids: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, rows: Iterable[dict]) -> UnitTree:
        nodes = {
            r["unit_code"]: UnitNode(r["unit_code"], r["unit_name"] or r["unit_code"], r["kind"], r["parent_code"])
            for r in rows
        }
        kids: dict[str, list[str]] = {}
        for n in nodes.values():
            if n.parent is not None:
                kids.setdefault(n.parent, []).append(n.code)
        for codes in kids.values():
            codes.sort()
        return cls(nodes, kids)

    def get(self, code: str) -> UnitNode | None:
        return self.nodes.get(code)

    def children(self, code: str) -> list[UnitNode]:
        return [self.nodes[c] for c in self.kids.get(code, []) if c in self.nodes]

    def subtree(self, code: str) -> frozenset[str]:
        """``code`` and every unit below it."""
        seen = {code}
        todo = [code]
        while todo:
            for child in self.kids.get(todo.pop(), []):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        return frozenset(seen)

    def ancestors(self, code: str) -> list[str]:
        out = []
        node = self.nodes.get(code)
        while node is not None and node.parent is not None and node.parent not in out:
            out.append(node.parent)
            node = self.nodes.get(node.parent)
        return out

    def roots_with_children(self) -> list[UnitNode]:
        """Units that have sub-units below them, provinces first (the choices of a 'home' unit)."""
        out = [self.nodes[c] for c in self.kids if c in self.nodes and c != NATIONAL]
        return sorted(out, key=lambda n: (n.kind != "province", n.code))


def scope_of(user: User, tree: UnitTree) -> frozenset[str] | None:
    """The units ``user`` may see; None means every unit."""
    if user.whole_scope:
        return None
    if not user.unit:
        return frozenset()
    return tree.subtree(user.unit)


def allowed(user: User, unit: str, tree: UnitTree) -> bool:
    """THE access rule: may ``user`` see ``unit`` (its figures, dossiers and exports)?"""
    scope = scope_of(user, tree)
    return scope is None or unit in scope


def require_unit(user: User, unit: str, tree: UnitTree) -> UnitNode:
    """The unit if ``user`` may see it; 404 for a unit the store does not know, 403 outside their scope."""
    if not allowed(user, unit, tree):
        raise HTTPException(403, f"Tài khoản {user.username} không được xem số liệu của đơn vị {unit}")
    node = tree.get(unit)
    if node is None:
        raise HTTPException(404, f"Không có đơn vị mã {unit} trong kho")
    return node


def visible(user: User, codes: Iterable[str], tree: UnitTree) -> list[str]:
    """The codes among ``codes`` that ``user`` may see, in order."""
    return [c for c in codes if allowed(user, c, tree)]


def require_writer(user: User) -> None:
    if not user.can_write:
        raise HTTPException(403, "Chỉ cán bộ văn phòng và quản trị viên được thực hiện thao tác này")


def require_admin(user: User) -> None:
    if user.role != "admin":
        raise HTTPException(403, "Chỉ quản trị viên được xem trang này")


def home_unit(user: User, tree: UnitTree, default: str | None = None) -> str | None:
    """The unit a user's pages open on: their own, else the configured one, else the first province with units."""
    if user.unit and user.unit in tree.nodes:
        return user.unit
    if not user.whole_scope:
        return None
    if default and default in tree.nodes:
        return default
    roots = tree.roots_with_children()
    return roots[0].code if roots else None
