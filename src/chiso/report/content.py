"""The letter as data: every sentence, target finding, appendix row and brief item, built from results and a
profile. All the logic of the letter is here; the writers (DOCX, XLSX, PDF, text) only lay it out.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from chiso.domain.results import FigureStatus
from chiso.domain.times import VN_TZ
from chiso.domain.units import UnitKind
from chiso.formatting import (
    area_name,
    cutoff_time,
    date_in_words,
    document_date,
    integer,
    join_words,
    mid_sentence,
    nfc,
    number,
    percent,
    place_name,
    to_decimal,
    unit_name,
)
from chiso.methodology import load_targets
from chiso.methodology.model import Improvement
from chiso.report.data import ReportData
from chiso.report.profile import LetterProfile, Target
from chiso.scoring.explain import Line, explain
from chiso.workspace import UnitView

NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
ESTIMATE_MARK = "số liệu tạm tính"


class Style(StrEnum):
    """How a body paragraph is laid out (the writers map each to a format)."""

    BODY = "body"  # justified, first-line indent
    NOTE = "note"  # italic, centred (e.g. '(Có Phụ lục … kèm theo)')
    DIRECTIVE = "directive"  # a numbered directive


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: Style = Style.BODY


@dataclass(frozen=True)
class ShortUnit:
    unit: str  # name as officials write it
    code: str
    value: str  # '92,37%' or '23 hồ sơ'
    ratio: Decimal | None  # percent
    count: int | None  # dossiers short of the threshold


@dataclass(frozen=True)
class Finding:
    """One target: the units below it (all of those with data when ``collective``)."""

    metric: str
    name: str
    threshold: Decimal
    show: str
    considered: int
    short: list[ShortUnit]
    collective: bool
    sentence: str
    local: bool = False  # figures from the one-stop system (the portal does not publish them), marked as such


@dataclass(frozen=True)
class AppendixRow:
    unit_code: str
    unit_name: str
    kind: str
    total: Decimal | None
    band: str | None
    rank: int | None
    peers: int
    group: str
    metric_code: str
    metric_name: str
    numerator: Decimal | None
    denominator: Decimal | None
    ratio: Decimal | None  # percent, two decimals
    score: Decimal | None
    max: Decimal
    note: str  # status ('không có dữ liệu', 'theo số liệu cấp tỉnh') or ''


@dataclass(frozen=True)
class AppendixUnit:
    code: str
    name: str
    kind: str
    total: Decimal | None
    band: str | None
    rank: int | None
    peers: int
    rows: list[AppendixRow]
    groups: dict[str, Decimal | None] = field(default_factory=dict)

    @property
    def heading(self) -> str:
        """'UBND xã Thạnh Đức (H53.07.02): 76,82 điểm, xếp loại Khá, xếp thứ 3/9 xã, phường, thị trấn'."""
        band = f", xếp loại {self.band}" if self.band else ""
        rank = f", xếp thứ {self.rank}/{self.peers} {self.kind}" if self.rank and self.peers > 1 else ""
        return f"{self.name} ({self.code}): {number_text(self.total)} điểm{band}{rank}"


@dataclass(frozen=True)
class Appendix:
    title: str
    subtitle: str
    reference: str
    units: list[AppendixUnit]
    groups: list[tuple[str, str]]  # (code, name) of the methodology's groups, for the legend

    @property
    def rows(self) -> list[AppendixRow]:
        return [r for u in self.units for r in u.rows]


@dataclass(frozen=True)
class Action:
    """Something a unit can do that wins points back, with what it is worth."""

    unit: str
    metric: str
    items: int
    what: str  # 'thêm 120 hồ sơ thanh toán trực tuyến'
    gain: Decimal


@dataclass(frozen=True)
class Summary:
    sender: str
    kind: str
    period: str
    total: Decimal | None
    band: str | None
    rank: int | None
    peers: int
    peer_label: str
    score_change: Decimal | None
    rank_change: int | None
    previous_period: str
    cutoff: str
    estimate: bool
    weakest: list[tuple[str, Decimal | None]]
    actions: list[Action]
    day_score_change: Decimal | None = None  # since the previous capture of the period (daily fetch)
    day_rank_change: int | None = None
    day_since: str = ""  # when that capture was taken, Vietnam time


@dataclass(frozen=True)
class LetterContent:
    issuer_parent: str | None
    issuer: tuple[str, ...]
    number: str  # 'Số:      /UBND-NC'
    abstract: str  # 'V/v …'
    place_date: str  # 'Gò Dầu, ngày 02 tháng 6 năm 2023'
    recipients: tuple[str, ...]  # '- UBND các xã, thị trấn.'
    body: tuple[Paragraph, ...]
    cc: tuple[str, ...]  # '- Như trên;'
    signer: tuple[str, ...]
    signer_name: str
    appendix: Appendix
    findings: list[Finding]
    summary: Summary
    estimate: bool
    notes: list[str] = field(default_factory=list)
    national: tuple[str, str] = (NATIONAL_NAME, MOTTO)


# -- helpers ---------------------------------------------------------------------------------------------------
def tidy(text: str) -> str:
    """One space between words, none before punctuation, no empty brackets; NFC."""
    out = re.sub(r"\s+", " ", text).strip()
    out = re.sub(r"\(\s*\)", "", out)
    out = re.sub(r"\s+([,.;:)])", r"\1", out)
    out = re.sub(r"\(\s+", "(", out)
    out = re.sub(r",\s*([,.;])", r"\1", out)
    out = re.sub(r"\s{2,}", " ", out)
    return nfc(out)


NAME_SLOTS = ("province", "province_upper")  # names the unit tree may not know
_CONNECTOR = r"\s*(?:của|thuộc|tại|trên địa bàn)\s+\{%s\}"


def fill(template: str, values: dict[str, str]) -> str:
    """The template with its values; a name the store does not know takes its connector with it ('… của {province}'
    never leaves a dangling 'của')."""
    if not template:
        return ""
    for slot in NAME_SLOTS:
        if values.get(slot) == "":
            template = re.sub(_CONNECTOR % slot, "", template)
    return tidy(template.format_map(values))


def unnamed(template: str | None, values: dict[str, str]) -> bool:
    """True when a line names something unknown ('Văn phòng UBND {province}' without a province): leave it out."""
    if not template:
        return False
    return any(values.get(s) == "" and "{" + s + "}" in template for s in NAME_SLOTS)


def line_of(view: UnitView, code: str) -> Line | None:
    """The unit's line for a metric code (or alias); local extra lines carry the target's measure as code."""
    for line in view.lines:
        if line.code == code or (line.metric is not None and code in line.metric.aliases):
            return line
    return None


def ratio_percent(line: Line) -> Decimal | None:
    if line.status is FigureStatus.NO_DATA:
        return None
    if line.numerator is not None and line.denominator:
        return to_decimal(line.numerator / line.denominator * 100, 2)
    if line.ratio is not None and line.denominator is None:
        return to_decimal(line.ratio * 100, 2)
    return None


def _plain(value: Fraction | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value.numerator) if value.denominator == 1 else to_decimal(value, 4)


def kind_label(kind: str) -> str:
    return UnitKind(kind).label if kind in UnitKind._value2member_map_ else kind


# -- building --------------------------------------------------------------------------------------------------
@dataclass
class _Resolved:
    measure: str
    name: str
    threshold: Decimal
    at_least: bool


def resolve_target(t: Target, data: ReportData) -> _Resolved:
    local = {x.code: x for x in load_targets().targets}
    lt = local.get(t.metric)
    measure = lt.measure if lt else t.metric
    name = t.name or (lt.name if lt else None)
    if name is None:
        try:
            name = data.methodology.metric(measure).name
        except KeyError:
            name = measure
    threshold = t.threshold if t.threshold is not None else lt.threshold  # type: ignore[union-attr]
    direction = t.direction or (lt.direction if lt else "at_least")
    return _Resolved(measure, name, threshold, direction == "at_least")


def build_letter(
    data: ReportData, profile: LetterProfile, *, issued: date, number: str = ""
) -> LetterContent:
    """The whole letter from ``data`` and ``profile`` (``issued``: the date written on it)."""
    s = data.sender
    estimate = data.origin.is_estimate or s.origin.is_estimate
    notes = list(data.notes)
    sender = unit_name(s.name)
    province = unit_name(data.province) if data.province else ""
    cutoff_moment = s.origin.cutoff or data.origin.cutoff
    cutoff = cutoff_time(cutoff_moment.astimezone(VN_TZ)) if cutoff_moment else ""
    recipients = [r for r in profile.recipients if r.kind is None or r.kind in data.child_kinds]
    if not recipients:
        recipients = list(profile.recipients)
    values: dict[str, str] = {
        "period": data.period.label,
        "period_words": data.period.words,
        "previous_period": data.period.previous().label,
        "sender": sender,
        "sender_upper": sender.upper(),
        "sender_area": area_name(s.name),
        "sender_area_upper": area_name(s.name).upper(),
        "province": area_name(province) if province else "",
        "province_upper": area_name(province).upper() if province else "",
        "place": place_name(province if s.kind == "agency" and province else s.name),
        "audience": "",
        "heads": "",
        "number": number,
        "number_prefix": profile.number_prefix,
        "date_short": document_date(issued),
        "total": number_text(s.total),
        "band": s.band.label if s.band else "",
        "rank": str(s.rank or ""),
        "peers": str(s.peers),
        "peer_label": kind_label(s.kind),
        "cutoff": cutoff,
        "estimate_mark": ESTIMATE_MARK if estimate else "",
    }
    if profile.place:
        values["place"] = fill(profile.place, values)
    values["audience"] = join_words([mid_sentence(fill(r.text, values)) for r in recipients])
    values["heads"] = join_words([mid_sentence(fill(r.head or r.text, values)) for r in recipients])
    # the letter's heading
    issuer = tuple(fill(x, values) for x in profile.issuer.name)
    issuer_parent = fill(profile.issuer.parent, values) if not unnamed(profile.issuer.parent, values) else None
    number_line = f"Số: {number}/{fill(profile.number_prefix, values)}" if number else (
        f"Số:      /{fill(profile.number_prefix, values)}"
    )
    abstract = fill(profile.abstract, values)
    place_date = f"{values['place']}, {date_in_words(issued)}"
    # results paragraph
    rank_text = ""
    if s.rank is not None and s.peers >= 2:
        rank_text = fill(profile.rank, values)
    else:
        notes.append(f"Không xếp hạng được {sender} trong {kind_label(s.kind)}: thiếu kết quả của các đơn vị cùng cấp.")
    trend, score_change, rank_change = _trend(data, profile, values)
    results_values = {
        **values,
        "source_basis": fill(profile.source_basis.local if estimate else profile.source_basis.official, values),
        "rank_text": rank_text,
        "trend": trend,
        "cutoff_text": fill(profile.estimate_cutoff if estimate else profile.cutoff, values) if cutoff else "",
    }
    left_out = [x for x in (profile.issuer.parent, *profile.cc) if unnamed(x, values)]
    if left_out:
        notes.append(f"Chưa biết tỉnh của {sender} (nhập kết quả hoặc tệp đơn vị có tỉnh): bỏ dòng "
                     + "; ".join(f"'{x}'" for x in left_out) + ".")  # fmt: skip
    body: list[Paragraph] = [Paragraph(fill(x, values)) for x in profile.legal_bases]
    body.append(Paragraph(fill(profile.results, results_values)))
    if estimate:
        body.append(Paragraph(fill(profile.estimate_note, values), Style.NOTE))
    findings = []
    local_cut = data.local_origin.cutoff if data.local_origin else None
    local_mark = fill(profile.local_figures, {**values, "local_cutoff": cutoff_time(local_cut.astimezone(VN_TZ))}) if (
        local_cut and not estimate) else ""  # fmt: skip
    for t in profile.targets:
        found = _finding(t, data, values, {r.kind: fill(r.text, values) for r in recipients if r.kind}, local_mark)
        if isinstance(found, str):
            notes.append(found)
        elif found is not None:
            findings.append(found)
    if findings:
        body.append(Paragraph(fill(profile.findings.intro, values)))
        body.extend(Paragraph(f.sentence) for f in findings)
    elif profile.targets:
        body.append(Paragraph(fill(profile.findings.none, values)))
    if profile.findings.appendix_note:
        body.append(Paragraph(fill(profile.findings.appendix_note, values), Style.NOTE))
    body.append(Paragraph(fill(profile.directives.intro, values)))
    body.extend(
        Paragraph(f"{i}. {fill(text, values)}", Style.DIRECTIVE) for i, text in enumerate(profile.directives.items, 1)
    )
    body.append(Paragraph(fill(profile.closing, values)))
    recipient_lines = tuple(
        f"- {fill(r.text, values)}{'.' if i == len(recipients) - 1 else ';'}" for i, r in enumerate(recipients)
    )
    appendix = build_appendix(data, profile, values, estimate)
    summary = Summary(
        sender=sender,
        kind=s.kind,
        period=data.period.label,
        total=s.total,
        band=s.band.label if s.band else None,
        rank=s.rank if rank_text else None,
        peers=s.peers,
        peer_label=kind_label(s.kind),
        score_change=score_change,
        rank_change=rank_change,
        previous_period=data.period.previous().label,
        cutoff=cutoff,
        estimate=estimate,
        weakest=_weakest(data),
        actions=best_actions(data),
        day_score_change=data.day.score if data.day else None,
        day_rank_change=data.day.rank if data.day else None,
        day_since=cutoff_time(data.day.since.astimezone(VN_TZ)) if data.day else "",
    )
    return LetterContent(
        issuer_parent=issuer_parent,
        issuer=issuer,
        number=number_line,
        abstract=abstract,
        place_date=place_date,
        recipients=recipient_lines,
        body=tuple(body),
        cc=tuple(f"- {fill(x, values)}" for x in profile.cc if not unnamed(x, values)),
        signer=tuple(fill(x, values) for x in profile.signer.lines),
        signer_name=fill(profile.signer.name, values),
        appendix=appendix,
        findings=findings,
        summary=summary,
        estimate=estimate,
        notes=notes,
    )


def number_text(value: Decimal | None) -> str:
    """A score as letters write it: always two decimals ('63,31', '70,00')."""
    return number(value, 2, trim=False)


def _trend(
    data: ReportData, profile: LetterProfile, values: dict[str, str]
) -> tuple[str, Decimal | None, int | None]:
    s, p = data.sender, data.previous
    if p is None or s.total is None or p.total is None:
        return fill(profile.trend.unknown, values), None, None
    diff = s.total - p.total
    places = None
    if s.rank is not None and p.rank is not None and p.peers >= 0.8 * s.peers:
        places = p.rank - s.rank
    move = ""
    if places is not None:
        key = "up" if places > 0 else "down" if places < 0 else "same"
        move = fill(getattr(profile.rank_move, key), {**values, "places": str(abs(places))})
        move = (" " if move and move[0].isalnum() else "") + move
    trend_values = {
        **values,
        "score_change": number(abs(diff)),
        "previous_total": number_text(p.total),
        "previous_rank": str(p.rank or ""),
        "rank_move": move,
    }
    pairs = [(g.score, p.groups[c].score) for c, g in s.groups.items() if c in p.groups]
    known = [(a, b) for a, b in pairs if a is not None and b is not None]
    if known and all(a > b for a, b in known) and diff > 0:
        key = "all_up"
    else:
        key = "up" if diff > 0 else "down" if diff < 0 else "same"
    return fill(getattr(profile.trend, key), trend_values), diff, places


def _considered(t: Target, r: _Resolved, views: list[UnitView]) -> list[tuple[UnitView, Line, Decimal]]:
    """The units a target looks at that have a figure for it."""
    out = []
    for view in views:
        if view.kind not in t.applies_to:
            continue
        line = line_of(view, r.measure)
        value = None if line is None else ratio_percent(line)
        if line is not None and value is not None:
            out.append((view, line, value))
    return out


def _finding(
    t: Target, data: ReportData, values: dict[str, str], recipients_by_kind: dict[str | None, str], local_mark: str = ""
) -> Finding | str | None:
    """The sentence for one target, None when every unit meets it, or a note when there is no figure. A target the
    portal does not publish is read from the one-stop system's figures of the same units, marked with ``local_mark``."""
    r = resolve_target(t, data)
    considered = _considered(t, r, data.subjects)
    local = False
    if not considered and local_mark:
        considered = _considered(t, r, data.local_subjects)
        local = bool(considered)
    source = ESTIMATE_MARK if data.origin.is_estimate else "kết quả chính thức"
    if local_mark and not local:
        source += " và số liệu hồ sơ"
    if not considered:
        return nfc(f"Chỉ tiêu '{r.name}' ({r.measure}) không có số liệu trong {source}: không đưa vào công văn.")
    short: list[ShortUnit] = []
    for view, line, value in considered:
        met = value >= r.threshold if r.at_least else value <= r.threshold
        if met:
            continue
        count = _count_short(line, r) if t.show == "count" else None
        shown = f"{integer(count)} hồ sơ" if count is not None else percent(value)
        short.append(ShortUnit(unit_name(view.name), view.unit, shown, value, count))
    if not short:
        return None
    if t.order == "worst_first":
        short.sort(key=lambda u: (u.ratio if r.at_least else -(u.ratio or 0)) or Decimal(0))
    threshold = percent(r.threshold)
    kinds = list(dict.fromkeys(v.kind for v, _, _ in considered))
    audience = join_words([mid_sentence(recipients_by_kind[k]) for k in kinds if k in recipients_by_kind])
    listed = short[: t.limit] if t.limit else short
    items = [
        fill(t.item, {"unit": mid_sentence(u.unit), "value": u.value, "metric": r.name, "threshold": threshold})
        for u in listed
    ]
    if len(listed) < len(short):
        items.append(fill(t.more, {"count": str(len(short) - len(listed))}))
    collective = len(considered) > 1 and len(short) == len(considered) and bool(audience)
    target_values = {
        **values,
        "audience": audience or values["audience"],
        "units": ", ".join(items),
        "metric": r.name,
        "threshold": threshold,
        "count": str(len(short)),
    }
    sentence = fill(t.all_short if collective else t.units_short, target_values)
    if local:
        sentence = _marked(sentence, local_mark)
    return Finding(t.metric, r.name, r.threshold, t.show, len(considered), short, collective, sentence, local)


def _marked(sentence: str, mark: str) -> str:
    """The mark before the sentence's final stop: '…, UBND xã Hiệp Thạnh 44 hồ sơ (số liệu của …)."""
    if sentence[-1:] in ".;":
        return tidy(f"{sentence[:-1]} {mark}{sentence[-1]}")
    return tidy(f"{sentence} {mark}")


def _count_short(line: Line, r: _Resolved) -> int | None:
    """Dossiers missing to reach the threshold (at least), or over it (at most)."""
    if line.numerator is None or line.denominator is None:
        return None
    need = Fraction(r.threshold) / 100 * line.denominator
    if r.at_least:
        return max(math.ceil(need) - int(line.numerator), 0)
    return max(int(line.numerator) - math.floor(need), 0)


def build_appendix(data: ReportData, profile: LetterProfile, values: dict[str, str], estimate: bool) -> Appendix:
    units = []

    def label(kind: str) -> str:  # a district's agencies are its 'cơ quan chuyên môn'
        return "cơ quan chuyên môn huyện" if kind == "agency" and data.sender.kind == "district" else kind_label(kind)

    ordered = sorted(
        data.subjects, key=lambda v: (_kind_order(v.kind), v.rank is None, v.rank or 0, v.name)
    )
    for v in ordered:
        rows = []
        for line in v.lines:
            if line.metric is not None and line.max == 0:
                continue  # monitoring figures carry no points
            rows.append(
                AppendixRow(
                    unit_code=v.unit,
                    unit_name=unit_name(v.name),
                    kind=label(v.kind),
                    total=v.total,
                    band=v.band.label if v.band else None,
                    rank=v.rank,
                    peers=v.peers,
                    group=line.group,
                    metric_code=line.code,
                    metric_name=line.name,
                    numerator=_plain(line.numerator),
                    denominator=_plain(line.denominator),
                    ratio=ratio_percent(line),
                    score=line.score,
                    max=line.max,
                    note=line.status.label,
                )
            )
        groups = {code: g.score for code, g in v.groups.items()}
        units.append(
            AppendixUnit(v.unit, unit_name(v.name), label(v.kind), v.total,
                         v.band.label if v.band else None, v.rank, v.peers, rows, groups)
        )  # fmt: skip
    subtitle = fill(profile.appendix.subtitle, values)
    if estimate:
        subtitle = f"{subtitle} ({ESTIMATE_MARK})"
    groups = [(g.code, g.name) for g in data.methodology.groups]
    return Appendix(
        fill(profile.appendix.title, values), subtitle, fill(profile.appendix.reference, values), units, groups
    )


def _kind_order(kind: str) -> int:
    order = ("province", "agency", "district", "commune")
    return order.index(kind) if kind in order else len(order)


def _weakest(data: ReportData) -> list[tuple[str, Decimal | None]]:
    units = [v for v in data.subjects if v.unit != data.sender.unit and v.total is not None]
    units.sort(key=lambda v: (v.total, v.name))
    return [(unit_name(v.name), v.total) for v in units[:3]]


def best_actions(data: ReportData, limit: int = 3) -> list[Action]:
    """The actions that win most points back: the sender's own metrics when published, else its units'."""
    others = (a for v in data.subjects if v.unit != data.sender.unit for a in _actions(v, with_unit=True))
    found = _actions(data.sender, with_unit=False) or list(others)
    found.sort(key=lambda a: (-a.gain, a.unit, a.metric))
    # different metrics first (three actions on one metric say less), then the next best
    chosen: list[Action] = []
    for a in found:
        if len(chosen) < limit and a.metric not in {c.metric for c in chosen}:
            chosen.append(a)
    chosen += [a for a in found if a not in chosen][: limit - len(chosen)]
    return sorted(chosen, key=lambda a: -a.gain)


def _actions(view: UnitView, *, with_unit: bool) -> list[Action]:
    out = []
    for e in explain(view.lines):
        r, m = e.restore, e.line.metric
        if r is None or m is None or not e.lost or e.lost <= 0:
            continue
        label = m.numerator_label or "mục"
        if r.improvement in (Improvement.FLIP, Improvement.CATALOGUE) and r.to_target:
            items, gain, what = r.to_target, e.lost, f"thêm {integer(r.to_target)} {label}"
        elif r.improvement is Improvement.FUTURE and r.new_to_target:
            items, gain, what = r.new_to_target, e.lost, f"thêm {integer(r.new_to_target)} {label} liên tiếp"
        elif r.improvement is Improvement.FUTURE and r.to_recover_half:
            items, gain = r.to_recover_half, to_decimal(e.lost / 2, 2)
            what = f"thêm {integer(r.to_recover_half)} {label} liên tiếp"
        else:
            continue
        out.append(Action(unit_name(view.name) if with_unit else "", e.line.name, items, nfc(what), gain))
    return out
