"""A fake Cổng DVCQG for tests: a Starlette app served by uvicorn on 127.0.0.1 (a free port) that replays the
real captures of tests/fixtures/real/dvcqg/api, answering 201 in the envelope, with switchable faults: paging,
a cookie challenge, 5xx, slow answers, truncated bodies, ``data: null``, a unit left out of one endpoint.

Phú Thọ (H44) year 2026 is served from its real group responses; the portal's ``service-results`` of Phú Thọ was
not captured, so the province list is built here from those responses (units' totals = the sum of their group
scores, sorted by total as the portal sorts it). The national list is the real capture.
"""

from __future__ import annotations

import asyncio
import copy
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

API = Path(__file__).parent / "fixtures" / "real" / "dvcqg" / "api"
H44_ID = "019d2be3-6a88-732b-8b17-b68020c8553a"
GROUP_FILES = {
    "transparency": "transparency/phutho-H44-year2026-all-captured2026-09-26.json",
    "dvc-progress-tree": "dvc-progress-tree/phutho-H44-year2026-all-captured2026-09-26.json",
    "provide-online-tree": "provide-online-tree/phutho-H44-year2026-all-captured2026-09-26.json",
    "formality-online-payment-tree": "formality-online-payment-tree/phutho-H44-year2026-all-captured2026-09-26.json",
    "dossier-digitized": "dossier-digitized/phutho-H44-year2026-all-captured2026-09-26.json",
    "handling-satisfaction": "handling-satisfaction/phutho-H44-2026-01-01_2026-12-31-all-captured2026-09-26.json",
}
NATIONAL_FILE = "service-results/national-34provinces-year2026-captured2026-10-09.json"
COOKIE = "ttqg_dmz019526c1"
BLOCK_PAGE = "<html><head><title>Request Rejected</title></head><body>The requested URL was rejected. " \
    "Your support ID is: 1234567890</body></html>"  # fmt: skip


def load(name: str) -> dict[str, Any]:
    return json.loads((API / name).read_text(encoding="utf-8"))


def _score(node: dict[str, Any]) -> Decimal:
    value = node.get("score", node.get("totalScore"))
    return Decimal(str(value or 0))


def province_summary(groups: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Phú Thọ's service-results built from its six group responses."""
    totals: dict[str, Decimal] = {}
    info: dict[str, dict[str, Any]] = {}
    for endpoint, body in groups.items():
        data = body["data"]
        entries = data.get("children") if "children" in data else data["evaluation"]
        for e in entries:
            totals[e["departmentId"]] = totals.get(e["departmentId"], Decimal(0)) + _score(e)
            if e.get("departmentCode"):
                level = e.get("level") or e.get("departmentLevel")
                info[e["departmentId"]] = {
                    "departmentId": e["departmentId"], "departmentName": e["departmentName"],
                    "departmentCode": e["departmentCode"], "childGroup": "COMMUNE" if level == "COMMUNE" else "AGENCY",
                }  # fmt: skip
        del endpoint
    rows = [{**info[i], "totalScore": float(t), "ratio": float(t), "scoreDelta": None} for i, t in totals.items()]
    rows.sort(key=lambda r: (-r["totalScore"], r["departmentName"]))
    province_total = sum((_score(b["data"].get("parent") or b["data"]["overview"]) for b in groups.values()),
                         Decimal(0))  # fmt: skip
    return {
        "code": "OK",
        "data": {
            "overview": {"departmentName": "UBND tỉnh Phú Thọ", "departmentCode": "H44",
                         "totalScore": float(province_total), "totalMaxScore": 100, "ratio": float(province_total)},
            "growthPercent": None, "radar": [], "donuts": {"onlineDossier": [], "onlineProvision": None},
            "evaluation": rows, "monthlyChart": [], "dossierChart": [],
        },
        "message": "OK",
    }  # fmt: skip


@dataclass
class FakePortal:
    """State and switches of the fake portal; tests change them between fetches."""

    groups: dict[str, dict[str, Any]] = field(default_factory=lambda: {k: load(v) for k, v in GROUP_FILES.items()})
    national: dict[str, Any] = field(default_factory=lambda: load(NATIONAL_FILE))
    page_size: int | None = None  # split list endpoints into pages of this size (whatever pageSize was asked)
    cookie_required: bool = False
    always_block: bool = False
    faults: dict[str, list[str]] = field(default_factory=dict)  # endpoint → faults to serve, one per request
    delay: float = 0.0  # seconds before answering, for timeouts
    drop_unit: tuple[str, str] | None = None  # (endpoint, departmentCode or id) left out
    wrong_root: bool = False
    status: int = 201
    requests: list[dict[str, Any]] = field(default_factory=list)
    served: list[tuple[str, bytes]] = field(default_factory=list)
    landing_hits: int = 0

    def summary(self) -> dict[str, Any]:
        return province_summary(self.groups)

    def set_score(self, endpoint: str, code: str, score: float) -> None:
        """Change one unit's group score (figures that move from one day to the next)."""
        data = self.groups[endpoint]["data"]
        for e in data.get("children") or data.get("evaluation") or []:
            if e.get("departmentCode") == code or e.get("departmentId") == code:
                e["score" if "score" in e else "totalScore"] = score

    # -- answering ------------------------------------------------------------------------------------------
    def answer(self, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        if endpoint == "service-results":
            content = copy.deepcopy(self.national if "rootDepartmentId" not in body else self.summary())
        else:
            content = copy.deepcopy(self.groups[endpoint])
        data = content["data"]
        key = "children" if "children" in data else "evaluation"
        if self.drop_unit and self.drop_unit[0] == endpoint:
            data[key] = [e for e in data[key] if self.drop_unit[1] not in (e.get("departmentCode"), e["departmentId"])]
            if "pagination" in data:
                data["pagination"]["total"] = len(data[key])
        if self.wrong_root and "parent" in data:
            data["parent"]["departmentId"] = "019d0000-0000-0000-0000-000000000000"
        if self.page_size and "pagination" in data:
            everything = data[key]
            page = int(body.get("currentPage") or 1)
            pages = max(1, -(-len(everything) // self.page_size))
            data[key] = everything[(page - 1) * self.page_size : page * self.page_size]
            data["pagination"] = {"total": len(everything), "currentPage": page, "pageSize": self.page_size,
                                  "totalPages": pages}  # fmt: skip
        return content


def build_app(portal: FakePortal) -> Starlette:
    async def evaluation(request: Request) -> Response:
        endpoint = request.path_params["endpoint"]
        body = json.loads(await request.body())
        portal.requests.append({"endpoint": endpoint, "body": body, "headers": dict(request.headers),
                                "cookies": dict(request.cookies)})  # fmt: skip
        if portal.always_block or (portal.cookie_required and COOKIE not in request.cookies):
            return HTMLResponse(BLOCK_PAGE, status_code=403)
        queue = portal.faults.get(endpoint) or []
        fault = queue.pop(0) if queue else None
        if portal.delay or fault == "slow":
            await asyncio.sleep(portal.delay or 2.0)
        if fault and fault.isdigit():
            return Response(f"error {fault}", status_code=int(fault), headers={"Retry-After": "1"})
        content = {"code": "OK", "data": None, "message": "OK"} if fault == "null" else portal.answer(endpoint, body)
        raw = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if fault == "truncate":
            raw = raw[: len(raw) // 2]
        if fault == "refused":
            raw = json.dumps({"code": "ERROR", "data": None, "message": "Tham số không hợp lệ"}).encode()
        portal.served.append((endpoint, raw))
        return Response(raw, status_code=portal.status, media_type="application/json; charset=utf-8")

    async def landing(request: Request) -> Response:
        portal.landing_hits += 1
        response = HTMLResponse("<html><body>Đánh giá chất lượng phục vụ</body></html>")
        response.set_cookie(COOKIE, "abc123", path="/")
        return response

    return Starlette(
        routes=[
            Route("/api/v1/reporting/evaluation/{endpoint}", evaluation, methods=["POST"]),
            Route("/danh-gia-chat-luong-phuc-vu", landing, methods=["GET"]),
        ]
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(portal: FakePortal) -> Iterator[str]:
    """Serve ``portal`` on 127.0.0.1 until the block ends; yields the base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(build_app(portal), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "fake portal did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class FakeTime:
    """A clock and a sleep that only count: retries and pacing never wait in tests."""

    def __init__(self, start: Any) -> None:
        self.start = start
        self.t = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds

    def clock(self) -> float:
        return self.t

    def now(self) -> Any:
        from datetime import timedelta

        return self.start + timedelta(seconds=self.t)
