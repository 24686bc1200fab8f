"""Jinja2 templates and the filters they use (Vietnamese numbers and times)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.responses import Response

from chiso.domain.periods import Period
from chiso.domain.times import vn_time
from chiso.domain.units import UnitKind
from chiso.formatting import integer, nfc, number, percent, signed
from chiso.web.auth import csrf_token

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
env = templates.env
env.autoescape = True
env.trim_blocks = True
env.lstrip_blocks = True
# Imported names are not always NFC (some portal exports are decomposed); pages always are.
env.finalize = lambda value: nfc(value) if isinstance(value, str) else value


def _num(value: Any, places: int = 2) -> str:
    return number(value, places) if value is not None else "—"


def _int(value: Any) -> str:
    if value is None:
        return "—"
    try:
        return integer(int(value))
    except (TypeError, ValueError):
        return str(value)


def _pct(value: Any) -> str:
    return percent(value) if value is not None else "—"


def _signed(value: Any, places: int = 2) -> str:
    return signed(Decimal(value), places) if value is not None else ""


def _period(value: str | None) -> str:
    if not value:
        return ""
    try:
        return Period.parse(value).label
    except Exception:  # an odd stored key: show it as it is
        return value


def _time(value: datetime | str | None) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return vn_time(value)


def _kind(value: str | None) -> str:
    return UnitKind(value).label if value in UnitKind._value2member_map_ else (value or "")


def _jsonscript(text: str) -> Markup:
    """JSON inside <script type="application/json">: '<' escaped so that no text can close the element."""
    return Markup(str(text).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


env.filters.update(
    jsonscript=_jsonscript, num=_num, int=_int, pct=_pct, signed=_signed, period=_period, vntime=_time, kind=_kind
)


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """Render a page with the user, the CSRF token and the navigation in its context."""
    ctx = context.get("ctx")
    base = {
        "user": ctx.user if ctx is not None else None,
        "csrf": csrf_token(request) if "session" in request.scope else "",
        "path": request.url.path,
    }
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)
