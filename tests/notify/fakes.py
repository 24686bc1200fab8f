"""Local fakes of the notification channels, listening on 127.0.0.1 only.

* ``Providers``: one ASGI application (Starlette, served by uvicorn on a random port) that plays the Telegram Bot
  API, the Zalo OA message and OAuth APIs and a webhook receiver. It records what it receives and answers from a
  queue of scripted failures, then as the real services do.
* ``SmtpServer``: aiosmtpd with optional STARTTLS / implicit TLS (trustme certificates) and login.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TELEGRAM_TOKEN = "765432:AAH-fake-telegram-token-XYZ"
ZALO_TOKEN = "zalo-access-token-0123456789abcdef"
ZALO_SECRET = "zalo-app-secret-key-987654"
ZALO_REFRESH = "zalo-refresh-token-aaaa1111"
WEBHOOK_SECRET = "webhook-shared-secret-42"
SMTP_PASSWORD = "smtp-pass-word-31415"
UNKNOWN_CHAT = "404404"
UNFOLLOWED_ZALO = "1111100000"


@dataclass
class Received:
    service: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any = None
    form: dict[str, Any] = field(default_factory=dict)


class Providers:
    """The fake services' state: what arrived, and the failures to answer next."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.fail: dict[str, list[tuple[int, dict[str, Any]]]] = {}  # service → scripted answers, first first
        self.zalo_token = ZALO_TOKEN
        self.zalo_refresh = ZALO_REFRESH
        self.app = Starlette(routes=[
            Route("/bot{token}/{method}", self.telegram, methods=["POST"]),
            Route("/v3.0/oa/message/{kind}", self.zalo, methods=["POST"]),
            Route("/v4/oa/access_token", self.zalo_oauth, methods=["POST"]),
            Route("/hook/{name}", self.webhook, methods=["POST"]),
        ])  # fmt: skip

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
            self.fail.clear()
            self.zalo_token, self.zalo_refresh = ZALO_TOKEN, ZALO_REFRESH

    def script(self, service: str, *answers: tuple[int, dict[str, Any]]) -> None:
        with self.lock:
            self.fail.setdefault(service, []).extend(answers)

    def of(self, service: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.service == service]

    def _scripted(self, service: str) -> JSONResponse | None:
        with self.lock:
            queue = self.fail.get(service)
            if queue:
                status, body = queue.pop(0)
                return JSONResponse(body, status_code=status)
        return None

    async def _record(self, service: str, request: Request) -> Received:
        body = await request.body()
        rec = Received(service, request.url.path, {k.lower(): v for k, v in request.headers.items()}, body)
        kind = request.headers.get("content-type", "")
        if kind.startswith("application/json"):
            rec.json = json.loads(body)
        elif kind.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
            form = await request.form()
            rec.form = {k: (v.filename if hasattr(v, "filename") else v) for k, v in form.multi_items()}
        with self.lock:
            self.received.append(rec)
        return rec

    async def telegram(self, request: Request) -> Response:
        token = request.path_params["token"]
        if token != TELEGRAM_TOKEN:
            return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401)
        scripted = self._scripted(f"telegram:{request.path_params['method']}") or self._scripted("telegram")
        if scripted is not None:
            return scripted
        rec = await self._record("telegram", request)
        chat = str((rec.json or rec.form).get("chat_id"))
        if chat == UNKNOWN_CHAT:
            return JSONResponse({"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}, 400)
        return JSONResponse({"ok": True, "result": {"message_id": len(self.of("telegram")), "chat": {"id": chat}}})

    async def zalo(self, request: Request) -> Response:
        if request.headers.get("access_token") != self.zalo_token:
            return JSONResponse({"error": -216, "message": "Access token is invalid"})
        scripted = self._scripted("zalo")
        if scripted is not None:
            return scripted
        rec = await self._record("zalo", request)
        if rec.json["recipient"]["user_id"] == UNFOLLOWED_ZALO:
            return JSONResponse({"error": -213, "message": "User has not followed OA"})
        return JSONResponse({"error": 0, "message": "Success", "data": {"message_id": f"z{len(self.of('zalo'))}"}})

    async def zalo_oauth(self, request: Request) -> Response:
        rec = await self._record("zalo-oauth", request)
        if request.headers.get("secret_key") != ZALO_SECRET or rec.form.get("refresh_token") != self.zalo_refresh:
            return JSONResponse({"error": -14014, "error_name": "Invalid refresh token"}, status_code=400)
        with self.lock:
            n = len([r for r in self.received if r.service == "zalo-oauth"])
            self.zalo_token = f"{ZALO_TOKEN}-r{n}"
            self.zalo_refresh = f"{ZALO_REFRESH}-r{n}"
            return JSONResponse({"access_token": self.zalo_token, "refresh_token": self.zalo_refresh,
                                 "expires_in": "90000"})  # fmt: skip

    async def webhook(self, request: Request) -> Response:
        if request.path_params["name"] == "slow":  # answers after the client gave up waiting
            await asyncio.sleep(3)
        scripted = self._scripted("webhook")
        if scripted is not None:
            return scripted
        await self._record("webhook", request)
        return JSONResponse({"received": True})


class Server:
    """An ASGI application served by uvicorn on 127.0.0.1 and a random port, on a thread."""

    def __init__(self, app: Any) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        for _ in range(500):  # bounded: at most 5 s
            if self.server.started:
                break
            time.sleep(0.01)
        assert self.server.started, "fake server did not start"
        return self

    @property
    def url(self) -> str:
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def closed_port() -> str:
    """An address where nothing listens (connection refused)."""
    return f"http://127.0.0.1:{free_port()}"


class MailBox:
    """aiosmtpd handler: keeps every message."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted"


class SmtpServer:
    """aiosmtpd on 127.0.0.1: ``mode`` plain, starttls or ssl; login with ``user`` / SMTP_PASSWORD when given."""

    def __init__(self, mode: str = "plain", user: str | None = None, ca: Any = None) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self.box = MailBox()
        self.port = free_port()
        kwargs: dict[str, Any] = {}
        server_context = None
        if mode in ("starttls", "ssl"):
            cert = ca.issue_cert("127.0.0.1", "localhost")
            server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            cert.configure_cert(server_context)
        if mode == "starttls":
            kwargs.update(tls_context=server_context, require_starttls=True)
        if mode == "ssl":
            kwargs.update(ssl_context=server_context)
        if user is not None:

            def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
                ok = data.login.decode() == user and data.password.decode() == SMTP_PASSWORD
                return AuthResult(success=ok, handled=False)

            kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=mode != "plain")
        self.controller = Controller(self.box, hostname="127.0.0.1", port=self.port, **kwargs)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
