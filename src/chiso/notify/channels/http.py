"""One HTTP call for the HTTP channels (Telegram, Zalo, webhook), with transport failures put in words.

A failure before the request left (refused connection, DNS, TLS handshake, connect timeout) is retryable: the
message surely did not go out. A failure after it left (read timeout, connection dropped) may have delivered
it, so it is never retried (at most once, decision 0010).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx2 as httpx

from chiso.notify.channels.base import DeliveryError, Problem

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
_MAYBE_SENT = (httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


def host_of(url: str) -> str:
    """Scheme and host of a URL: what a message may name (never the path, which may carry a token)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")


def post(label: str, url: str, *, timeout: float, **kwargs: Any) -> httpx.Response:
    """POST to ``url``; transport errors become ``DeliveryError`` naming the host only."""
    host = host_of(url)
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            return client.post(url, **kwargs)
    except _NOT_SENT as exc:
        tls = "SSL" in str(exc) or "certificate" in str(exc).lower()
        raise DeliveryError(
            f"Không kết nối được tới máy chủ {label} ({host}): "
            + ("lỗi chứng chỉ TLS." if tls else "lỗi mạng, tường lửa hoặc địa chỉ sai."),
            problem=Problem.NETWORK,
            retryable=not tls,
            detail=f"{type(exc).__name__}: {exc}",
            hint="Kiểm tra kết nối Internet của máy chủ chiso, máy chủ trung gian (proxy) và địa chỉ base_url.",
        ) from exc
    except _MAYBE_SENT as exc:
        raise DeliveryError(
            f"Máy chủ {label} ({host}) không trả lời kịp sau khi đã nhận yêu cầu: không rõ tin đã được gửi hay chưa.",
            problem=Problem.NETWORK,
            maybe_delivered=True,
            detail=f"{type(exc).__name__}: {exc}",
            hint="chiso không tự gửi lại để tránh gửi trùng; xem nhật ký và gửi lại bằng chiso notify retry nếu cần.",
        ) from exc
    except httpx.HTTPError as exc:
        raise DeliveryError(
            f"Lỗi khi gọi máy chủ {label} ({host})",
            problem=Problem.NETWORK,
            maybe_delivered=True,
            detail=f"{type(exc).__name__}: {exc}",
        ) from exc


def json_of(response: httpx.Response) -> dict[str, Any]:
    """The response's JSON object, or {} when it has none."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def http_status_error(label: str, response: httpx.Response, said: str = "") -> DeliveryError:
    """A plain-words error for an HTTP status that is not 2xx (the channel's own words in ``said``)."""
    status = response.status_code
    words = f" ({said})" if said else ""
    if status in (401, 403):
        return DeliveryError(f"{label} từ chối xác thực{words}: mã truy cập hoặc khóa bí mật không đúng.",
                             problem=Problem.TOKEN, detail=f"HTTP {status}")  # fmt: skip
    if status in (404, 410):
        return DeliveryError(f"{label} không tìm thấy địa chỉ nhận{words}.", problem=Problem.RECIPIENT,
                             detail=f"HTTP {status}")  # fmt: skip
    if status == 429:
        return DeliveryError(f"{label} báo gửi quá nhiều tin trong thời gian ngắn{words}; sẽ thử lại sau.",
                             problem=Problem.RATE, retryable=True, retry_after=retry_after(response),
                             detail=f"HTTP {status}")  # fmt: skip
    if status >= 500:
        return DeliveryError(f"Máy chủ {label} đang lỗi{words}; sẽ thử lại sau.", problem=Problem.SERVER,
                             retryable=True, detail=f"HTTP {status}")  # fmt: skip
    return DeliveryError(f"{label} không nhận tin{words}.", problem=Problem.CONTENT, detail=f"HTTP {status}")


def retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("retry-after", ""))
    except ValueError:
        return None
