"""The messages: the leader brief, the due-soon and overdue alerts, the monthly letter draft, a test message.

Everything is read through the workspace and the report package (``report.data.gather`` →
``report.content.build_letter`` → ``report.brief.brief_text``), never from the store. Messages carry unit names,
figures and dossier codes only: the store holds no applicant data (decision 0004) and nothing here asks for any.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from chiso.domain.periods import Period
from chiso.domain.times import VN_TZ
from chiso.domain.units import UnitKind
from chiso.errors import NoDataError, UnknownUnitError
from chiso.formatting import cutoff_time, integer, number, short_date
from chiso.notify.config import NotifyConfig
from chiso.notify.message import Message, NothingToSendError
from chiso.report.brief import brief_text
from chiso.report.content import build_letter, number_text
from chiso.report.data import ReportData, gather
from chiso.report.produce import APPENDIX, LETTER, PDF, ReportRequest, produce
from chiso.report.profile import default_profile, load_profile
from chiso.serialize import to_jsonable
from chiso.workspace import Workspace

MISSING = (NoDataError, UnknownUnitError)  # no figures for this unit yet: the message is skipped, not retried
ALERT_UNITS = 10  # units listed in an alert; the rest are counted
ALERT_CODES = 3  # most urgent dossier codes per unit
BAND_NAMES = {"agency": 3, "commune": 10}  # units named per kind in the brief's band line (peers.md §7.6)
STALE_DAYS = 3  # dossier data older than this is flagged in alerts
META = "meta.json"  # the letter set's description, as the web's letters page reads it (web/letters.py)


@dataclass
class ContentContext:
    """What builders share during one run: the workspace, the settings, the run's time and a few caches."""

    ws: Workspace
    config: NotifyConfig
    now: datetime
    letters_root: Path
    names: dict[str, str] = field(default_factory=dict)

    @property
    def today(self) -> str:
        return short_date(self.now.astimezone(VN_TZ).date())

    def name(self, code: str) -> str:
        if code not in self.names:
            try:
                self.names[code] = self.ws.find_unit(code).short_name
            except UnknownUnitError:
                self.names[code] = code
        return self.names[code]

    def link(self, path: str) -> str | None:
        return f"{self.config.base_url}{path}" if self.config.base_url else None


Builder = Callable[[ContentContext, str, str, str], Message]  # (context, unit, source, occurrence key)


def sources(source: str) -> tuple[str, ...]:
    """Sources to try in order: ``auto`` prefers the official figures and falls back to the local estimate."""
    return ("official", "local") if source == "auto" else (source,)


# -- the leader brief ------------------------------------------------------------------------------------------
def _brief_period(ws: Workspace, unit: str, source: str) -> Period:
    if source == "local":
        return ws.latest_local_period()
    return Period.parse(ws.explain(unit).view.origin.period)  # the unit's newest itemised result


def _gather(ctx: ContentContext, unit: str, source: str) -> tuple[ReportData, str]:
    last: Exception | None = None
    for src in sources(source):
        try:
            return gather(ctx.ws, unit, _brief_period(ctx.ws, unit, src), src), src
        except MISSING as exc:
            last = exc
    raise NoDataError(
        f"Chưa có số liệu để lập bản tin của {ctx.name(unit)}",
        detail=str(last) if last else None,
        hint="Nhập kết quả của Cổng DVCQG (chiso import-official) hoặc nạp hồ sơ (chiso ingest).",
    )


def brief(ctx: ContentContext, unit: str, source: str, occurrence: str) -> Message:
    data, src = _gather(ctx, unit, source)
    letter = build_letter(data, load_profile(default_profile(data.sender.kind)), issued=ctx.now.date())
    text = brief_text(letter)
    bands = band_lines(ctx.ws, data)
    if bands:
        text += "\n\n" + "\n".join(bands)
    s = letter.summary
    path = f"/units/{unit}" + ("?source=local" if src == "local" else "")
    facts = {
        "period": data.period.key, "period_label": data.period.label, "source": src, "estimate": s.estimate,
        "cutoff": data.origin.cutoff, "total": s.total, "band": s.band, "rank": s.rank, "peers": s.peers,
        "score_change": s.score_change, "rank_change": s.rank_change,
        "weakest": [{"name": n, "total": t} for n, t in s.weakest],
    }  # fmt: skip
    return Message(
        job="brief", title=f"Bản tin Bộ chỉ số — {ctx.name(unit)} — {ctx.today}", text=text, unit=unit,
        unit_name=ctx.name(unit), link=ctx.link(path), facts=to_jsonable(facts),
    )  # fmt: skip


def band_lines(ws: Workspace, data: ReportData) -> list[str]:
    """Per kind of sub-unit: how many are below the 'Tốt' band and how many between 'Tốt' and 'Xuất sắc'."""
    good, excellent = ws.bands.good, ws.bands.excellent
    out = []
    for kind, names in BAND_NAMES.items():
        units = [u for u in data.subjects if u.kind == kind and u.unit != data.sender.unit and u.total is not None]
        if not units:
            continue
        low = sorted((u for u in units if u.total < good), key=lambda u: (u.total, u.short_name))
        mid = [u for u in units if good <= u.total < excellent]
        label = UnitKind(kind).label.capitalize()
        line = f"{label} dưới {number(good)} điểm: {integer(len(low))}"
        if low:
            shown = ", ".join(u.short_name for u in low[:names])
            line += f" ({shown}{', …' if len(low) > names else ''})"
        line += f"; từ {number(good)} đến dưới {number(excellent)} điểm: {integer(len(mid))}."
        out.append(line)
    return out


# -- due-soon and overdue alerts ---------------------------------------------------------------------------------
def alerts(ctx: ContentContext, unit: str, source: str, occurrence: str) -> Message:
    hours = ctx.config.schedule.alert_hours
    items = ctx.ws.due_soon(unit, now=ctx.now, within_hours=hours)
    if not items:
        raise NothingToSendError(f"Không có hồ sơ quá hạn hoặc sắp đến hạn của {ctx.name(unit)}")
    per_unit: dict[str, list[Any]] = {}
    for item in items:  # most urgent first
        per_unit.setdefault(item.unit_code, []).append(item)
    late_total = sum(1 for i in items if i.state == "quá hạn")
    # most overdue first, then most open, then the most urgent dossier
    ranked = sorted(per_unit.items(), key=lambda kv: (-sum(i.state == "quá hạn" for i in kv[1]), -len(kv[1]),
                                                       kv[1][0].hours_left, ctx.name(kv[0])))  # fmt: skip
    lines = [
        f"HỒ SƠ CẦN XỬ LÝ — {ctx.name(unit)} — {ctx.today}",
        f"Quá hạn: {integer(late_total)} hồ sơ; sắp đến hạn (trong {number(hours)} giờ làm việc): "
        f"{integer(len(items) - late_total)} hồ sơ.",
        "",
    ]
    facts_units = []
    for code, its in ranked[:ALERT_UNITS]:
        late = sum(1 for i in its if i.state == "quá hạn")
        counts = ", ".join(p for p in (f"{integer(late)} quá hạn" if late else "",
                                        f"{integer(len(its) - late)} sắp đến hạn" if len(its) > late else "") if p)
        codes = "; ".join(_urgency(i) for i in its[:ALERT_CODES])
        lines.append(f"• {ctx.name(code)}: {counts} — {codes}")
        facts_units.append({"unit": code, "name": ctx.name(code), "overdue": late, "due_soon": len(its) - late,
                            "most_urgent": [i.dossier_code for i in its[:ALERT_CODES]]})  # fmt: skip
    rest = ranked[ALERT_UNITS:]
    if rest:
        lines.append(f"• … và {integer(len(rest))} đơn vị khác: {integer(sum(len(v) for _, v in rest))} hồ sơ.")
    cutoff = ctx.ws.local_status().get("cutoff")
    if cutoff is not None:
        when = cutoff_time(cutoff.astimezone(VN_TZ))
        lines += ["", f"Số liệu tạm tính từ hồ sơ của hệ thống một cửa, tính đến {when}."]
        if ctx.now - cutoff > timedelta(days=STALE_DAYS):
            lines.append("Lưu ý: dữ liệu hồ sơ đã cũ, hãy nạp tệp mới để danh sách đúng với thực tế.")
    return Message(
        job="alerts", title=f"Hồ sơ quá hạn, sắp đến hạn — {ctx.name(unit)} — {ctx.today}", text="\n".join(lines),
        unit=unit, unit_name=ctx.name(unit), link=ctx.link(f"/due?unit={unit}&hours={hours:g}"),
        facts=to_jsonable({"overdue": late_total, "due_soon": len(items) - late_total, "within_hours": hours,
                           "cutoff": cutoff, "units": facts_units}),
    )  # fmt: skip


def _urgency(item: Any) -> str:
    hours = number(abs(Decimal(str(item.hours_left))), 1)
    if item.state == "quá hạn":
        return f"{item.dossier_code} (quá hạn {hours} giờ làm việc)"
    return f"{item.dossier_code} (còn {hours} giờ làm việc)"


# -- the monthly letter draft ------------------------------------------------------------------------------------
def letter_id(unit: str, source: str, period: Period) -> str:
    """A stable folder name (one draft per unit, source and month), shaped as the web's letter ids."""
    digest = hashlib.sha256(f"{unit}|{source}|{period.key}".encode()).hexdigest()[:10]
    return f"{period.end + timedelta(days=1):%Y%m%d}T000000-n{digest}"


def letter(ctx: ContentContext, unit: str, source: str, occurrence: str) -> Message:
    period = Period.parse(occurrence)
    folder = ctx.letters_root / letter_id(unit, source, period)
    meta = _read_meta(folder) or _produce(ctx, unit, source, period, folder)
    files = [folder / f for f in (LETTER, PDF, APPENDIX) if f in meta["files"]]
    kind = "số liệu tạm tính, " + meta["cutoff_text"] if meta["estimate"] else "kết quả chính thức"
    what = ["công văn (Word)"] + (["bản PDF"] if PDF in meta["files"] else []) + ["phụ lục (Excel)"]
    text = "\n".join([
        f"DỰ THẢO CÔNG VĂN {meta['period_label'].upper()} — {meta['unit_name']}",
        f"Dự thảo công văn thông báo kết quả Bộ chỉ số {meta['period_label']} đã sẵn sàng ({kind}).",
        meta["summary"],
        "Gồm: " + ", ".join(what) + ".",
        "Văn thư, lãnh đạo kiểm tra, chỉnh sửa trước khi ký ban hành.",
    ])  # fmt: skip
    return Message(
        job="letter", title=f"Dự thảo công văn {meta['period_label']} — {meta['unit_name']}", text=text, unit=unit,
        unit_name=meta["unit_name"], link=ctx.link(f"/letters?unit={unit}"), attachments=tuple(files),
        facts={"period": period.key, "source": meta["source"], "estimate": meta["estimate"], "letter_id": meta["id"],
               "files": meta["files"]},
    )  # fmt: skip


def _read_meta(folder: Path) -> dict[str, Any] | None:
    try:
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) and "summary" in meta else None


def _produce(ctx: ContentContext, unit: str, source: str, period: Period, folder: Path) -> dict[str, Any]:
    last: Exception | None = None
    for src in sources(source):
        try:
            outcome = produce(ctx.ws, ReportRequest(unit, period, folder, source=src, pdf=ctx.config.letter_pdf))
        except MISSING as exc:
            last = exc
            shutil.rmtree(folder, ignore_errors=True)
            continue
        s = outcome.letter.summary
        summary = f"{s.sender}: {number_text(s.total)}/100 điểm" + (f" ({s.band})" if s.band else "")
        if s.rank is not None:
            summary += f", xếp thứ {s.rank}/{s.peers} {s.peer_label}"
        meta = {
            "id": folder.name, "unit": unit, "unit_name": ctx.name(unit), "period": period.key,
            "period_label": period.label, "source": src, "created_at": datetime.now(UTC).isoformat(),
            "created_by": "chiso notify", "files": sorted(p.name for p in folder.iterdir() if p.is_file()),
            "summary": summary + ".", "estimate": outcome.letter.estimate, "cutoff_text": f"tính đến {s.cutoff}",
        }  # fmt: skip
        (folder / META).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
        return meta
    raise NoDataError(
        f"Chưa có số liệu {period.label} để lập dự thảo công văn của {ctx.name(unit)}",
        detail=str(last) if last else None,
    )


# -- the test message --------------------------------------------------------------------------------------------
def test(channel_label: str, now: datetime) -> Message:
    moment = now.astimezone(VN_TZ)
    return Message(
        job="test",
        title="chiso: tin nhắn thử",
        text=f"chiso: tin nhắn thử qua {channel_label} lúc {moment:%H:%M} ngày {short_date(moment.date())}. "
        "Nhận được tin này nghĩa là kênh gửi đã thông suốt.",
        facts={"test": True},
    )
