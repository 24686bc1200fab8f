"""Who may see which unit. One rule, used by every page, API endpoint and export.

Administrators and office staff see every unit. A unit viewer sees their own unit and its descendants in the unit
tree (``chiso.domain.unittree``: province → agencies, districts and communes; the one-stop data's units below
them), under every code they have — the portal's and the one-stop system's — and nothing else: not the parent,
not the siblings, not the ranking rows of other units.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import HTTPException

from chiso.accounts import User
from chiso.domain.units import Unit
from chiso.domain.unittree import UnitTree
from chiso.errors import AmbiguousUnitError, UnknownUnitError


def scope_of(user: User, tree: UnitTree) -> frozenset[str] | None:
    """Every code ``user`` may see; None means every unit."""
    if user.whole_scope:
        return None
    if not user.unit:
        return frozenset()
    return tree.subtree_codes(user.unit)


def allowed(scope: frozenset[str] | None, unit: str) -> bool:
    """THE access rule: may a user of ``scope`` see ``unit`` (any of its codes: figures, dossiers, exports)?"""
    return scope is None or unit in scope


def require_unit(user: User, scope: frozenset[str] | None, text: str, tree: UnitTree) -> Unit:
    """The unit (any code, or its name) if ``user`` may see it: 403 outside their scope, 404 unknown."""
    try:
        node = tree.find(text)
    except AmbiguousUnitError as exc:
        mine = [c for c in exc.candidates if allowed(scope, c)]
        if len(mine) == 1:
            node = tree.get(mine[0])  # type: ignore[assignment]
        elif not mine:
            raise HTTPException(403, f"Tài khoản {user.username} không được xem số liệu của đơn vị {text}") from exc
        else:
            listed = "; ".join(f"{c} {tree.get(c).name}" for c in mine)  # type: ignore[union-attr]
            raise HTTPException(400, f"Có {len(mine)} đơn vị tên '{text}': {listed}. Hãy chọn theo mã.") from exc
    except UnknownUnitError as exc:
        if scope is not None:
            raise HTTPException(403, f"Tài khoản {user.username} không được xem số liệu của đơn vị {text}") from exc
        raise HTTPException(404, f"Không có đơn vị '{text}' trong kho") from exc
    if not allowed(scope, node.code):
        raise HTTPException(403, f"Tài khoản {user.username} không được xem số liệu của đơn vị {text}")
    return node


def visible(scope: frozenset[str] | None, codes: Iterable[str]) -> list[str]:
    """The codes among ``codes`` a user of ``scope`` may see, in order."""
    return [c for c in codes if allowed(scope, c)]


def require_writer(user: User) -> None:
    if not user.can_write:
        raise HTTPException(403, "Chỉ cán bộ văn phòng và quản trị viên được thực hiện thao tác này")


def require_admin(user: User) -> None:
    if user.role != "admin":
        raise HTTPException(403, "Chỉ quản trị viên được xem trang này")


def home_unit(user: User, tree: UnitTree, default: str | None = None) -> str | None:
    """The unit a user's pages open on: their own, else the configured one, else the first province with units."""
    own = tree.get(user.unit) if user.unit else None
    if own is not None:
        return own.code
    if not user.whole_scope:
        return None
    if default:
        try:
            return tree.find(default).code  # `chiso serve --home` takes any code or a name
        except UnknownUnitError:
            pass
    roots = tree.roots_with_children()
    return roots[0].code if roots else None
