"""A polite client for the portal's evaluation API (portal-api.md §1, §8).

One request at a time, at least ``min_interval`` seconds (plus jitter) apart; a timeout per request; retries
with exponential backoff and jitter (tenacity) on network errors, 5xx, 429 (honouring ``Retry-After``),
truncated or unreadable bodies and ``data: null``; the headers of the page that calls the API (``Origin``,
``Referer``, ``Accept``, ``Content-Type``) and an honest ``User-Agent``. When the web firewall answers instead of
the API (403/406 or a block page), the client loads the evaluation page once to get its cookie, as a browser
would, and tries again; a second block stops the run with a clear message (no disguise, no rotation).

Sleep, clock, wall time and randomness are injectable so that tests run without waiting.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx2 as httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from chiso import __version__
from chiso.errors import ChisoError
from chiso.official.api_shapes import CATALOGUE, looks_blocked
from chiso.official.api_store import Exchange
from chiso.portal.plan import DEFAULT_BASE_URL, EVALUATION_PATH, LANDING_PATH

USER_AGENT = f"chiso/{__version__} (open-source evaluation of the Decision 766/QD-TTg index; one request at a time)"
BLOCK_STATUSES = (403, 406)


class PortalError(ChisoError):
    """The portal could not be read: unreachable, slow, blocking, failing, or answering something unreadable."""

    exit_code = 3

    def __init__(self, message: str, *, kind: str, detail: str | None = None, hint: str | None = None,
                 exchange: Exchange | None = None) -> None:  # fmt: skip
        super().__init__(message, detail=detail, hint=hint)
        self.kind = kind  # unreachable | timeout | blocked | server | status | unreadable | refused | empty
        self.exchange = exchange


class _TransientError(Exception):
    """A failure worth another try."""

    def __init__(self, error: PortalError, retry_after: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


class PortalClient:
    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 45.0,
        attempts: int = 4,
        min_interval: float = 1.0,
        jitter: float = 0.25,
        backoff: float = 2.0,
        max_backoff: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.min_interval = min_interval
        self.jitter = jitter
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.clock = clock
        self.now = now
        self.rng = rng or random.Random()
        self.requests = 0
        self.waits: list[float] = []  # every pause taken (pacing and backoff), for the run's record and tests
        self._last: float | None = None
        self._cookie_fetched = False
        self.http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
            headers={
                "Accept": "application/json, text/plain, */*",
                "Accept-Language": "vi-VN,vi;q=0.9",
                "Content-Type": "application/json",
                "Origin": self.base_url,
                "Referer": self.base_url + LANDING_PATH,
                "User-Agent": USER_AGENT,
            },
            transport=transport,
            follow_redirects=False,
        )

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc or self.base_url

    def url(self, endpoint: str) -> str:
        if endpoint == CATALOGUE:
            return f"{self.base_url}/api/v1/reporting/formalities"
        return self.base_url + EVALUATION_PATH + endpoint

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> PortalClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- pacing and waiting -------------------------------------------------------------------------------
    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            self.waits.append(seconds)
            self.sleep(seconds)

    def _pace(self) -> None:
        if self._last is not None:
            gap = self.min_interval + self.rng.uniform(0, self.jitter) - (self.clock() - self._last)
            self._pause(gap)
        self._last = self.clock()

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        n = state.attempt_number
        delay = min(self.max_backoff, self.backoff * 2 ** (n - 1)) + self.rng.uniform(0, self.backoff)
        if isinstance(exc, _TransientError) and exc.retry_after is not None:
            delay = max(delay, min(exc.retry_after, self.max_backoff * 5))
        return delay

    # -- requests -----------------------------------------------------------------------------------------
    def post(self, endpoint: str, body: dict[str, Any], *, page: int | None = None) -> tuple[Exchange, Any]:
        """One API call with retries: the exchange (raw bytes and what was asked) and the parsed envelope.

        Raises ``PortalError`` (with the last exchange) when every try failed or the answer cannot be used."""
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_TransientError),
            sleep=self._pause,
            reraise=True,
        )
        tries = 0
        try:
            for attempt in retrying:
                with attempt:
                    tries += 1
                    return self._once(endpoint, body, page, tries)
        except _TransientError as exc:
            exc.error.message += f" (đã thử {tries} lần)"
            raise exc.error from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, endpoint: str, body: dict[str, Any], page: int | None, tries: int) -> tuple[Exchange, Any]:
        self._pace()
        url = self.url(endpoint)
        started = self.clock()
        received = self.now()
        self.requests += 1
        exchange = Exchange(endpoint, received, None, url=url, request_body=body, page=page, attempts=tries)
        try:
            response = self.http.post(url, content=json.dumps(body, ensure_ascii=False).encode("utf-8"))
            raw = response.content
        except httpx.TimeoutException as exc:
            raise _TransientError(self._timeout(exc, exchange)) from exc
        except httpx.TransportError as exc:  # refused, reset, DNS, a body cut short
            raise _TransientError(self._unreachable(exc, exchange)) from exc
        exchange.elapsed_ms = int((self.clock() - started) * 1000)
        exchange.status = response.status_code
        exchange.content_type = response.headers.get("content-type")
        exchange.body = raw
        return exchange, self._accept(response, exchange)

    def _accept(self, response: httpx.Response, exchange: Exchange) -> Any:
        status = response.status_code
        raw = exchange.body or b""
        blocked = status in BLOCK_STATUSES or (status not in (200, 201) and looks_blocked(raw, exchange.content_type))
        if blocked or (status in (200, 201) and looks_blocked(raw, exchange.content_type)):
            error = self._blocked(status, exchange)
            if self._cookie_fetched:
                raise error
            self._fetch_cookie()
            raise _TransientError(error)
        if status == 429 or status >= 500:
            error = PortalError(
                f"Cổng DVCQG đang lỗi hoặc quá tải (mã {status}) khi lấy {exchange.endpoint}",
                kind="server", detail=f"HTTP {status} from {exchange.url}", exchange=exchange,
                hint="Thử lại sau ít phút; lịch chạy hằng ngày sẽ tự lấy lại.",
            )  # fmt: skip
            raise _TransientError(error, _retry_after(response.headers.get("retry-after")))
        if status not in (200, 201):
            raise PortalError(
                f"Cổng DVCQG không chấp nhận yêu cầu {exchange.endpoint} (mã {status})",
                kind="status", detail=f"HTTP {status} from {exchange.url}: {raw[:200]!r}", exchange=exchange,
                hint="Kiểm tra --base-url; nếu Cổng đổi cách gọi, hãy báo cho người bảo trì chiso.",
            )  # fmt: skip
        try:
            content = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise _TransientError(
                PortalError(
                    f"Cổng DVCQG trả về phản hồi {exchange.endpoint} không đọc được "
                    "(bị cắt ngang hoặc không phải JSON)",
                    kind="unreadable", detail=f"{type(exc).__name__}: {exc}", exchange=exchange,
                )
            ) from exc  # fmt: skip
        if not isinstance(content, dict) or content.get("code") not in ("OK", 200, "200"):
            message = content.get("message") if isinstance(content, dict) else None
            raise PortalError(
                f"Cổng DVCQG trả lời lỗi cho {exchange.endpoint}: {message or 'không rõ nguyên nhân'}",
                kind="refused", detail=str(content)[:300], exchange=exchange,
            )  # fmt: skip
        if content.get("data") is None:
            raise _TransientError(
                PortalError(
                    f"Cổng DVCQG trả về {exchange.endpoint} không có số liệu (data: null)",
                    kind="empty", detail="data is null", exchange=exchange,
                    hint="Cổng có thể đang tổng hợp số liệu; lần lấy sau sẽ thử lại.",
                )
            )  # fmt: skip
        return content

    def _fetch_cookie(self) -> None:
        """Load the evaluation page once, as a browser does, and keep the cookies it sets (portal-api.md §8.2)."""
        self._cookie_fetched = True
        self._pace()
        self.requests += 1
        try:
            self.http.get(self.base_url + LANDING_PATH, headers={"Accept": "text/html,application/xhtml+xml"})
        except httpx.HTTPError:
            return  # the retry that follows reports what happens

    # -- messages -----------------------------------------------------------------------------------------
    def _timeout(self, exc: Exception, exchange: Exchange) -> PortalError:
        return self._error("timeout", exchange, f"{type(exc).__name__}: {exc}", timeout=f"{self.timeout:g}")

    def _unreachable(self, exc: Exception, exchange: Exchange) -> PortalError:
        return self._error("unreachable", exchange, f"{type(exc).__name__}: {exc}", host=self.host)

    def _blocked(self, status: int, exchange: Exchange) -> PortalError:
        return self._error("blocked", exchange, f"HTTP {status}; block page or firewall status", status=status)

    @staticmethod
    def _error(kind: str, exchange: Exchange, detail: str, **values: object) -> PortalError:
        message, hint = MESSAGES[kind]
        return PortalError(message.format(endpoint=exchange.endpoint, **values), kind=kind, detail=detail,
                           hint=hint, exchange=exchange)  # fmt: skip


MESSAGES = {
    "timeout": (
        "Cổng DVCQG không trả lời trong {timeout} giây khi lấy {endpoint}",
        "Cổng có thể đang quá tải; hãy thử lại sau (ví dụ sáng sớm) hoặc tăng --timeout.",
    ),
    "unreachable": (
        "Không kết nối được Cổng DVCQG ({host}) khi lấy {endpoint}",
        "Kiểm tra kết nối mạng của máy (và tường lửa, proxy của cơ quan); nếu mạng bình thường, Cổng có thể đang "
        "bảo trì — thử lại sau.",
    ),
    "blocked": (
        "Cổng DVCQG từ chối yêu cầu {endpoint} (tường lửa của Cổng chặn truy cập, mã {status})",
        "chiso đã tải lại trang đánh giá để lấy cookie và thử lại nhưng vẫn bị chặn. Hãy thử lại sau vài giờ, giảm "
        "số lần lấy trong ngày, hoặc lấy từ mạng trong nước.",
    ),
}


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        return None
