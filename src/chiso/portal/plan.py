"""What a fetch asks for: the periods the portal offers and the request bodies (portal-api.md §3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from chiso.domain.periods import Period, PeriodKind
from chiso.errors import PeriodError
from chiso.methodology.model import Methodology
from chiso.official.api_shapes import SUMMARY

DEFAULT_BASE_URL = "https://dichvucong.gov.vn"
EVALUATION_PATH = "/api/v1/reporting/evaluation/"
LANDING_PATH = "/danh-gia-chat-luong-phuc-vu"  # the page that calls the API (Referer; sets the WAF cookie)
PAGE_SIZE = 200
SUMMARY_PAGE_SIZE = 300
MAX_PAGES = 50  # a list of 10,000 units: far more than any province has
SATISFACTION = "handling-satisfaction"  # asked by date range instead of timeType (portal-api.md §3.1)


@dataclass(frozen=True)
class Request:
    endpoint: str
    body: dict[str, Any]
    paged: bool = True
    size: int = PAGE_SIZE

    def page(self, number: int) -> dict[str, Any]:
        if not self.paged:
            return dict(self.body)
        return {**self.body, "currentPage": number, "pageSize": self.size}


def offered(period: Period, today: date) -> None:
    """Refuse a period the portal has no figures for yet: a month not yet ended, a quarter or year not yet begun,
    a year-to-date period. Past quarters and years are asked for as they are (their final figures, e.g. the year
    2026 in January 2027); the current quarter and year are open, their figures to date (portal-api.md §3.3)."""
    current_quarter = (today.month - 1) // 3 + 1
    ok = not period.ytd and (
        (period.kind is PeriodKind.MONTH and period.end < today)
        or (period.kind in (PeriodKind.QUARTER, PeriodKind.YEAR) and period.start <= today)
    )
    if not ok:
        raise PeriodError(
            f"Cổng DVCQG không cung cấp kết quả {period.label} để lấy",
            detail=f"today {today.isoformat()} (Vietnam)",
            hint=f"Chọn một tháng đã kết thúc (ví dụ --period {_last_month(today)}), một quý hoặc năm đã bắt đầu "
            f"(--period {today.year}-Q{current_quarter}, --period {today.year}).",
        )


def _last_month(today: date) -> str:
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year}-{month:02d}"


def time_body(period: Period) -> dict[str, Any]:
    year = period.start.year
    if period.kind is PeriodKind.YEAR:
        return {"timeType": "year", "year": year}
    if period.kind is PeriodKind.QUARTER:
        return {"timeType": "quarter", "year": year, "quarter": (period.start.month - 1) // 3 + 1}
    if period.kind is PeriodKind.MONTH:
        return {"timeType": "month", "year": year, "month": period.end.month}
    raise PeriodError(f"Cổng DVCQG không có kỳ {period.label}", hint="Dùng một tháng, quý hoặc năm.")


def national_request(period: Period) -> Request:
    return Request(SUMMARY, {**time_body(period), "departmentType": "ADMINISTRATIVE_UNIT"}, paged=False)


def province_requests(period: Period, root_id: str, methodology: Methodology) -> list[Request]:
    """``service-results`` for the units' totals, then one request per group endpoint of the methodology."""
    # service-results returns no pagination: ask for more than a province has (Crawler-766 asks 300)
    out = [Request(SUMMARY, {**time_body(period), "rootDepartmentId": root_id}, size=SUMMARY_PAGE_SIZE)]
    for group in methodology.groups:
        if group.endpoint is None:
            continue
        if group.endpoint == SATISFACTION:
            dates = {"fromDate": period.start.isoformat(), "toDate": period.end.isoformat()}
            out.append(Request(group.endpoint, {**dates, "rootDepartmentId": root_id}))
        else:
            out.append(Request(group.endpoint, {**time_body(period), "rootDepartmentId": root_id}))
    return out
