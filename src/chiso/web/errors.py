"""Errors as the user meets them: a Vietnamese page, or JSON ``{"error", "status", "hint", "detail"}`` on the API.

* a bad parameter (wrong type, out of range, not one of the choices, a NUL byte) answers **400** with what is
  wrong in Vietnamese — never FastAPI's English 422;
* errors of chiso (``ChisoError``) keep their message and hint (404 for an unknown unit or missing data);
* anything unexpected answers 500 with one Vietnamese sentence; the traceback goes to the server's log only.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from chiso.errors import ChisoError, NoDataError, UnknownUnitError
from chiso.web.auth import LoginRequiredError
from chiso.web.templating import render

log = logging.getLogger("chiso.web")

BAD_PARAMETER = "Tham số không hợp lệ"
UNEXPECTED = "Lỗi không mong muốn: thao tác chưa thực hiện được. Hãy thử lại; nếu vẫn lỗi, báo quản trị viên."
NUL_REFUSED = "Địa chỉ hoặc tham số chứa ký tự NUL (mã 0): không hợp lệ."
# What pydantic found, in Vietnamese ({…} are the limits pydantic reports in the error's context).
REASONS = {
    "missing": "bị thiếu",
    "int_parsing": "cần một số nguyên",
    "int_from_float": "cần một số nguyên",
    "int_type": "cần một số nguyên",
    "float_parsing": "cần một số",
    "float_type": "cần một số",
    "finite_number": "cần một số hữu hạn",
    "decimal_parsing": "cần một số",
    "decimal_type": "cần một số",
    "decimal_max_digits": "có quá nhiều chữ số",
    "decimal_whole_digits": "có quá nhiều chữ số",
    "bool_parsing": "cần true hoặc false",
    "bool_type": "cần true hoặc false",
    "greater_than": "cần lớn hơn {gt}",
    "greater_than_equal": "cần từ {ge} trở lên",
    "less_than": "cần nhỏ hơn {lt}",
    "less_than_equal": "cần không quá {le}",
    "string_pattern_mismatch": "chỉ nhận {choices}",
    "string_too_long": "dài quá {max_length} ký tự",
    "string_too_short": "cần ít nhất {min_length} ký tự",
    "string_type": "cần một chuỗi ký tự",
    "list_type": "cần một danh sách",
    "value_error": "không hợp lệ",
}
PLACES = {"query": "tham số", "path": "đường dẫn", "body": "dữ liệu gửi lên", "header": "tiêu đề", "cookie": "cookie"}


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(
    request: Request, status: int, message: str, hint: str | None = None, detail: str | None = None
) -> Response:
    if is_api(request):
        body = {"error": message, "status": status, "hint": hint, "detail": detail}
        return JSONResponse(body, status_code=status)
    return render(request, "error.html", {"status": status, "message": message, "hint": hint}, status_code=status)


def _choices(pattern: str) -> str:
    found = re.fullmatch(r"\^\(([\w|]+)\)\$", pattern)
    return " hoặc ".join(found.group(1).split("|")) if found else f"giá trị theo mẫu {pattern}"


def problem(error: dict[str, Any]) -> str:
    """One pydantic error as a Vietnamese phrase: "tham số page cần không quá 100000"."""
    loc = [str(x) for x in error.get("loc", ())]
    place = PLACES.get(loc[0], "") if loc else ""
    name = ".".join(loc[1:]) if len(loc) > 1 else ".".join(loc)
    ctx = dict(error.get("ctx") or {})
    if "pattern" in ctx:
        ctx["choices"] = _choices(str(ctx["pattern"]))
    template = REASONS.get(str(error.get("type")), "không hợp lệ")
    try:
        reason = template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        reason = "không hợp lệ"
    return f"{place} {name} {reason}".strip()


def refuse_nul(request: Request) -> None:
    """A dependency of every route: a NUL byte in the path or a query parameter is a bad request (PostgreSQL
    cannot hold it, and no code or name contains it)."""
    if "\x00" in request.url.path or any("\x00" in k or "\x00" in v for k, v in request.query_params.multi_items()):
        raise HTTPException(400, NUL_REFUSED)


def install(app: FastAPI) -> None:
    @app.exception_handler(LoginRequiredError)
    async def login_required(request: Request, exc: LoginRequiredError) -> Response:
        if is_api(request):
            return JSONResponse({"error": "Cần đăng nhập", "status": 401}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}" + ("&expired=1" if exc.expired else ""), 303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = {"Not Found": "Không tìm thấy trang này", "Method Not Allowed": "Không hỗ trợ thao tác này"}.get(
            str(exc.detail), str(exc.detail)
        )
        response = error_response(request, exc.status_code, message)
        for k, v in (exc.headers or {}).items():
            response.headers[k] = v
        return response

    @app.exception_handler(ChisoError)
    async def chiso_error(request: Request, exc: ChisoError) -> Response:
        status = 404 if isinstance(exc, UnknownUnitError | NoDataError) else 400
        return error_response(request, status, exc.message, exc.hint, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        problems = [problem(e) for e in exc.errors()]
        message = f"{BAD_PARAMETER}: {problems[0]}" if problems else BAD_PARAMETER
        return error_response(request, 400, message, detail="; ".join(problems) or None)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        response = error_response(request, 500, UNEXPECTED)
        response.headers["Cache-Control"] = "no-store"  # answered outside the headers middleware
        return response
