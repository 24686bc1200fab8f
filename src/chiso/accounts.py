"""Web accounts: users with argon2-hashed passwords and a role, the audit log, and the sessions' signing key.

Stored in the workspace's store, in tables this module registers (``register_tables``). Rows are never updated:
a change to a user (password, role, disabling) is a new version and the newest one counts, as elsewhere in the
store. Roles (docs/web.md):

* ``admin``  — everything, including users and the audit log;
* ``staff``  — office staff: every unit, uploads, imports and letters;
* ``viewer`` — a unit head: their own unit and its sub-units only, read-only.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import ibis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from chiso.errors import ChisoError
from chiso.store.tables import TS, ensure_tables, register_tables
from chiso.workspace import Workspace

register_tables(
    {
        "web_user": ibis.schema(
            {
                "username": "string",
                "password_hash": "string",
                "role": "string",
                "unit_code": "string",
                "display_name": "string",
                "active": "boolean",
                "changed_at": TS,
                "changed_by": "string",
            }
        ),
        "web_audit": ibis.schema(
            {
                "at": TS,
                "username": "string",
                "action": "string",  # login | login_failed | logout | upload | import | letter | user
                "target": "string",  # unit code, file name, user name
                "detail": "string",
                "client": "string",  # remote address
            }
        ),
        "web_secret": ibis.schema({"name": "string", "value": "string", "created_at": TS}),
    }
)


class Role(StrEnum):
    ADMIN = "admin"
    STAFF = "staff"
    VIEWER = "viewer"

    @property
    def label(self) -> str:
        return {Role.ADMIN: "quản trị", Role.STAFF: "cán bộ văn phòng", Role.VIEWER: "xem theo đơn vị"}[self]


@dataclass(frozen=True)
class User:
    username: str
    role: Role
    unit: str | None  # viewers: the unit whose subtree they see; others: the unit their pages open on
    display_name: str = ""
    active: bool = True

    @property
    def whole_scope(self) -> bool:
        """Administrators and office staff see every unit; viewers see their subtree."""
        return self.role in (Role.ADMIN, Role.STAFF)

    @property
    def can_write(self) -> bool:
        """Upload files, import results, generate letters."""
        return self.role in (Role.ADMIN, Role.STAFF)


_HASHER = PasswordHasher()
# A hash to verify against when the user does not exist, so that timing does not reveal which names exist.
_DUMMY_HASH = _HASHER.hash("chiso-no-such-user")
MIN_PASSWORD = 8


def normalise_name(name: str) -> str:
    return unicodedata.normalize("NFC", name.strip()).lower()


class Accounts:
    """Users, audit log and secrets over a workspace's store. Thread-safe for the web server's workers."""

    CACHE_SECONDS = 15.0

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        ensure_tables(ws.store.con)  # tables registered after the store was opened
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, tuple[User, str] | None]] = {}

    # -- users -------------------------------------------------------------------------------------------
    def _latest(self) -> list[dict[str, Any]]:
        with self._lock:
            t = self.ws.store.table("web_user")
            w = ibis.window(group_by=t.username, order_by=ibis.desc(t.changed_at))
            latest = t.mutate(_n=ibis.row_number().over(w)).filter(lambda x: x._n == 0).drop("_n")
            return latest.order_by("username").to_pyarrow().to_pylist()

    def _row(self, username: str) -> dict[str, Any] | None:
        with self._lock:
            t = self.ws.store.table("web_user")
            rows = (
                t.filter(t.username == username).order_by(ibis.desc(t.changed_at)).limit(1).to_pyarrow().to_pylist()
            )
        return rows[0] if rows else None

    @staticmethod
    def _user(row: dict[str, Any]) -> User:
        return User(row["username"], Role(row["role"]), row["unit_code"], row["display_name"] or "", row["active"])

    def users(self) -> list[User]:
        return [self._user(r) for r in self._latest()]

    def get(self, username: str) -> User | None:
        """The active user of this name, or None (cached briefly: read on every web request)."""
        name = normalise_name(username)
        now = time.monotonic()
        hit = self._cache.get(name)
        if hit is not None and now - hit[0] < self.CACHE_SECONDS:
            return hit[1][0] if hit[1] and hit[1][0].active else None
        row = self._row(name)
        entry = (self._user(row), row["password_hash"]) if row else None
        self._cache[name] = (now, entry)
        return entry[0] if entry and entry[0].active else None

    def save(
        self,
        username: str,
        *,
        role: str,
        unit: str | None = None,
        password: str | None = None,
        display_name: str = "",
        active: bool = True,
        by: str = "cli",
    ) -> User:
        """Add a user or write a new version of one (a new password, role, unit or ``active`` flag)."""
        name = normalise_name(username)
        if not name or any(c.isspace() for c in name):
            raise ChisoError(f"Tên đăng nhập không hợp lệ: '{username}'", hint="Dùng một từ, không có dấu cách.")
        try:
            role_ = Role(role)
        except ValueError as exc:
            raise ChisoError(f"Vai trò không hợp lệ: {role}", hint="Chọn admin, staff hoặc viewer.") from exc
        if role_ is Role.VIEWER and not unit:
            raise ChisoError("Người dùng xem theo đơn vị cần mã đơn vị", hint="Thêm --unit MÃ (ví dụ --unit H21.227).")
        if unit:
            with self._lock:
                found = self.ws.find_unit(unit)  # any code or a name; UnknownUnitError for an unknown one
            unit = unit.strip() if unit.strip() in found.codes else found.code  # a name is kept as the main code
        previous = self._row(name)
        if password is None:
            if previous is None:
                raise ChisoError("Người dùng mới cần mật khẩu")
            hashed = previous["password_hash"]
        else:
            if len(password) < MIN_PASSWORD:
                raise ChisoError(f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự")
            hashed = _HASHER.hash(password)
        row = {
            "username": name,
            "password_hash": hashed,
            "role": str(role_),
            "unit_code": unit or None,  # viewers: their scope; staff and admins: the unit their pages open on
            "display_name": display_name or (previous or {}).get("display_name") or "",
            "active": active,
            "changed_at": datetime.now(UTC),
            "changed_by": by,
        }
        with self._lock:
            self.ws.store.insert("web_user", [row])
            self._cache.pop(name, None)
        return self._user(row)

    def authenticate(self, username: str, password: str) -> User | None:
        """The user if the password matches and the account is active; rehashes outdated hashes."""
        name = normalise_name(username)
        row = self._row(name)
        if row is None or not row["active"]:
            with contextlib.suppress(VerificationError):
                _HASHER.verify(_DUMMY_HASH, password)
            return None
        try:
            _HASHER.verify(row["password_hash"], password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        user = self._user(row)
        if _HASHER.check_needs_rehash(row["password_hash"]):
            self.save(name, role=user.role, unit=user.unit, password=password, by="rehash")
        return user

    # -- audit log ---------------------------------------------------------------------------------------
    def audit(self, username: str | None, action: str, target: str = "", detail: str = "", client: str = "") -> None:
        row = {
            "at": datetime.now(UTC),
            "username": username,
            "action": action,
            "target": target,
            "detail": detail,
            "client": client,
        }
        with self._lock:
            self.ws.store.insert("web_audit", [row])

    def audit_log(self, *, limit: int = 200, action: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            t = self.ws.store.table("web_audit")
            if action:
                t = t.filter(t.action == action)
            return t.order_by(ibis.desc(t.at)).limit(limit).to_pyarrow().to_pylist()

    # -- secrets -----------------------------------------------------------------------------------------
    def secret(self, name: str = "session") -> str:
        """A random key kept in the store (created once), so that sessions survive a restart."""
        t = self.ws.store.table("web_secret")
        with self._lock:
            rows = t.filter(t.name == name).order_by(t.created_at).limit(1).to_pyarrow().to_pylist()
            if rows:
                return rows[0]["value"]
            value = secrets.token_urlsafe(48)
            self.ws.store.insert("web_secret", [{"name": name, "value": value, "created_at": datetime.now(UTC)}])
            return value
