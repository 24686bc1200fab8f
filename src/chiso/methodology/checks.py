"""Rules a methodology must satisfy beyond its schema. Each check returns located issues."""

from __future__ import annotations

from decimal import Decimal

from chiso.methodology.loader import Issue
from chiso.methodology.model import Methodology


def check_totals(m: Methodology) -> list[Issue]:
    total = sum((g.max for g in m.groups), Decimal(0))
    if total != m.total_max:
        return [Issue(("groups",), f"tổng điểm tối đa các nhóm là {total}, phải bằng {m.total_max}")]
    return []


def check_group_sums(m: Methodology) -> list[Issue]:
    issues = []
    for gi, g in enumerate(m.groups):
        s = sum((x.max for x in g.metrics), Decimal(0))
        if s != g.max:
            issues.append(Issue(("groups", gi, "max"), f"nhóm {g.code}: điểm tối đa {g.max} khác tổng các chỉ số {s}"))
        if not g.metrics:
            issues.append(Issue(("groups", gi), f"nhóm {g.code} không có chỉ số nào"))
    return issues


def check_unique_codes(m: Methodology) -> list[Issue]:
    issues = []
    seen: dict[str, tuple[str | int, ...]] = {}
    for gi, g in enumerate(m.groups):
        for code in (g.code, *g.aliases):
            if code in seen:
                issues.append(Issue(("groups", gi, "code"), f"mã {code} bị trùng"))
            seen[code] = ("groups", gi)
    metric_seen: dict[str, bool] = {}
    for gi, g in enumerate(m.groups):
        for mi, x in enumerate(g.metrics):
            for code in (x.code, *x.aliases):
                if code in metric_seen or code in seen:
                    issues.append(Issue(("groups", gi, "metrics", mi, "code"), f"mã chỉ số {code} bị trùng"))
                metric_seen[code] = True
    return issues


def check_rules(m: Methodology) -> list[Issue]:
    """Monitoring metrics weigh 0, scored ones more than 0; unknown rules are labelled unconfirmed."""
    issues = []
    for gi, g in enumerate(m.groups):
        for mi, x in enumerate(g.metrics):
            at = ("groups", gi, "metrics", mi)
            kind = x.rule.kind
            if kind == "monitor" and x.max != 0:
                issues.append(Issue((*at, "max"), f"chỉ số theo dõi {x.code} phải có điểm tối đa 0"))
            if kind in ("linear", "threshold") and x.max <= 0:
                issues.append(Issue((*at, "max"), f"chỉ số tính điểm {x.code} phải có điểm tối đa lớn hơn 0"))
            if kind == "unknown" and x.evidence.rule.label != "unconfirmed":
                issues.append(
                    Issue((*at, "evidence", "rule"), f"{x.code}: quy tắc chưa biết phải ghi nhãn unconfirmed")
                )
            if kind in ("monitor", "unknown") and x.on_empty != "not_applicable":
                issues.append(Issue((*at, "on_empty"), f"{x.code}: chỉ số không tính điểm dùng not_applicable"))
            if kind in ("linear", "threshold") and x.on_empty == "not_applicable":
                issues.append(Issue((*at, "on_empty"), f"{x.code}: chỉ số tính điểm phải nêu điểm khi mẫu số bằng 0"))
            if kind in ("linear", "threshold") and x.evidence.on_empty is None:
                issues.append(Issue((*at, "evidence"), f"{x.code}: thiếu nguồn gốc của quy tắc mẫu số bằng 0"))
    return issues


def check_dates(m: Methodology) -> list[Issue]:
    if m.effective_to is not None and m.effective_to < m.effective_from:
        return [Issue(("effective_to",), "ngày hết hiệu lực trước ngày có hiệu lực")]
    return []


ALL_CHECKS = (check_totals, check_group_sums, check_unique_codes, check_rules, check_dates)


def check_methodology(m: Methodology) -> list[Issue]:
    issues: list[Issue] = []
    for check in ALL_CHECKS:
        issues.extend(check(m))
    return issues
