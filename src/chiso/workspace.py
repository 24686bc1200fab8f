"""The one façade that the command line, the web application and the reports call.

It owns the store and the settings and turns requests (import these files, rank these units, explain this
unit) into results built from the official and scoring layers. Edges never reach the store directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from chiso.domain.codes import NATIONAL
from chiso.domain.periods import Period
from chiso.domain.results import GroupScore, Origin, Source
from chiso.domain.units import UnitKind
from chiso.errors import ChisoError, InputFileError, NoDataError, UnknownUnitError
from chiso.methodology import load_methodology
from chiso.methodology.model import Methodology
from chiso.official.importer import ImportReport, parse_file, store_file
from chiso.scoring.explain import Explanation, Line, explain, lines_from_published
from chiso.scoring.rank import Band, Bands, Change, change, competition_ranks
from chiso.scoring.verify import Verification, verify_units
from chiso.settings import Settings, load_settings
from chiso.store import Store
from chiso.store import queries as q

KIND_ORDER = (UnitKind.PROVINCE, UnitKind.AGENCY, UnitKind.DISTRICT, UnitKind.COMMUNE)


@dataclass
class ImportOutcome:
    path: str
    report: ImportReport | None = None
    error: ChisoError | None = None


@dataclass
class VerifyResult:
    verification: Verification
    snapshots: dict[str, q.SnapshotInfo]
    tolerance: Decimal


@dataclass
class RankingRow:
    unit: str
    name: str
    kind: str
    value: Decimal | None  # what the rank is computed on (total or a group)
    total: Decimal | None
    band: Band | None
    rank: int | None
    groups: dict[str, Decimal | None]
    portal_rank: int | None
    portal_group_rank: int | None
    change: Change | None
    snapshot_id: str


@dataclass
class RankingTable:
    kinds: tuple[str, ...]
    rows: list[RankingRow]
    snapshot_ids: tuple[str, ...]
    captured_at: datetime | None
    baseline: str | None = None  # what changes are measured against, in words
    baseline_snapshot_ids: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        if len(self.kinds) == 1:
            return UnitKind(self.kinds[0]).plural_label.capitalize()
        return "Tất cả đơn vị"


@dataclass
class Ranking:
    period: Period
    parent: str
    by: str
    tables: list[RankingTable]
    group_codes: list[str]
    methodology: str


@dataclass(frozen=True)
class UnitInfo:
    code: str
    name: str
    kind: str
    parent: str | None

    @property
    def short_name(self) -> str:
        return self.name.split(" - ")[0].strip()


@dataclass
class UnitView:
    """One unit's result for a period, whatever its source: totals, groups, metric lines, rank among peers."""

    unit: str
    name: str
    kind: str
    parent: str | None
    total: Decimal | None
    band: Band | None
    rank: int | None  # among units of the same kind and parent
    peers: int
    groups: dict[str, GroupScore]
    lines: list[Line]
    origin: Origin
    portal_rank: int | None = None
    itemised: bool = True

    @property
    def short_name(self) -> str:
        return self.name.split(" - ")[0].strip()


@dataclass
class ResultSet:
    period: Period
    parent: str
    methodology: Methodology
    origin: Origin
    units: list[UnitView]

    def unit(self, code: str) -> UnitView:
        for u in self.units:
            if u.unit == code:
                return u
        raise UnknownUnitError(f"Không có đơn vị mã {code} trong kết quả {self.period.label}")

    def of_kind(self, kind: str) -> list[UnitView]:
        return [u for u in self.units if u.kind == kind]


@dataclass
class UnitExplanation:
    view: UnitView
    methodology: Methodology
    explanations: list[Explanation]
    lost_total: Decimal = field(default=Decimal(0))

    @property
    def origin(self) -> Origin:
        return self.view.origin


class Workspace:
    """Settings + store + the operations users ask for."""

    def __init__(self, db: str | Path | None = None, settings: Settings | None = None) -> None:
        self.settings = settings or load_settings(db=str(db) if db is not None else None)
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.settings.db)
        return self._store

    @property
    def bands(self) -> Bands:
        return Bands(*self.settings.bands)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    # -- official import ----------------------------------------------------------------------------------
    def import_official(
        self,
        paths: Iterable[str | Path],
        *,
        period: Period | None = None,
        methodology: str | None = None,
        captured_at: datetime | None = None,
    ) -> list[ImportOutcome]:
        """Import each file on its own: a refused file stores nothing and does not stop the others."""
        outcomes = []
        for raw in paths:
            path = Path(raw)
            try:
                if not path.is_file():
                    raise InputFileError(
                        f"Không tìm thấy tệp {path}", file=str(path), place="đường dẫn", expected="một tệp có sẵn"
                    )
                parsed = parse_file(
                    path,
                    period=period,
                    methodology=methodology or self.settings.methodology,
                    captured_at=captured_at,
                )
                outcomes.append(ImportOutcome(str(path), report=store_file(self.store, parsed)))
            except ChisoError as exc:
                outcomes.append(ImportOutcome(str(path), error=exc))
        return outcomes

    def files(self) -> list[dict]:
        return q.files(self.store)

    def snapshots(self, period: str | None = None) -> list[q.SnapshotInfo]:
        return q.snapshots(self.store, period=period)

    def units(self) -> list[dict]:
        return q.known_units(self.store)

    # -- verify -------------------------------------------------------------------------------------------
    def verify(self, *, tolerance: Decimal | None = None, period: Period | None = None) -> VerifyResult:
        tol = self.settings.tolerance if tolerance is None else tolerance
        infos = {s.snapshot_id: s for s in q.snapshots(self.store, period=period.key if period else None)}
        by_method: dict[str, list[str]] = {}
        for s in infos.values():
            by_method.setdefault(s.methodology, []).append(s.snapshot_id)
        result = Verification()
        for name, ids in sorted(by_method.items()):
            units = q.published_units(self.store, ids)
            result.merge(verify_units(units, load_methodology(name), tol))
        return VerifyResult(result, infos, tol)

    # -- ranking ------------------------------------------------------------------------------------------
    def _resolve_parent(self, parent: str | None, period: Period | None) -> str:
        if parent is not None:
            return parent
        found = q.candidates(self.store, parent=None, kinds=None, period=period.key if period else None)
        if not found:
            raise NoDataError(
                "Chưa có kết quả chính thức nào trong kho" + (f" cho {period.label}" if period else ""),
                hint="Nhập kết quả của Cổng DVCQG trước: chiso import-official TỆP...",
            )
        parents = {
            r["parent_code"]
            for r in q.unit_rows(self.store, [c.snapshot_id for c in found])
            if r["parent_code"] is not None
        }
        local = sorted(p for p in parents if p != NATIONAL)
        if len(local) == 1:
            return local[0]
        if not local:
            return NATIONAL
        raise ChisoError(
            "Kho có kết quả của nhiều đơn vị cha; hãy chọn một bằng --parent",
            detail=f"parents: {', '.join([NATIONAL, *local] if NATIONAL in parents else local)}",
            hint=f"Ví dụ: --parent {local[0]} (đơn vị trực thuộc) hoặc --parent {NATIONAL} (các tỉnh, thành phố).",
        )

    def _kinds_present(self, parent: str, period: str) -> list[str]:
        found = q.candidates(self.store, parent=parent, kinds=None, period=period)
        present = {c.kind for c in found}
        return [str(k) for k in KIND_ORDER if str(k) in present]

    def latest_period(self, parent: str) -> Period:
        found = q.candidates(self.store, parent=parent, kinds=None)
        if not found:
            raise NoDataError(f"Chưa có kết quả chính thức nào của các đơn vị thuộc {parent}")
        return Period.parse(found[0].period)

    def ranking(
        self,
        *,
        period: Period | None = None,
        parent: str | None = None,
        kind: str = "apart",
        by: str = "total",
        compare: str = "auto",
    ) -> Ranking:
        """Rank the units of ``parent`` for ``period``.

        ``kind``: ``apart`` (one ranking per kind, as provinces publish them), ``all`` (one ranking), or one
        kind (``agency``, ``commune``, ``district``, ``province``). ``by``: ``total`` or a group code.
        ``compare``: ``auto`` (previous period if stored, else the previous capture of the same period),
        ``period``, ``snapshot``, ``none`` or a period such as ``2025-09``.
        """
        parent_code = self._resolve_parent(parent, period)
        chosen = period or self.latest_period(parent_code)
        present = self._kinds_present(parent_code, chosen.key)
        if not present:
            available = sorted({c.period for c in q.candidates(self.store, parent=parent_code, kinds=None)})
            raise NoDataError(
                f"Không có kết quả chính thức {chosen.label} cho các đơn vị thuộc {parent_code}",
                detail=f"periods stored: {', '.join(available) or 'none'}",
                hint="Chọn kỳ khác bằng --period, hoặc nhập thêm kết quả.",
            )
        if kind == "apart":
            kind_sets = [(k,) for k in present]
        elif kind == "all":
            kind_sets = [tuple(present)]
        else:
            if kind not in present:
                raise NoDataError(
                    f"Không có đơn vị loại '{kind}' thuộc {parent_code} trong {chosen.label}",
                    detail=f"kinds present: {', '.join(present)}",
                )
            kind_sets = [(kind,)]
        methodology = self._methodology_of(parent_code, chosen)
        by_code = "total" if by.lower() == "total" else methodology.group(by.upper()).code
        tables = []
        for kinds in kind_sets:
            ids = self._pick_snapshots(parent_code, chosen.key, kinds)
            table = self._rank_table(ids, parent_code, kinds, by_code)
            self._attach_changes(table, parent_code, chosen, kinds, by_code, compare)
            tables.append(table)
        return Ranking(chosen, parent_code, by_code, tables, [g.code for g in methodology.groups], methodology.name)

    def _methodology_of(self, parent: str, period: Period) -> Methodology:
        found = q.candidates(self.store, parent=parent, kinds=None, period=period.key)
        infos = q.snapshots(self.store, snapshot_ids=[found[0].snapshot_id]) if found else []
        name = infos[0].methodology if infos else (self.settings.methodology or "dvcqg-live")
        return load_methodology(name)

    def _pick_snapshots(
        self, parent: str, period: str, kinds: Sequence[str], *, before: datetime | None = None
    ) -> list[str]:
        """The newest snapshot for each kind (optionally captured before ``before``)."""
        chosen: dict[str, str] = {}
        for c in q.candidates(self.store, parent=parent, kinds=kinds, period=period):
            if before is not None and c.captured_at >= before:
                continue
            chosen.setdefault(c.kind, c.snapshot_id)
        return [chosen[k] for k in kinds if k in chosen]

    def _rank_table(self, ids: Sequence[str], parent: str, kinds: tuple[str, ...], by: str) -> RankingTable:
        """Rank the units of ``parent`` and ``kinds`` found in snapshots ``ids`` by ``by`` (total or group)."""
        units = [r for r in q.unit_rows(self.store, ids) if r["parent_code"] == parent and r["kind"] in kinds]
        groups: dict[tuple[str, str], dict[str, Decimal | None]] = {}
        for g in q.group_rows(self.store, ids):
            groups.setdefault((g["snapshot_id"], g["unit_code"]), {})[g["group_code"]] = q.plain(g["score"])
        rows = []
        for r in units:
            gs = groups.get((r["snapshot_id"], r["unit_code"]), {})
            total = q.plain(r["total"])
            rows.append(
                RankingRow(
                    unit=r["unit_code"],
                    name=r["unit_name"],
                    kind=r["kind"],
                    value=total if by == "total" else gs.get(by),
                    total=total,
                    band=self.bands.of(total),
                    rank=None,
                    groups=gs,
                    portal_rank=r["portal_rank"],
                    portal_group_rank=r["portal_group_rank"],
                    change=None,
                    snapshot_id=r["snapshot_id"],
                )
            )
        for row, rank in zip(rows, competition_ranks([x.value for x in rows]), strict=True):
            row.rank = rank
        rows.sort(key=lambda x: (x.rank is None, x.rank or 0, x.portal_rank or 0, x.name))
        infos = q.snapshots(self.store, snapshot_ids=list(ids))
        captured = max((i.captured_at for i in infos), default=None)
        return RankingTable(kinds, rows, tuple(ids), captured)

    def _attach_changes(
        self, table: RankingTable, parent: str, period: Period, kinds: tuple[str, ...], by: str, compare: str
    ) -> None:
        mode = compare.lower()
        if mode == "none" or not table.rows:
            return
        baseline: RankingTable | None = None
        label = None
        previous_period = period.previous() if mode in ("auto", "period") else None
        if mode not in ("auto", "period", "snapshot"):
            previous_period = Period.parse(compare)
        previous_ids = self._pick_snapshots(parent, previous_period.key, kinds) if previous_period else []
        if previous_period is not None and previous_ids:
            baseline = self._rank_table(previous_ids, parent, kinds, by)
            label = f"so với {previous_period.label}"
        elif mode in ("auto", "snapshot") and table.captured_at is not None:
            older = self._pick_snapshots(parent, period.key, kinds, before=table.captured_at)
            if older:
                baseline = self._rank_table(older, parent, kinds, by)
                when = baseline.captured_at
                label = "so với lần cập nhật trước" + (f" ({when:%d/%m/%Y})" if when else "")
        if baseline is None:
            return
        previous = {r.unit: r for r in baseline.rows}
        # A rank is only comparable with a ranking of (nearly) the same units: a one-row trend sheet is not one.
        comparable = len(baseline.rows) >= 0.8 * len(table.rows)
        for row in table.rows:
            before = previous.get(row.unit)
            if before is not None:
                row.change = change(row.value, row.rank, before.value, before.rank if comparable else None)
        if not comparable:
            label = (label or "") + " (chỉ so sánh điểm: kỳ trước không có đủ đơn vị để so sánh hạng)"
        table.baseline = label
        table.baseline_snapshot_ids = baseline.snapshot_ids

    # -- explain ------------------------------------------------------------------------------------------
    def explain(
        self, unit: str, *, period: Period | None = None, metric: str | None = None, source: str = "official"
    ) -> UnitExplanation:
        """Points lost per metric of ``unit``, largest first, with what restores them."""
        self._require_official(source)
        history = q.unit_snapshots(self.store, unit)
        if not history:
            raise UnknownUnitError(
                f"Không có đơn vị mã {unit} trong kho",
                hint="Xem danh sách đơn vị bằng: chiso units",
            )
        rows = [h for h in history if period is None or h["period"] == period.key]
        if not rows:
            periods = sorted({h["period"] for h in history})
            raise NoDataError(
                f"Không có kết quả của {unit} cho {period.label if period else 'kỳ đã chọn'}",
                detail=f"periods stored for {unit}: {', '.join(periods)}",
            )
        itemised = [h for h in rows if h["itemised"]] or rows
        latest = max(itemised, key=lambda h: (h["period_end"], h["captured_at"], h["snapshot_id"]))
        view = self._views([latest["snapshot_id"]], latest["parent_code"], latest["kind"], unit=unit)[0]
        methodology = load_methodology(view.origin.methodology)
        explanations = explain(view.lines)
        if metric is not None:
            wanted = metric.upper()
            explanations = [
                e for e in explanations if e.line.code == wanted or (e.line.metric and wanted in e.line.metric.aliases)
            ]
            if not explanations:
                raise ChisoError(
                    f"Không có chỉ số {metric} trong kết quả của {unit}",
                    detail=f"methodology {methodology.name}",
                    hint="Mã chỉ số xem bằng: chiso methodology show " + methodology.name,
                )
        lost = sum((e.lost for e in explanations if e.lost is not None), Decimal(0))
        return UnitExplanation(view, methodology, explanations, lost)

    # -- results for reports and pages --------------------------------------------------------------------
    def _require_official(self, source: str) -> None:
        if source != "official":
            raise NoDataError(
                "Chưa có số liệu tạm tính từ hồ sơ",
                hint="Nạp dữ liệu hồ sơ (chiso ingest) rồi tính (chiso compute) trước khi dùng --source local.",
            )

    def _origin(self, ids: Sequence[str]) -> Origin:
        infos = q.snapshots(self.store, snapshot_ids=list(ids))
        if not infos:
            raise NoDataError("Không có bộ số liệu")
        latest = max(infos, key=lambda i: i.captured_at)
        files = sorted({i.file_name for i in infos})
        return Origin(
            source=Source.OFFICIAL,
            period=latest.period,
            cutoff=latest.captured_at,
            methodology=latest.methodology,
            label=", ".join(files),
            snapshot_ids=tuple(i.snapshot_id for i in infos),
        )

    def _views(self, ids: Sequence[str], parent: str | None, kind: str, *, unit: str | None = None) -> list[UnitView]:
        """Unit views of one kind and parent from the given snapshots (ranked among themselves)."""
        origin = self._origin(ids)
        methodology = load_methodology(origin.methodology)
        rows = [r for r in q.unit_rows(self.store, ids) if r["kind"] == kind and r["parent_code"] == parent]
        ranks = competition_ranks([q.plain(r["total"]) for r in rows])
        wanted = [(r, rk) for r, rk in zip(rows, ranks, strict=True) if unit is None or r["unit_code"] == unit]
        published = {
            (p.snapshot, p.unit): p
            for p in q.published_units(self.store, ids, units=[r["unit_code"] for r, _ in wanted])
        }
        views = []
        for r, rank in wanted:
            p = published[(r["snapshot_id"], r["unit_code"])]
            groups = {}
            for g in methodology.groups:
                pg = p.group(g.code)
                groups[g.code] = GroupScore(g.code, pg.score if pg else None, g.max)
            views.append(
                UnitView(
                    unit=p.unit,
                    name=p.name,
                    kind=p.kind,
                    parent=parent,
                    total=p.total,
                    band=self.bands.of(p.total),
                    rank=rank,
                    peers=len(rows),
                    groups=groups,
                    lines=lines_from_published(p, methodology),
                    origin=origin,
                    portal_rank=r["portal_rank"],
                    itemised=p.itemised,
                )
            )
        return views

    def results(
        self, *, period: Period | None = None, parent: str | None = None, kind: str = "all", source: str = "official"
    ) -> ResultSet:
        """Every unit of ``parent`` for ``period`` with groups and metric lines (appendix, pages)."""
        self._require_official(source)
        parent_code = self._resolve_parent(parent, period)
        chosen = period or self.latest_period(parent_code)
        present = self._kinds_present(parent_code, chosen.key)
        kinds = present if kind in ("all", "apart") else [k for k in present if k == kind]
        if not kinds:
            raise NoDataError(f"Không có kết quả chính thức {chosen.label} cho các đơn vị thuộc {parent_code}")
        views: list[UnitView] = []
        ids: list[str] = []
        for k in kinds:
            picked = self._pick_snapshots(parent_code, chosen.key, (k,))
            ids.extend(picked)
            views.extend(self._views(picked, parent_code, k))
        origin = self._origin(ids)
        return ResultSet(chosen, parent_code, load_methodology(origin.methodology), origin, views)

    def unit_info(self, code: str) -> UnitInfo:
        for u in q.known_units(self.store):
            if u["unit_code"] == code:
                return UnitInfo(u["unit_code"], u["unit_name"], u["kind"], u["parent_code"])
        raise UnknownUnitError(f"Không có đơn vị mã {code} trong kho", hint="Xem danh sách đơn vị bằng: chiso units")

    def children(self, code: str) -> list[UnitInfo]:
        return [
            UnitInfo(u["unit_code"], u["unit_name"], u["kind"], u["parent_code"])
            for u in q.known_units(self.store)
            if u["parent_code"] == code
        ]

    def total_history(self, unit: str) -> list[tuple[str, datetime, Decimal | None]]:
        """(period, capture time, total) of every published row of ``unit``, oldest first (trend charts)."""
        return [(r["period"], r["captured_at"], q.plain(r["total"])) for r in q.unit_snapshots(self.store, unit)]
