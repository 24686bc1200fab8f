"""One fetch run: find the province's id in the national list, call every endpoint (every page), check what came
back, and say what is missing. Storing and publishing is the caller's (official/api_store.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from chiso.domain.periods import Period
from chiso.errors import ChisoError
from chiso.methodology.model import Methodology
from chiso.official.api_import import build_capture
from chiso.official.api_shapes import SUMMARY, ApiResponse, read_response
from chiso.official.api_store import (
    FAILED,
    INCOMPLETE,
    CaptureRecord,
    Exchange,
    department_map,
    publish,
    save_capture,
)
from chiso.official.importer import ImportReport
from chiso.portal.client import PortalClient, PortalError
from chiso.portal.plan import MAX_PAGES, Request, national_request, province_requests
from chiso.store import Store

HARD_FAILURES = ("unreachable", "timeout", "blocked")


@dataclass
class FetchRun:
    province: str
    province_id: str | None = None
    province_name: str | None = None
    exchanges: list[Exchange] = field(default_factory=list)
    responses: list[ApiResponse] = field(default_factory=list)
    national: list[ApiResponse] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stopped: str | None = None  # the kind of failure that ended the run early (unreachable, timeout, blocked…)

    @property
    def complete(self) -> bool:
        return not self.missing


def run_fetch(
    client: PortalClient,
    *,
    province: str,
    period: Period,
    methodology: Methodology,
    national: bool,
    known_ids: dict[str, str],
) -> FetchRun:
    """Call the national list, then every endpoint of the province; never raises for the portal's failures:
    each one becomes a line of ``missing``."""
    run = FetchRun(province)
    national_req = national_request(period)
    found = _call(client, run, national_req, methodology, page=None)
    national_problems = list(run.missing)
    if found is not None:
        for node in found.nodes:
            if node.code == province:
                run.province_id, run.province_name = node.department_id, node.name
        if national:
            run.national.append(found)
        if run.province_id is None:
            run.missing.append(f"Danh sách các tỉnh của Cổng không có tỉnh mã {province}")
            return run
    elif run.stopped in HARD_FAILURES:
        return run  # the portal cannot be reached: do not knock on every door
    elif national:
        run.missing.append("Không lấy được danh sách các tỉnh, thành phố (service-results toàn quốc)")
    if run.province_id is None:
        stored = [i for i, code in known_ids.items() if code == province]
        if not stored:
            if found is not None or not run.missing:
                run.missing.append(f"Không tìm được mã định danh (departmentId) của tỉnh {province}")
            return run
        run.province_id = stored[0]
        if not national:  # the list was only asked for the province's id: its failure does not make a gap
            run.missing = [m for m in run.missing if m not in national_problems]
            run.warnings.extend(national_problems)
        run.warnings.append("Dùng mã định danh của tỉnh đã lưu từ lần lấy trước (danh sách các tỉnh bị lỗi)")
    for request in province_requests(period, run.province_id, methodology):
        if run.missing:  # the capture cannot be complete any more: stop asking (polite, and nothing is published)
            run.missing.append("Dừng lấy các phần còn lại vì lần lấy này đã không thể đủ")
            break
        _call_pages(client, run, request, methodology)
    return run


def _call(
    client: PortalClient, run: FetchRun, request: Request, m: Methodology, *, page: int | None
) -> ApiResponse | None:
    body = request.page(page) if page is not None else request.page(1)
    try:
        exchange, content = client.post(request.endpoint, body, page=page)
    except PortalError as exc:
        run.stopped = exc.kind
        if exc.exchange is not None:
            exc.exchange.error = exc.message
            run.exchanges.append(exc.exchange)
        run.missing.append(exc.message + (f" — {exc.hint}" if exc.hint else ""))
        return None
    run.exchanges.append(exchange)
    try:
        response = read_response(content, file=exchange.url or request.endpoint, m=m, endpoint=request.endpoint)
    except ChisoError as exc:
        exchange.error = exc.message
        run.missing.append(f"Phản hồi {request.endpoint} không đúng dạng: {exc.message}")
        return None
    problem = _check(response, request, run)
    if problem:
        exchange.error = problem
        run.missing.append(problem)
        return None
    return response


def _check(response: ApiResponse, request: Request, run: FetchRun) -> str | None:
    """The answer is the one asked for: the requested root, every unit identified, not empty."""
    root_id = request.body.get("rootDepartmentId")
    if root_id is not None and response.root is not None:
        if response.root.department_id is not None and response.root.department_id != root_id:
            return f"{request.endpoint}: Cổng trả về đơn vị khác với đơn vị được hỏi ({response.root.department_id})"
        if request.endpoint == SUMMARY and response.root.code not in (None, run.province):
            return f"{request.endpoint}: Cổng trả về tỉnh {response.root.code} thay vì {run.province}"
    if not response.nodes:
        return f"{request.endpoint}: Cổng trả về danh sách đơn vị trống"
    if any(n.department_id is None for n in response.nodes) and request.endpoint != SUMMARY:
        return f"{request.endpoint}: có đơn vị không có departmentId"
    return None


def _call_pages(client: PortalClient, run: FetchRun, request: Request, m: Methodology) -> None:
    first = _call(client, run, request, m, page=1)
    if first is None:
        return
    pages = [first]
    info = first.pagination
    total_pages = (info.pages or 1) if info else 1
    if total_pages > MAX_PAGES:
        run.missing.append(f"{request.endpoint}: {total_pages} trang, quá giới hạn {MAX_PAGES} trang")
        return
    for number in range(2, total_pages + 1):
        more = _call(client, run, request, m, page=number)
        if more is None:
            return
        if not more.nodes:
            run.missing.append(f"{request.endpoint}: trang {number}/{total_pages} trống")
            return
        pages.append(more)
    count = sum(len(p.nodes) for p in pages)
    if info is not None and info.total is not None and count != info.total:
        run.missing.append(f"{request.endpoint}: nhận {count} đơn vị, Cổng ghi tổng {info.total}")
        return
    run.responses.extend(pages)


@dataclass
class FetchReport:
    """What ``chiso fetch`` (and the scheduler) reports: the capture's status and what it stored."""

    capture_id: str
    status: str  # published | unchanged | incomplete | failed
    province: str
    period: Period
    captured_at: datetime
    requests: int
    report: ImportReport | None = None
    missing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    same_as: datetime | None = None  # unchanged: when the same figures were first taken

    @property
    def ok(self) -> bool:
        return self.status in ("published", "unchanged")


def store_run(
    store: Store,
    run: FetchRun,
    *,
    period: Period,
    methodology: Methodology,
    scope: str,
    started_at: datetime,
    finished_at: datetime,
    base_url: str,
    requests: int,
) -> FetchReport:
    """Publish a complete run (or confirm unchanged figures); record an incomplete or failed one without
    touching any snapshot. One transaction either way."""
    captured_at = run.exchanges[0].received_at if run.exchanges else started_at
    record = CaptureRecord(
        capture_id=f"fetch-{captured_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}",
        source="fetch", scope=run.province, period=period, started_at=started_at, captured_at=captured_at,
        finished_at=finished_at, base_url=base_url, missing=list(run.missing), warnings=list(run.warnings),
    )  # fmt: skip
    built = None
    if run.complete:
        try:
            built = build_capture(
                [*run.national, *run.responses], period=period, captured=(captured_at, "fetch"),
                methodology=methodology, known_ids=department_map(store), label=f"Cổng DVCQG ({base_url})",
                path=f"{base_url} {run.province} {period.key}", size=sum(len(x.body or b"") for x in run.exchanges),
                scope_filter=scope,
            )  # fmt: skip
        except ChisoError as exc:
            record.missing.append(f"Không ghép được các phản hồi: {exc.message}")
    report = FetchReport(record.capture_id, INCOMPLETE, run.province, period, captured_at, requests)
    if built is None or built.parsed is None:
        record.status = FAILED if not run.responses else INCOMPLETE
        save_capture(store, record, run.exchanges, built)
    else:
        report.report = publish(store, record, run.exchanges, built)
    report.status, report.missing, report.same_as = record.status, record.missing, record.same_as
    report.warnings = record.warnings
    return report
