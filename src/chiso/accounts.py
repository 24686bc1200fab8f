"""Web accounts: users with argon2-hashed passwords and a role, server-side sessions, the audit log, and the
sessions' signing key.

Stored in the workspace's store, in tables this module registers (``register_tables``) and the session tables of
``store/tables.py``. Rows are never updated: a change to a user (password, role, disabling) is a new version and
the newest one counts, as elsewhere in the store; a session is a row written at login, and its end (logout,
password change, disabling) another row. Roles (docs/web.md):

* ``admin``  — everything, including users and the audit log;
* ``staff``  — office staff: every unit, uploads, imports and letters;
* ``viewer`` — a unit head: their own unit and its sub-units only, read-only.
"""

from __future__ import annotations

import contextlib
import hashlib
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
from chiso.store.tables import TS, register_tables
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


@dataclass(frozen=True)
class Session:
    """A live server-side session: who, and when it began (epoch seconds). The cookie holds only its token."""

    session_id: str  # SHA-256 of the token: the store never holds a token that could be replayed
    username: str
    created_at: float


def _session_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _at(epoch: float | None) -> datetime:
    return datetime.fromtimestamp(epoch, UTC) if epoch is not None else datetime.now(UTC)


_HASHER = PasswordHasher()
# A hash to verify against when the user does not exist, so that timing does not reveal which names exist.
_DUMMY_HASH = _HASHER.hash("chiso-no-such-user")
MIN_PASSWORD = 8


def normalise_name(name: str) -> str:
    return unicodedata.normalize("NFC", name.strip()).lower()


def _printable(text: str | None) -> str | None:
    """Text for the log: control characters (a NUL byte breaks PostgreSQL's text) and lone surrogates shown as �."""
    if text is None or text.isprintable():
        return text
    return "".join(c if c.isprintable() or c in "\n\t" else "\ufffd" for c in text)


def _plain(name: str) -> bool:
    """A name the store can look up: no control characters (a NUL byte breaks PostgreSQL's text)."""
    return bool(name) and name.isprintable()


class Accounts:
    """Users, audit log and secrets over a workspace's store. Thread-safe for the web server's workers."""

    CACHE_SECONDS = 15.0  # users and sessions read again after this long (changes made here apply at once)
    CACHE_SESSIONS = 10_000  # remembered session look-ups (random tokens must not grow memory without end)
    VERIFIED_SECONDS = 60.0  # a verified password (HTTP Basic) is remembered this long, until the user changes

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        ws.store.ensure_tables()  # tables registered after the store was opened
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, tuple[User, str] | None]] = {}
        self._sessions: dict[str, tuple[float, Session | None]] = {}
        self._verified: dict[str, tuple[str, float]] = {}  # sha256(name, password) → (name, valid until)

    # -- users -------------------------------------------------------------------------------------------
    def _latest(self) -> list[dict[str, Any]]:
        with self._lock:
            t = self.ws.store.table("web_user")
            w = ibis.window(group_by=t.username, order_by=ibis.desc(t.changed_at))
            latest = t.mutate(_n=ibis.row_number().over(w)).filter(lambda x: x._n == 0).drop("_n")
            return latest.order_by("username").to_pyarrow().to_pylist()

    def _row(self, username: str) -> dict[str, Any] | None:
        if not _plain(username):
            return None
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
        if not name or any(c.isspace() for c in name) or not _plain(name):
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
            self._forget_verified(name)
        if previous is not None and (password is not None or not active):
            # a new password or a disabled account ends every session opened before (copied cookies included)
            self.end_sessions(name, reason="password" if active else "disabled")
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

    @staticmethod
    def _verified_key(username: str, password: str) -> str:
        text = f"{normalise_name(username)}\0{password}"
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def remembered(self, username: str, password: str) -> User | None:
        """The user if this name and password were verified less than ``VERIFIED_SECONDS`` ago and the user has
        not changed since (scripts using HTTP Basic send the password with every call; argon2 is slow by design)."""
        with self._lock:
            hit = self._verified.get(self._verified_key(username, password))
        if hit is None or hit[1] <= time.monotonic():
            return None
        return self.get(hit[0])  # still active, current role

    def check_password(self, username: str, password: str) -> User | None:
        """:meth:`authenticate`, remembering a success (see :meth:`remembered`)."""
        user = self.authenticate(username, password)
        if user is not None:
            with self._lock:
                if len(self._verified) >= self.CACHE_SESSIONS:
                    self._verified.clear()
                self._verified[self._verified_key(username, password)] = (
                    user.username, time.monotonic() + self.VERIFIED_SECONDS
                )  # fmt: skip
        return user

    def _forget_verified(self, name: str) -> None:
        for key in [k for k, (who, _) in self._verified.items() if who == name]:
            del self._verified[key]

    # -- sessions ------------------------------------------------------------------------------------------
    def open_session(self, username: str, *, at: float | None = None, client: str = "") -> str:
        """Record a new session for ``username``; returns its token (for the cookie; the store keeps its hash)."""
        token = secrets.token_urlsafe(32)
        row = {"session_id": _session_id(token), "username": normalise_name(username), "created_at": _at(at),
               "client": client}  # fmt: skip
        with self._lock:
            self.ws.store.insert("web_session", [row])
        return token

    def session(self, token: str) -> Session | None:
        """The session of ``token`` if it was opened and has not ended (expiry by time is the web's rule)."""
        sid = _session_id(token)
        now = time.monotonic()
        hit = self._sessions.get(sid)
        if hit is not None and now - hit[0] < self.CACHE_SECONDS:
            return hit[1]
        with self._lock:
            t = self.ws.store.table("web_session")
            rows = t.filter(t.session_id == sid).limit(1).to_pyarrow().to_pylist()
            found = None
            if rows:
                row = rows[0]
                e = self.ws.store.table("web_session_end")
                ended = e.filter(
                    (e.session_id == sid)
                    | (e.session_id.isnull() & (e.username == row["username"]) & (e.ended_at >= row["created_at"]))
                ).count().to_pyarrow().as_py()
                if not ended:
                    found = Session(sid, row["username"], row["created_at"].timestamp())
            if len(self._sessions) >= self.CACHE_SESSIONS:
                self._sessions.clear()
            self._sessions[sid] = (now, found)
        return found

    def end_session(self, token: str, *, reason: str = "logout", at: float | None = None) -> None:
        """End one session (logout, expiry): its token stops working, wherever the cookie was copied."""
        sid = _session_id(token)
        row = {"session_id": sid, "username": None, "ended_at": _at(at), "reason": reason}
        with self._lock:
            self.ws.store.insert("web_session_end", [row])
            self._sessions[sid] = (time.monotonic(), None)

    def end_sessions(self, username: str, *, reason: str) -> int:
        """End every session of ``username`` (a new password, a disabled account); returns how many were open."""
        name = normalise_name(username)
        with self._lock:
            t = self.ws.store.table("web_session")
            e = self.ws.store.table("web_session_end")
            ended = e.filter(e.session_id.notnull()).select("session_id")
            open_ = t.filter((t.username == name) & ~t.session_id.isin(ended.session_id)).select("session_id")
            ids = open_.to_pyarrow().column("session_id").to_pylist()
            now = datetime.now(UTC)
            rows = [{"session_id": sid, "username": name, "ended_at": now, "reason": reason} for sid in ids]
            # and a row for the user: a session another process opened between the look-up and this write ends too
            rows.append({"session_id": None, "username": name, "ended_at": now, "reason": reason})
            self.ws.store.insert("web_session_end", rows)
            for sid, (_, s) in list(self._sessions.items()):
                if s is not None and s.username == name:
                    del self._sessions[sid]
            for sid in ids:
                self._sessions.pop(sid, None)
        return len(ids)

    # -- audit log ---------------------------------------------------------------------------------------
    def audit(self, username: str | None, action: str, target: str = "", detail: str = "", client: str = "") -> None:
        """One line of the audit log (what a failed login typed as a name is kept, without control characters)."""
        row = {
            "at": datetime.now(UTC),
            "username": _printable(username),
            "action": action,
            "target": _printable(target),
            "detail": _printable(detail),
            "client": _printable(client),
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
