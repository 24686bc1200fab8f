"""Sessions, login and CSRF.

* Sessions are signed cookies (Starlette's SessionMiddleware, itsdangerous). The session holds the user name,
  the login time, the last time it was used and a CSRF token; it expires after ``idle_minutes`` without use
  and ``max_hours`` after login, whatever the cookie says.
* Every POST form carries the session's CSRF token in a hidden field ``csrf``; API calls made with the session
  cookie send it in the ``X-CSRF-Token`` header. Scripts may use HTTP Basic authentication on ``/api/`` instead
  (no cookie, so no CSRF check).
* Logins, failed logins and logouts go to the audit log. Five failed attempts for one name lock it for a minute.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from fastapi import HTTPException, Request

from chiso.accounts import User
from chiso.web.state import WebState

SESSION_USER = "user"
SESSION_CSRF = "csrf"
SESSION_LOGIN = "login_at"
SESSION_SEEN = "seen"
TOUCH_SECONDS = 60  # refresh 'seen' (and so the cookie) at most once a minute
LOCK_AFTER = 5
LOCK_SECONDS = 60


class LoginRequiredError(Exception):
    """Raised by a page that needs a user; pages redirect to the login form, the API answers 401."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("login required")
        self.expired = expired


def state_of(request: Request) -> WebState:
    return request.app.state.web  # type: ignore[no-any-return]


def client_of(request: Request) -> str:
    return request.client.host if request.client else ""


# -- sessions ------------------------------------------------------------------------------------------------
def start_session(request: Request, user: User) -> None:
    now = state_of(request).clock()
    request.session.clear()
    request.session.update(
        {SESSION_USER: user.username, SESSION_LOGIN: now, SESSION_SEEN: now, SESSION_CSRF: secrets.token_urlsafe(32)}
    )


def session_user(request: Request) -> User | None:
    """The user of a live session; an expired session is cleared (LoginRequiredError(expired=True) when it was)."""
    session = request.session
    name = session.get(SESSION_USER)
    if not name:
        return None
    web = state_of(request)
    now = web.clock()
    login_at = float(session.get(SESSION_LOGIN, 0))
    seen = float(session.get(SESSION_SEEN, 0))
    if now - seen > web.options.idle_minutes * 60 or now - login_at > web.options.max_hours * 3600:
        session.clear()
        raise LoginRequiredError(expired=True)
    user = web.accounts.get(name)
    if user is None:  # disabled or removed since login
        session.clear()
        return None
    if now - seen > TOUCH_SECONDS:
        session[SESSION_SEEN] = now
    return user


def basic_user(request: Request) -> User | None:
    """HTTP Basic credentials on an API call (verified argon2 hashes are remembered for a minute)."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        name, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    key = hashlib.sha256(f"{name}\0{password}".encode()).hexdigest()
    now = time.monotonic()
    web = state_of(request)
    with web.memory_lock:
        hit = web.basic_cache.get(key)
    if hit is not None and hit[1] > now:
        return web.accounts.get(hit[0].username)  # still active, current role
    if locked(web, name):
        return None
    user = web.accounts.authenticate(name, password)
    if user is None:
        note_failure(web, name)
        web.accounts.audit(name, "login_failed", detail="api basic", client=client_of(request))
        return None
    with web.memory_lock:
        web.basic_cache[key] = (user, now + 60)
    return user


# -- CSRF ------------------------------------------------------------------------------------------------
def csrf_token(request: Request) -> str:
    token = request.session.get(SESSION_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return str(token)


def check_csrf(request: Request, sent: str | None) -> None:
    expected = request.session.get(SESSION_CSRF)
    if not expected or not sent or not hmac.compare_digest(str(expected), str(sent)):
        raise HTTPException(403, "Phiên làm việc không hợp lệ (mã CSRF sai hoặc thiếu); hãy tải lại trang và thử lại")


# -- failed logins ---------------------------------------------------------------------------------------
def note_failure(web: WebState, name: str) -> None:
    now = time.monotonic()
    with web.memory_lock:
        recent = [t for t in web.failures.get(name.lower(), []) if now - t < LOCK_SECONDS]
        recent.append(now)
        web.failures[name.lower()] = recent


def locked(web: WebState, name: str) -> bool:
    now = time.monotonic()
    with web.memory_lock:
        recent = [t for t in web.failures.get(name.lower(), []) if now - t < LOCK_SECONDS]
    return len(recent) >= LOCK_AFTER


def clear_failures(web: WebState, name: str) -> None:
    with web.memory_lock:
        web.failures.pop(name.lower(), None)
