"""The application factory: middleware, static files (our CSS and JS, plotly.min.js from the plotly package),
routers, the API documentation behind the login (``apidocs``) and the error handlers that turn errors into
Vietnamese pages or JSON (``errors``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import plotly
from fastapi import Depends, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chiso import __version__
from chiso.web import apidocs, errors, routes_api, routes_notify, routes_pages, routes_units
from chiso.web.state import WebOptions, WebState

HERE = Path(__file__).parent
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)

DESCRIPTION = """
API của chiso: xếp hạng, kết quả, giải thích điểm bị mất, hồ sơ phía sau từng con số, hồ sơ sắp đến hạn,
tải lên dữ liệu, tạo công văn. Số liệu giống hệt đầu ra `--format json` của dòng lệnh.

Xác thực: cookie phiên sau khi đăng nhập ở /login (gửi kèm tiêu đề `X-CSRF-Token` cho các lệnh POST), hoặc
HTTP Basic cho các chương trình. Người dùng xem theo đơn vị chỉ thấy đơn vị mình và các đơn vị trực thuộc.
"""


def create_app(options: WebOptions | None = None) -> FastAPI:
    """A new application over the store named in ``options`` (default: the settings' store)."""
    options = options or WebOptions()
    web = WebState(options)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        web.close()

    app = FastAPI(
        title="chiso — Bộ chỉ số phục vụ người dân, doanh nghiệp",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # /docs and the schema need a login: chiso.web.apidocs serves them
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(errors.refuse_nul)],
    )
    app.state.web = web
    app.add_middleware(
        SessionMiddleware,
        secret_key=web.accounts.secret("session"),
        session_cookie="chiso_session",
        max_age=int(options.max_hours * 3600),
        same_site="lax",
        https_only=options.secure_cookies,
    )

    app.add_middleware(SecurityHeaders)

    app.mount("/static/app", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        """Plotly from the installed package: charts work on an office network without internet."""
        return FileResponse(PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})

    app.include_router(routes_api.router)
    app.include_router(routes_pages.router)
    app.include_router(routes_notify.router)
    app.include_router(routes_units.router)
    apidocs.install(app)
    errors.install(app)
    return app


class SecurityHeaders:
    """CSP and friends on every answer; no-store on everything but the static files: every page and API answer may
    carry figures, and a shared office computer must not keep them (a plain ASGI middleware: cheaper than
    @middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if not path.startswith("/docs"):  # Swagger UI needs its inline script
                    headers.setdefault("Content-Security-Policy", CSP)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("X-Frame-Options", "DENY")
                if not path.startswith("/static/"):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)

