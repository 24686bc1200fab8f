"""Recompute published figures and report what does not add up, and what could not be checked.

Checks, for each published unit:

* metric: the score from numerator and denominator (or from the published ratio when the counts are not
  published) under the methodology's rule; the published ratio against numerator/denominator; the published
  maximum against the methodology's;
* group: the published group score against the sum of its metrics' scores; when some scored metrics have
  neither score nor counts, a bound check (the remainder must lie between 0 and their maxima) and the implied
  remainder is reported as unchecked;
* total: the sum of the group scores; every score within 0 and its maximum.

A difference within ``tolerance`` (default 0.01, the size of the published two-decimal rounding) passes.
Nothing is passed silently: what cannot be recomputed is listed in ``unchecked`` with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from chiso.domain.results import PublishedMetric, PublishedUnit
from chiso.formatting import to_decimal
from chiso.methodology.model import LinearRule, Methodology, Metric, ThresholdRule
from chiso.scoring.rules import apply_rule, metric_points

ZERO = Decimal(0)
DEFAULT_TOLERANCE = Decimal("0.01")


@dataclass(frozen=True)
class Mismatch:
    snapshot: str
    unit: str
    item: str  # metric code, group code or TOTAL
    level: str  # metric | ratio | max | group | total | range
    expected: Decimal | None  # the published figure
    computed: Decimal | None
    cause: str

    @property
    def difference(self) -> Decimal | None:
        if self.expected is None or self.computed is None:
            return None
        return self.computed - self.expected


@dataclass(frozen=True)
class Unchecked:
    snapshot: str
    unit: str | None
    item: str
    reason: str
    implied: Decimal | None = None
    count: int = 1


@dataclass
class Verification:
    checked: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    unchecked: list[Unchecked] = field(default_factory=list)

    def merge(self, other: Verification) -> None:
        self.checked += other.checked
        self.mismatches.extend(other.mismatches)
        self.unchecked.extend(other.unchecked)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def verify_units(
    units: Iterable[PublishedUnit], methodology: Methodology, tolerance: Decimal = DEFAULT_TOLERANCE
) -> Verification:
    result = Verification()
    not_itemised: dict[str, int] = {}
    for unit in units:
        result.merge(_verify_unit(unit, methodology, tolerance))
        if not unit.itemised:
            not_itemised[unit.snapshot] = not_itemised.get(unit.snapshot, 0) + 1
    for snapshot, count in not_itemised.items():
        result.unchecked.append(
            Unchecked(
                snapshot,
                None,
                "GROUPS",
                f"Tệp dạng danh sách chỉ công bố điểm nhóm: điểm {count} đơn vị × "
                f"{len(methodology.groups)} nhóm không kiểm tra được từ chỉ số thành phần "
                "(chỉ kiểm tra tổng điểm và khoảng điểm).",
                count=count,
            )
        )
    return result


def _verify_unit(unit: PublishedUnit, m: Methodology, tol: Decimal) -> Verification:
    v = Verification()
    group_scores: dict[str, Decimal] = {}
    for g in unit.groups:
        if not m.has_group(g.code):
            v.unchecked.append(Unchecked(unit.snapshot, unit.unit, g.code, "Nhóm không có trong phương pháp tính"))
            continue
        mg = m.group(g.code)
        if g.score is not None:
            group_scores[mg.code] = g.score
            v.checked += 1
            if not (-tol <= g.score <= mg.max + tol):
                v.mismatches.append(
                    Mismatch(
                        unit.snapshot, unit.unit, mg.code, "range", g.score, None, _range_cause(unit, mg.code, mg.max)
                    )
                )
        if g.max is not None and g.max != mg.max:
            v.checked += 1
            v.mismatches.append(
                Mismatch(
                    unit.snapshot,
                    unit.unit,
                    mg.code,
                    "max",
                    g.max,
                    mg.max,
                    "Điểm tối đa của nhóm trên Cổng khác phương pháp tính: phương pháp có thể đã thay đổi",
                )
            )
        if unit.itemised:
            v.merge(_verify_group(unit, m, mg.code, g.score, tol))
    _verify_total(unit, m, group_scores, tol, v)
    return v


def _range_cause(unit: PublishedUnit, code: str, top: Decimal) -> str:
    cause = f"Điểm nhóm ngoài khoảng 0–{top}"
    others = [g for g in unit.groups if g.code != code and g.score is not None]
    mine = unit.group(code)
    if others and all(g.score == 0 for g in others) and mine and mine.score == unit.total:
        cause += ": toàn bộ tổng điểm dồn vào một nhóm, các nhóm khác bằng 0 (lỗi tách nhóm của nguồn số liệu)"
    return cause


def _verify_group(
    unit: PublishedUnit, m: Methodology, code: str, published: Decimal | None, tol: Decimal
) -> Verification:
    v = Verification()
    group = m.group(code)
    published_metrics = {pm.code: pm for pm in unit.metrics if pm.group == code}
    if not published_metrics:
        v.unchecked.append(
            Unchecked(
                unit.snapshot,
                unit.unit,
                code,
                "Nhóm được công bố không kèm chỉ số thành phần: không kiểm tra được điểm nhóm",
            )
        )
        return v
    for pm in published_metrics.values():
        try:
            metric = m.metric(pm.code)
        except KeyError:
            v.unchecked.append(
                Unchecked(unit.snapshot, unit.unit, pm.code, "Chỉ số không có trong phương pháp tính", pm.score)
            )
            continue
        v.merge(_verify_metric(unit, metric, pm, m.decimals, tol))
    # group = sum of its metrics
    known = ZERO
    missing: list[Metric] = []
    for metric in group.metrics:
        if not metric.scored:
            continue
        pm = published_metrics.get(metric.code) or _by_alias(published_metrics, metric)
        score = _metric_score(metric, pm, m.decimals)
        if score is None:
            missing.append(metric)
        else:
            known += score
    if published is None:
        return v
    v.checked += 1
    if not missing:
        if abs(published - known) > tol:
            v.mismatches.append(
                Mismatch(unit.snapshot, unit.unit, code, "group", published, known, _group_cause(published, known))
            )
        return v
    room = sum((x.max for x in missing), ZERO)
    remainder = published - known
    if remainder < -tol or remainder > room + tol:
        v.mismatches.append(
            Mismatch(
                unit.snapshot,
                unit.unit,
                code,
                "group",
                published,
                known,
                f"Điểm nhóm ngoài khoảng các chỉ số cho phép ({known}–{known + room})",
            )
        )
    for x in missing:
        implied = remainder if len(missing) == 1 else None
        note = (
            f"Cổng không công bố tử số, mẫu số, điểm của chỉ số; điểm suy ra từ điểm nhóm: {remainder}"
            if implied is not None
            else "Cổng không công bố tử số, mẫu số, điểm của chỉ số"
        )
        if implied is not None and isinstance(x.rule, ThresholdRule | LinearRule) and x.max > 0:
            ratio = _implied_ratio(x, implied)
            if ratio is not None:
                note += f" (tỷ lệ tương ứng ≈ {ratio}%)"
        v.unchecked.append(Unchecked(unit.snapshot, unit.unit, x.code, note, implied))
    return v


def _by_alias(published: dict[str, PublishedMetric], metric: Metric) -> PublishedMetric | None:
    for alias in metric.aliases:
        if alias in published:
            return published[alias]
    return None


def _metric_score(metric: Metric, pm: PublishedMetric | None, decimals: int) -> Decimal | None:
    """The published score, else the score recomputed from published counts or ratio."""
    if pm is None:
        return None
    if pm.score is not None:
        return pm.score
    points = metric_points(metric, pm.numerator, pm.denominator, ratio_percent=pm.ratio, decimals=decimals)
    return points.score


def _implied_ratio(metric: Metric, points: Decimal) -> Decimal | None:
    if points < 0 or metric.max <= 0:
        return None
    target = Fraction(metric.target)
    return to_decimal(Fraction(points) / Fraction(metric.max) * target * 100, 2)


def _verify_metric(
    unit: PublishedUnit, metric: Metric, pm: PublishedMetric, decimals: int, tol: Decimal
) -> Verification:
    v = Verification()
    if pm.max is not None:
        v.checked += 1
        if pm.max != metric.max:
            v.mismatches.append(
                Mismatch(
                    unit.snapshot,
                    unit.unit,
                    metric.code,
                    "max",
                    pm.max,
                    metric.max,
                    "Điểm tối đa trên Cổng khác phương pháp tính: phương pháp có thể đã thay đổi",
                )
            )
    has_counts = pm.numerator is not None and pm.denominator is not None
    if has_counts and pm.ratio is not None and pm.denominator != 0:
        exact = Fraction(pm.numerator) / Fraction(pm.denominator) * 100
        v.checked += 1
        if abs(Fraction(pm.ratio) - exact) > Fraction(tol):
            v.mismatches.append(
                Mismatch(
                    unit.snapshot,
                    unit.unit,
                    metric.code,
                    "ratio",
                    pm.ratio,
                    to_decimal(exact, 2),
                    "Tỷ lệ công bố khác tử số / mẫu số: số liệu có thể được ghi nhận ở thời điểm khác nhau",
                )
            )
    if not metric.scored:
        if pm.score not in (None, ZERO):
            v.checked += 1
            v.mismatches.append(
                _metric_mismatch(unit, metric, pm.score, ZERO, "Chỉ số theo dõi nhưng Cổng công bố điểm khác 0")
            )
        return v
    if pm.score is None:
        return v  # counts only: used by the group check
    if not has_counts and pm.ratio is None:
        v.unchecked.append(
            Unchecked(unit.snapshot, unit.unit, metric.code, "Chỉ số không có tử số, mẫu số và tỷ lệ", pm.score)
        )
        return v
    points = metric_points(metric, pm.numerator, pm.denominator, ratio_percent=pm.ratio, decimals=decimals)
    v.checked += 1
    if points.score is None or abs(points.score - pm.score) > tol:
        cause = _metric_cause(metric, pm, points.score, tol)
        v.mismatches.append(_metric_mismatch(unit, metric, pm.score, points.score, cause))
    return v


def _metric_mismatch(
    unit: PublishedUnit, metric: Metric, published: Decimal | None, computed: Decimal | None, cause: str
) -> Mismatch:
    return Mismatch(unit.snapshot, unit.unit, metric.code, "metric", published, computed, cause)


def _metric_cause(metric: Metric, pm: PublishedMetric, computed: Decimal | None, tol: Decimal) -> str:
    """A likely cause, found by trying the alternatives seen in practice."""
    published = pm.score
    assert published is not None
    if pm.denominator == 0:
        if published == metric.max:
            return "Khi mẫu số bằng 0 Cổng cho điểm tối đa, khác quy tắc của phương pháp tính"
        if published == 0:
            return "Khi mẫu số bằng 0 Cổng cho 0 điểm, khác quy tắc của phương pháp tính"
    if pm.numerator is not None and pm.denominator not in (None, ZERO):
        ratio = Fraction(pm.numerator) / Fraction(pm.denominator)
    elif pm.ratio is not None:
        ratio = Fraction(pm.ratio) / 100
    else:
        return "Không đủ số liệu để tìm nguyên nhân"
    candidates: list[tuple[str, LinearRule | ThresholdRule]] = [("tuyến tính", LinearRule())]
    for t in ("0.5", "0.8", "0.9"):
        candidates.append((f"đạt điểm tối đa từ {int(Decimal(t) * 100)}%", ThresholdRule(target=Decimal(t))))
    for label, rule in candidates:
        if rule == metric.rule:
            continue
        alt = apply_rule(rule, metric.max, ratio)
        if alt is not None and abs(to_decimal(alt, 2) - published) <= tol:
            return f"Điểm công bố khớp quy tắc {label}: Cổng có thể đã đổi quy tắc quy đổi của chỉ số"
    if computed is not None and abs(computed - published) <= tol * 2:
        return "Chênh lệch nhỏ do làm tròn"
    return "Tử số, mẫu số và điểm có thể được ghi nhận ở các thời điểm khác nhau, hoặc quy tắc đã thay đổi"


def _group_cause(published: Decimal, known: Decimal) -> str:
    if abs(published - known) <= Decimal("0.03"):
        return "Chênh lệch do làm tròn: Cổng có thể cộng điểm chưa làm tròn của các chỉ số"
    return "Điểm nhóm khác tổng điểm các chỉ số: thiếu chỉ số hoặc số liệu ghi nhận ở thời điểm khác nhau"


def _verify_total(
    unit: PublishedUnit, m: Methodology, groups: dict[str, Decimal], tol: Decimal, v: Verification
) -> None:
    if unit.total is None:
        v.unchecked.append(Unchecked(unit.snapshot, unit.unit, "TOTAL", "Không có tổng điểm"))
        return
    v.checked += 1
    if not (-tol <= unit.total <= m.total_max + tol):
        v.mismatches.append(
            Mismatch(
                unit.snapshot, unit.unit, "TOTAL", "range", unit.total, None, f"Tổng điểm ngoài khoảng 0–{m.total_max}"
            )
        )
    absent = [g.code for g in m.groups if g.code not in groups]
    if absent and len(absent) == len(m.groups):
        v.unchecked.append(
            Unchecked(unit.snapshot, unit.unit, "TOTAL", "Chỉ có tổng điểm, không có điểm nhóm", unit.total)
        )
        return
    known = sum(groups.values(), ZERO)
    v.checked += 1
    if absent:
        room = sum((m.group(c).max for c in absent), ZERO)
        if unit.total - known < -tol or unit.total - known > room + tol:
            v.mismatches.append(
                Mismatch(
                    unit.snapshot,
                    unit.unit,
                    "TOTAL",
                    "total",
                    unit.total,
                    known,
                    f"Tổng điểm ngoài khoảng các nhóm cho phép; thiếu nhóm {', '.join(absent)}",
                )
            )
        else:
            v.unchecked.append(
                Unchecked(
                    unit.snapshot,
                    unit.unit,
                    "TOTAL",
                    f"Thiếu điểm nhóm {', '.join(absent)}: chỉ kiểm tra được khoảng",
                    unit.total - known,
                )
            )
        return
    if abs(unit.total - known) > tol:
        cause = "Tổng điểm khác tổng điểm các nhóm"
        for code, score in groups.items():
            if abs(unit.total - (known - score)) <= tol:
                cause += f": có thể tổng điểm không tính nhóm {code}"
        v.mismatches.append(Mismatch(unit.snapshot, unit.unit, "TOTAL", "total", unit.total, known, cause))
