"""Sessions, login (with throttling) and CSRF.

* Sessions are kept server-side (``chiso.accounts``: a row per login, a row per end). The cookie (Starlette's
  SessionMiddleware, signed with itsdangerous) holds only the session's random token, its CSRF token and the
  last time it was used. Logging out, a new password or a disabled account ends the session in the store, so a
  copied cookie stops working. A session also expires after ``idle_minutes`` without use and ``max_hours`` after
  login (counted from the login time kept in the store), whatever the cookie says.
* Every POST form carries the session's CSRF token in a hidden field ``csrf``; API calls made with the session
  cookie send it in the ``X-CSRF-Token`` header. Scripts may use HTTP Basic authentication on ``/api/`` instead
  (no cookie, so no CSRF check).
* Failed logins slow further attempts from the same address and on the same account (``chiso.web.throttle``);
  nothing locks an account. Logins, failed logins, throttled attempts and logouts go to the audit log.
"""

from __future__ import annotations

import base64
import hmac
import math
import secrets
from dataclasses import dataclass

from fastapi import HTTPException, Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from chiso.accounts import User, normalise_name
from chiso.web.state import WebState
from chiso.web.throttle import Key

SESSION_ID = "sid"
SESSION_CSRF = "csrf"
SESSION_SEEN = "seen"
TOUCH_SECONDS = 60  # refresh 'seen' (and so the cookie) at most once a minute
DEVICE_COOKIE = "chiso_device"
DEVICE_DAYS = 90


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
    """A new server-side session for ``user``; the cookie gets its token (any earlier session of this browser
    is ended first)."""
    web = state_of(request)
    now = web.clock()
    old = request.session.get(SESSION_ID)
    if old:
        web.accounts.end_session(str(old), reason="login", at=now)
    token = web.accounts.open_session(user.username, at=now, client=client_of(request))
    request.session.clear()
    request.session.update({SESSION_ID: token, SESSION_SEEN: now, SESSION_CSRF: secrets.token_urlsafe(32)})


def end_session(request: Request, reason: str = "logout") -> str | None:
    """End this browser's session in the store and clear the cookie; returns the user name it had."""
    web = state_of(request)
    token = request.session.get(SESSION_ID)
    name = None
    if token:
        record = web.accounts.session(str(token))
        name = record.username if record else None
        web.accounts.end_session(str(token), reason=reason, at=web.clock())
    request.session.clear()
    return name


def session_user(request: Request) -> User | None:
    """The user of a live session; an ended or expired session is cleared (LoginRequiredError(expired=True))."""
    session = request.session
    token = session.get(SESSION_ID)
    if not token:
        if "user" in session:
            session.clear()  # a cookie of an older chiso, with a user name inside: log in again
        return None
    web = state_of(request)
    record = web.accounts.session(str(token))
    if record is None:  # logged out, password changed, account disabled
        session.clear()
        raise LoginRequiredError(expired=True)
    now = web.clock()
    seen = float(session.get(SESSION_SEEN, 0))
    if now - seen > web.options.idle_minutes * 60 or now - record.created_at > web.options.max_hours * 3600:
        web.accounts.end_session(str(token), reason="expired", at=now)
        session.clear()
        raise LoginRequiredError(expired=True)
    user = web.accounts.get(record.username)
    if user is None:  # disabled or removed since login
        session.clear()
        return None
    if now - seen > TOUCH_SECONDS:
        session[SESSION_SEEN] = now
    return user


# -- login and its throttle ------------------------------------------------------------------------------
@dataclass(frozen=True)
class LoginResult:
    user: User | None
    wait: float = 0.0  # > 0: refused without checking the password; try again after this many seconds

    @property
    def wait_seconds(self) -> int:
        return max(1, math.ceil(self.wait))

    @property
    def refusal(self) -> str:
        return f"Đăng nhập sai nhiều lần; hãy chờ {self.wait_seconds} giây rồi thử lại."


def _devices(web: WebState) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(web.accounts.secret("session"), salt="chiso-device")


def _device_key(request: Request, name: str) -> Key | None:
    """The trusted-device key when this browser has logged in as ``name`` before."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = _devices(state_of(request)).loads(raw, max_age=DEVICE_DAYS * 86400)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("u") != name or not isinstance(data.get("d"), str):
        return None
    return ("device", f"{data['d']}/{name}")


def remember_device(request: Request, response: Response, user: User) -> None:
    """After a successful login on the form: this browser becomes a trusted device for ``user``."""
    web = state_of(request)
    value = _devices(web).dumps({"u": user.username, "d": secrets.token_urlsafe(16)})
    response.set_cookie(
        DEVICE_COOKIE, value, max_age=DEVICE_DAYS * 86400, path="/login", httponly=True, samesite="lax",
        secure=web.options.secure_cookies,
    )  # fmt: skip


def try_login(request: Request, username: str, password: str, *, how: str = "") -> LoginResult:
    """Check a password under the throttle; failures, and the first refusal of each wait, are audited."""
    web = state_of(request)
    name = normalise_name(username)
    device = _device_key(request, name)
    keys: list[Key] = [device] if device else [("address", client_of(request)), ("account", name)]
    wait = web.throttle.wait(keys)
    if wait > 0:
        if web.throttle.first_refusal(keys):
            detail = f"chờ {math.ceil(wait)} giây" + (f"; {how}" if how else "")
            web.accounts.audit(username, "login_throttled", detail=detail, client=client_of(request))
        return LoginResult(None, wait)
    user = web.accounts.check_password(username, password)
    if user is None:
        web.throttle.failed(keys)
        web.accounts.audit(username, "login_failed", detail=how, client=client_of(request))
        return LoginResult(None)
    web.throttle.succeeded(keys)
    return LoginResult(user)


def basic_user(request: Request) -> User | None:
    """HTTP Basic credentials on an API call (429 while a throttle wait runs)."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        name, _, password = base64.b64decode(header[6:], validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    web = state_of(request)
    user = web.accounts.remembered(name, password)
    if user is not None:
        return user
    result = try_login(request, name, password, how="api basic")
    if result.wait:
        raise HTTPException(429, result.refusal, headers={"Retry-After": str(result.wait_seconds)})
    return result.user


# -- CSRF ------------------------------------------------------------------------------------------------
def csrf_token(request: Request) -> str:
    token = request.session.get(SESSION_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return str(token)


def check_csrf(request: Request, sent: str | None) -> None:
    expected = request.session.get(SESSION_CSRF)
    if not expected or not sent or not hmac.compare_digest(str(expected).encode(), str(sent).encode()):
        raise HTTPException(403, "Phiên làm việc không hợp lệ (mã CSRF sai hoặc thiếu); hãy tải lại trang và thử lại")
