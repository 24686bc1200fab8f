"""The request context every page and API endpoint receives: the user, their workspace and the unit tree.

``Ctx.unit(code)`` is how a handler reaches a unit: it applies the one access rule of ``chiso.web.access``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from fastapi import HTTPException, Request

from chiso.accounts import User
from chiso.domain.units import Unit
from chiso.domain.unittree import UnitTree
from chiso.web import access
from chiso.web.auth import LoginRequiredError, basic_user, check_csrf, session_user, state_of
from chiso.web.state import WebState
from chiso.workspace import Workspace


@dataclass
class Ctx:
    request: Request
    web: WebState
    user: User
    via_basic: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def ws(self) -> Workspace:
        return self.web.ws()

    @cached_property
    def tree(self) -> UnitTree:
        return self.web.cached(("tree",), self.ws.unit_tree)

    @cached_property
    def scope(self) -> frozenset[str] | None:
        """Every code this user may see (None: all)."""
        return access.scope_of(self.user, self.tree)

    def unit(self, code: str) -> Unit:
        """The unit of any code or name, if this user may see it (403 outside their scope, 404 unknown)."""
        return access.require_unit(self.user, self.scope, code.strip(), self.tree)

    def allowed(self, code: str) -> bool:
        return access.allowed(self.scope, code)

    def visible(self, codes: Iterable[str]) -> list[str]:
        return access.visible(self.scope, codes)

    @property
    def home(self) -> str | None:
        return access.home_unit(self.user, self.tree, self.web.options.home)

    def require_writer(self) -> None:
        access.require_writer(self.user)

    def require_admin(self) -> None:
        access.require_admin(self.user)

    def audit(self, action: str, target: str = "", detail: str = "") -> None:
        client = self.request.client.host if self.request.client else ""
        self.web.accounts.audit(self.user.username, action, target, detail, client)


def page_ctx(request: Request) -> Ctx:
    """Dependency of pages: a logged-in user, else a redirect to the login form."""
    user = session_user(request)
    if user is None:
        raise LoginRequiredError()
    return Ctx(request, state_of(request), user)


def api_ctx(request: Request) -> Ctx:
    """Dependency of the API: the session's user, or HTTP Basic credentials; 401 otherwise."""
    try:
        user = session_user(request)
    except LoginRequiredError:
        user = None
    via_basic = False
    if user is None:
        user = basic_user(request)
        via_basic = user is not None
    if user is None:
        raise HTTPException(401, "Cần đăng nhập", headers={"WWW-Authenticate": 'Basic realm="chiso"'})
    return Ctx(request, state_of(request), user, via_basic=via_basic)


def api_write_ctx(request: Request) -> Ctx:
    """Dependency of API calls that change data: a writer; with a session cookie, the X-CSRF-Token header."""
    ctx = api_ctx(request)
    if not ctx.via_basic:
        check_csrf(request, request.headers.get("x-csrf-token"))
    ctx.require_writer()
    return ctx
