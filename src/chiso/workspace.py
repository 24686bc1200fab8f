"""The one façade that the command line, the web application and the reports call.

It owns the store and the settings and turns requests (import these files, rank these units, explain this
unit) into results built from the official and scoring layers. Edges never reach the store directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from chiso.domain.codes import NATIONAL, is_province_code, normalise_unit_code
from chiso.domain.periods import Period
from chiso.domain.results import FigureStatus, GroupScore, Origin, Source
from chiso.domain.times import VN_TZ
from chiso.domain.units import Unit, UnitKind
from chiso.domain.unittree import UnitTree
from chiso.engine import drill
from chiso.engine.compute import LocalRun, LocalUnit, compute_local
from chiso.engine.inherited import province_figures
from chiso.engine.metrics import MEASURE_METRICS, Measure
from chiso.engine.predicates import ON_TIME_RULES, Window
from chiso.errors import ChisoError, InputFileError, NoDataError, UnknownUnitError
from chiso.ingest import current
from chiso.ingest.run import (
    CheckedFile,
    IngestReport,
    RejectRow,
    ingest_path,
    load_mapping,
    loaded_before,
    read_file,
    store_checked,
)
from chiso.methodology import load_methodology
from chiso.methodology.model import Methodology
from chiso.official.api_files import RawFile, import_raw, sniff
from chiso.official.api_import import SCOPES
from chiso.official.api_store import captures, confirmations, department_map
from chiso.official.importer import ImportReport, parse_file, store_file
from chiso.portal.client import PortalClient
from chiso.portal.fetch import FetchReport, run_fetch, store_run
from chiso.portal.plan import DEFAULT_BASE_URL, offered
from chiso.scoring.explain import Basis, Explanation, Line, explain, lines_from_published, lines_from_score
from chiso.scoring.rank import Band, Bands, Change, change, competition_ranks
from chiso.scoring.verify import Verification, verify_units
from chiso.settings import Settings, load_settings
from chiso.store import Store
from chiso.store import queries as q
from chiso.unitmap.directory import UnitDirectory
from chiso.workdays import OfficeHours, Override, WorkCalendar

__all__ = ["IngestReport", "RejectRow", "Workspace"]

KIND_ORDER = (UnitKind.PROVINCE, UnitKind.AGENCY, UnitKind.DISTRICT, UnitKind.COMMUNE)

log = logging.getLogger("chiso")


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
    kind: UnitKind
    value: Decimal | None  # what the rank is computed on (total or a group)
    total: Decimal | None
    band: Band | None
    rank: int | None
    groups: dict[str, Decimal | None]
    portal_rank: int | None
    portal_group_rank: int | None
    change: Change | None
    snapshot_id: str
    day_change: Change | None = None  # since the previous capture of the same period (day over day)

    @property
    def portal_order(self) -> int | None:
        """The rank the portal prints: its rank within the group when published, else its list order."""
        return self.portal_group_rank or self.portal_rank


@dataclass
class RankingTable:
    kinds: tuple[str, ...]
    rows: list[RankingRow]
    snapshot_ids: tuple[str, ...]
    captured_at: datetime | None
    baseline: str | None = None  # what changes are measured against, in words
    baseline_snapshot_ids: tuple[str, ...] = ()
    day_baseline: datetime | None = None  # capture time of the previous capture (day-over-day changes)
    day_snapshot_ids: tuple[str, ...] = ()
    checked_at: datetime | None = None  # newest capture that found the same figures (portal-api.md §9.5)

    @property
    def day_columns(self) -> bool:
        """Whether day-over-day changes add anything beside the changes shown (they differ in baseline)."""
        return self.day_baseline is not None and self.day_snapshot_ids != self.baseline_snapshot_ids

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


@dataclass
class UnitView:
    """One unit's result for a period, whatever its source: totals, groups, metric lines, rank among peers."""

    unit: str
    name: str
    kind: UnitKind
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
    extras: dict[str, Measure] = field(default_factory=dict)  # local extra measures (no points)

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
        self._local_cache: dict[tuple, LocalRun] = {}  # local runs by (period, rule, as_of), until the next ingest
        self.directory = UnitDirectory(lambda: self.store)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.settings.db)
            # the derived tables miss committed ingests (a crash before their rebuild, or an older chiso's store):
            # finish them before serving anything (docs/guarantees.md)
            if current.is_stale(self._store):
                versions = self._store.table("dossier_version").count().to_pyarrow().as_py() or 0
                log.warning("Bảng hồ sơ hiện hành chưa có mọi dữ liệu đã nạp (lần nạp trước bị ngắt, hoặc kho do "
                            "phiên bản chiso cũ hơn ghi): đang dựng lại từ %s bản ghi hồ sơ…",
                            f"{versions:,}".replace(",", "."))  # fmt: skip
                self.refresh(only_if_stale=True)
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
        write_lock: AbstractContextManager[object] | None = None,
    ) -> list[ImportOutcome]:
        """Import each file on its own: a refused file stores nothing and does not stop the others.

        ``write_lock`` (the web's upload lock) is held only while a parsed file is stored, never while it is read.
        Raw responses of the portal's API (the ``{"code","data","message"}`` envelope) are read together: those of
        one period and capture time combine into one capture (official/api_files.py)."""
        outcomes: list[ImportOutcome] = []
        raw_files: list[RawFile] = []
        for raw in paths:
            path = Path(raw)
            try:
                if not path.is_file():
                    raise InputFileError(
                        f"Không tìm thấy tệp {path}", file=str(path), place="đường dẫn", expected="một tệp có sẵn"
                    )
                sniffed = sniff(path, path.read_bytes()) if path.suffix.lower() == ".json" else None
                if sniffed is not None:
                    raw_files.append(sniffed)
                    outcomes.append(ImportOutcome(str(path)))
                    continue
                parsed = parse_file(
                    path,
                    period=period,
                    methodology=methodology or self.settings.methodology,
                    captured_at=captured_at,
                    limits=self.settings.xlsx_limits,
                )
                with write_lock or nullcontext():
                    outcomes.append(ImportOutcome(str(path), report=store_file(self.store, parsed)))
            except ChisoError as exc:
                outcomes.append(ImportOutcome(str(path), error=exc))
        if raw_files:
            chooser = _chooser(methodology or self.settings.methodology)
            with write_lock or nullcontext():
                done = {o.path: o for o in import_raw(self.store, raw_files, period=period, captured_at=captured_at,
                                                      methodology_for=chooser)}  # fmt: skip
            for o in outcomes:
                if o.path in done:
                    o.report, o.error = done[o.path].report, done[o.path].error
        return outcomes

    def files(self) -> list[dict]:
        return q.files(self.store)

    # -- portal connector (docs/portal.md) -----------------------------------------------------------------
    def fetch_portal(
        self,
        province: str,
        *,
        period: Period | None = None,
        scope: str = "all",
        national: bool = False,
        base_url: str | None = None,
        timeout: float | None = None,
        client: PortalClient | None = None,
        now: datetime | None = None,
    ) -> FetchReport:
        """Fetch ``province``'s results for ``period`` (default: the current year) from the portal and store them
        as one capture: published only when every endpoint answered in full; unchanged figures add nothing but
        the newer capture time. Never raises for the portal's failures: they are in the report (``missing``)."""
        moment = now or datetime.now(UTC)
        today = moment.astimezone(VN_TZ).date()
        chosen = period or Period.year(today.year)
        offered(chosen, today)
        if scope not in SCOPES:
            raise ChisoError(f"Phạm vi không hợp lệ: {scope}", hint="Dùng --scope all, agencies hoặc communes.")
        code = normalise_unit_code(province.strip())
        if not is_province_code(code):
            raise ChisoError(f"Mã tỉnh không hợp lệ: {province}", hint="Mã tỉnh của Cổng DVCQG, ví dụ H44 (Phú Thọ).")
        methodology = _chooser(self.settings.methodology)(chosen)
        own = client is None
        c = client or PortalClient(base_url or DEFAULT_BASE_URL, **({"timeout": timeout} if timeout else {}))
        try:
            run = run_fetch(c, province=code, period=chosen, methodology=methodology, national=national,
                            known_ids=department_map(self.store))  # fmt: skip
        finally:
            if own:
                c.close()
        return store_run(self.store, run, period=chosen, methodology=methodology, scope=scope, started_at=moment,
                         finished_at=c.now(), base_url=c.base_url, requests=c.requests)  # fmt: skip

    def captures(self, period: str | None = None) -> list[dict]:
        """Every fetch run and import of raw responses, newest first, with its status and what was missing."""
        return captures(self.store, period=period)

    def snapshots(self, period: str | None = None) -> list[q.SnapshotInfo]:
        return q.snapshots(self.store, period=period)

    # -- units: one tree of both code systems (domain/unittree.py, docs/units.md) ------------------------------
    def unit_tree(self) -> UnitTree:
        """Every unit known to the store, built once per data version."""
        return self.directory.tree()

    def find_unit(self, text: str) -> Unit:
        """A unit by any of its codes or its name ('Vân Canh'); a clear error when unknown or ambiguous."""
        return self.unit_tree().find(text)

    def units(self) -> list[dict]:
        """Every unit (official and local), with its other codes and how the two code systems met."""
        tree = self.unit_tree()
        return [{"unit_code": u.code, "unit_name": u.name, "kind": u.kind, "parent_code": u.parent_code,
                 "aliases": list(u.aliases), "official": u.official, "local": u.local, "state": tree.state(u.code)}
                for u in sorted(tree, key=lambda u: u.code)]  # fmt: skip

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
    # Published rows are read through the unit tree: a row's kind and parent are its unit's (one rule for every
    # query: 'UBND thành phố X' in a district list is a district whatever an older import stored).
    def _placed(self, rows: Iterable[dict]) -> list[dict]:
        tree = self.unit_tree()
        return [{**r, "kind": str(node.kind), "parent_code": node.parent_code}
                for r in rows if (node := tree.get(r["unit_code"])) is not None]  # fmt: skip

    def _rows_of(self, ids: Sequence[str], parent: str | None, kinds: Sequence[str]) -> list[dict]:
        """The published rows of the units of ``parent`` and ``kinds`` in snapshots ``ids``."""
        rows = self._placed(q.unit_rows(self.store, ids))
        return [r for r in rows if r["parent_code"] == parent and r["kind"] in kinds]

    def _candidates(
        self, parent: str | None, kinds: Sequence[str] | None = None, period: str | None = None
    ) -> list[q.Candidate]:
        """Snapshots holding units of ``parent`` (of ``kinds``), one per (snapshot, kind), newest first."""
        groups: dict[tuple[str, str], list] = {}  # filtered here: a list of codes costs more to compile than to read
        for r in self._placed(q.appearances(self.store, period=period)):
            if (parent is None or r["parent_code"] == parent) and (not kinds or r["kind"] in kinds):
                groups.setdefault((r["snapshot_id"], r["kind"]), [r, 0])[1] += 1
        found = [(r["period_end"], q.Candidate(sid, kind, r["captured_at"], r["period"], n))
                 for (sid, kind), (r, n) in sorted(groups.items())]  # fmt: skip
        found.sort(key=lambda x: (x[0], x[1].captured_at, x[1].units), reverse=True)  # stable: snapshot id ascending
        return [c for _, c in found]

    def _resolve_parent(self, parent: str | None, period: Period | None) -> str:
        if parent is not None:
            tree = self.unit_tree()
            if parent not in tree and tree.has_children(parent):
                return parent  # a parent the files name without describing it (VN, a province without a row)
            return self.find_unit(parent).code
        rows = self._placed(q.appearances(self.store, period=period.key if period else None))
        if not rows:
            raise NoDataError(
                "Chưa có kết quả chính thức nào trong kho" + (f" cho {period.label}" if period else ""),
                hint=self._local_hint(None),
            )
        parents = {r["parent_code"] for r in rows if r["parent_code"] is not None}
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
        present = {c.kind for c in self._candidates(parent, period=period)}
        return [str(k) for k in KIND_ORDER if str(k) in present]

    def latest_period(self, parent: str) -> Period:
        found = self._candidates(parent)
        if not found:
            raise NoDataError(f"Chưa có kết quả chính thức nào của các đơn vị thuộc {parent}",
                              hint=self._local_hint(self.unit_tree().get(parent)))  # fmt: skip
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
            available = sorted({c.period for c in self._candidates(parent_code)})
            raise NoDataError(
                f"Không có kết quả chính thức {chosen.label} cho các đơn vị thuộc {parent_code}",
                detail=f"periods stored: {', '.join(available) or 'none'}",
                hint="Chọn kỳ khác bằng --period. " + self._local_hint(self.unit_tree().get(parent_code)),
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
        groups = [g.code for g in methodology.groups]
        if by.lower() != "total" and by.upper() not in groups:
            raise ChisoError(
                f"Không xếp hạng theo '{by}' được: không có nhóm chỉ số mã này",
                hint="Xếp theo total (tổng điểm) hoặc một mã nhóm: " + ", ".join(groups) + ".",
            )
        by_code = "total" if by.lower() == "total" else methodology.group(by.upper()).code
        tables = []
        for kinds in kind_sets:
            ids = self._pick_snapshots(parent_code, chosen.key, kinds)
            table = self._rank_table(ids, parent_code, kinds, by_code)
            self._attach_changes(table, parent_code, chosen, kinds, by_code, compare)
            self._attach_day_changes(table, parent_code, chosen, kinds, by_code)
            tables.append(table)
        return Ranking(chosen, parent_code, by_code, tables, [g.code for g in methodology.groups], methodology.name)

    def _methodology_of(self, parent: str, period: Period) -> Methodology:
        found = self._candidates(parent, period=period.key)
        infos = q.snapshots(self.store, snapshot_ids=[found[0].snapshot_id]) if found else []
        name = infos[0].methodology if infos else (self.settings.methodology or "dvcqg-live")
        return load_methodology(name)

    def _pick_snapshots(
        self, parent: str, period: str, kinds: Sequence[str], *, before: datetime | None = None
    ) -> list[str]:
        """The newest snapshot for each kind (optionally captured before ``before``)."""
        chosen: dict[str, str] = {}
        for c in self._candidates(parent, kinds, period):
            if before is not None and c.captured_at >= before:
                continue
            chosen.setdefault(c.kind, c.snapshot_id)
        return [chosen[k] for k in kinds if k in chosen]

    def _rank_table(self, ids: Sequence[str], parent: str, kinds: tuple[str, ...], by: str) -> RankingTable:
        """Rank the units of ``parent`` and ``kinds`` found in snapshots ``ids`` by ``by`` (total or group)."""
        units = self._rows_of(ids, parent, kinds)
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
                    kind=UnitKind(r["kind"]),
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
        changes, comparable = _compare(table, baseline)
        for row in table.rows:
            row.change = changes.get(row.unit)
        if not comparable:
            label = (label or "") + " (chỉ so sánh điểm: kỳ trước không có đủ đơn vị để so sánh hạng)"
        table.baseline = label
        table.baseline_snapshot_ids = baseline.snapshot_ids

    def _attach_day_changes(
        self, table: RankingTable, parent: str, period: Period, kinds: tuple[str, ...], by: str
    ) -> None:
        """Score and rank change since the previous capture of the same period, and the newest confirmation."""
        if not table.rows or table.captured_at is None:
            return
        confirmed = confirmations(self.store, table.snapshot_ids)
        newest = max(confirmed.values(), default=None)
        if newest is not None and newest > table.captured_at:
            table.checked_at = newest
        older = self._pick_snapshots(parent, period.key, kinds, before=table.captured_at)
        if not older:
            return
        baseline = self._rank_table(older, parent, kinds, by)
        changes, _ = _compare(table, baseline)
        for row in table.rows:
            row.day_change = changes.get(row.unit)
        table.day_baseline = baseline.captured_at
        table.day_snapshot_ids = baseline.snapshot_ids

    # -- explain ------------------------------------------------------------------------------------------
    def explain(
        self, unit: str, *, period: Period | None = None, metric: str | None = None, source: str = "official"
    ) -> UnitExplanation:
        """Points lost per metric of ``unit``, largest first, with what restores them."""
        if source == "local":
            return self._explain_views(self.local_view(unit, period=period), metric)
        self._require_official(source)
        node = self.find_unit(unit)
        history = self._history(node)
        rows = [h for h in history if period is None or h["period"] == period.key]
        if not rows:
            periods = sorted({h["period"] for h in history})
            raise NoDataError(
                f"Chưa có kết quả chính thức của {node.name} ({node.code})"
                + (f" cho {period.label}" if period else ""),
                detail=f"periods stored for {node.code}: {', '.join(periods) or 'none'}",
                hint=self._local_hint(node),
            )
        itemised = [h for h in rows if h["itemised"]] or rows
        latest = max(itemised, key=lambda h: (h["period_end"], h["captured_at"], h["snapshot_id"]))
        view = self._views([latest["snapshot_id"]], node.parent_code, str(node.kind), unit=latest["unit_code"])[0]
        return self._explain_views(view, metric)

    def _history(self, node: Unit) -> list[dict]:
        published = self.unit_tree().published
        return q.unit_snapshots(self.store, [c for c in node.codes if c in published])

    def _local_hint(self, node: Unit | None) -> str:
        """What to do when no official result answers: the local estimate when there are dossiers for it."""
        local = node.local if node is not None else any(u.local for u in self.unit_tree())
        if local:
            return "Có dữ liệu hồ sơ: xem số liệu tạm tính bằng --source local."
        return "Nhập kết quả của Cổng DVCQG (chiso import-official TỆP); xem các đơn vị và mã của chúng: chiso units"

    def _explain_views(self, view: UnitView, metric: str | None) -> UnitExplanation:
        unit = view.unit
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
        if source not in ("official", "local"):
            raise ChisoError(f"Nguồn số liệu không hợp lệ: {source}", hint="Dùng --source official hoặc local.")
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
        rows = self._rows_of(ids, parent, (kind,))
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
                    kind=UnitKind(r["kind"]),
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
        if source == "local":
            return self._local_results(period=period, parent=parent, kind=kind)
        self._require_official(source)
        parent_code = self._resolve_parent(parent, period)
        chosen = period or self.latest_period(parent_code)
        present = self._kinds_present(parent_code, chosen.key)
        kinds = present if kind in ("all", "apart") else [k for k in present if k == kind]
        if not kinds:
            raise NoDataError(f"Không có kết quả chính thức {chosen.label} cho các đơn vị thuộc {parent_code}",
                              hint=self._local_hint(self.unit_tree().get(parent_code)))  # fmt: skip
        views: list[UnitView] = []
        ids: list[str] = []
        for k in kinds:
            picked = self._pick_snapshots(parent_code, chosen.key, (k,))
            ids.extend(picked)
            views.extend(self._views(picked, parent_code, k))
        origin = self._origin(ids)
        return ResultSet(chosen, parent_code, load_methodology(origin.methodology), origin, views)

    def total_history(self, unit: str) -> list[tuple[str, datetime, Decimal | None]]:
        """(period, capture time, total) of every published row of ``unit``, oldest first (trend charts)."""
        return [(r["period"], r["captured_at"], q.plain(r["total"])) for r in self._history(self.find_unit(unit))]

    # -- local layer: dossiers ingested from the one-stop system ------------------------------------------
    def calendar(self) -> WorkCalendar:
        rows = self.store.table("calendar_override").to_pyarrow().to_pylist()
        overrides = [Override(r["day"], r["kind"], r["note"] or "") for r in rows]
        return WorkCalendar(
            overrides, OfficeHours.parse(self.settings.office_hours), saturday_working=self.settings.saturday_working
        )

    def add_calendar_overrides(self, overrides: Iterable[Override]) -> int:
        rows = [{"day": o.day, "kind": o.kind, "note": o.note} for o in overrides]
        with self.store.transaction():  # computed deadlines follow the calendar: rebuilt in the same transaction
            self.store.lock_writes()
            self.store.insert("calendar_override", rows)
            self._rebuild()
        self.store.checkpoint()
        return len(rows)

    def ingest(
        self,
        paths: Sequence[Path | str],
        *,
        kind: str | None = None,
        mapping: Path | str | None = None,
        rejects_dir: Path | str | None = None,
        write_lock: AbstractContextManager[object] | None = None,
    ) -> list[IngestReport]:
        """Ingest files (units and procedures first, so that dossiers can use them); rebuild current state.

        The files and the rebuild of the derived tables are one transaction under the writers' lock: after a crash
        the store holds all of it or none (docs/guarantees.md). A file refused as a whole raises
        ``InputFileError`` after the files before it were stored; the caller reports which. ``write_lock`` (the
        web's upload lock) is held while rows are written and the derived tables rebuilt, never while the first
        file is read and checked.
        """
        mapped = load_mapping(Path(mapping)) if mapping else None
        ordered = sorted((Path(p) for p in paths), key=_ingest_order)
        reports: list[IngestReport] = []
        refused: InputFileError | None = None
        store = self.store
        folder = Path(rejects_dir) if rejects_dir else None
        first: CheckedFile | None = None
        if ordered:  # read before the writers' lock: a single upload is checked while other writers proceed
            fid, known = loaded_before(store, ordered[0])
            if not known:
                first = read_file(ordered[0], fid, kind=kind, mapping=mapped, unit_names=self._unit_names(),
                                  limits=self.settings.xlsx_limits)
        with write_lock or nullcontext(), store.transaction():
            store.lock_writes()
            for path in ordered:
                try:
                    if first is not None and path == first.path:
                        reports.extend(store_checked(store, first, rejects_dir=folder, calendar=self.calendar()))
                        continue
                    reports.extend(ingest_path(store, path, kind=kind, mapping=mapped, rejects_dir=folder,
                                               unit_names=self._unit_names(), calendar=self.calendar(),
                                               limits=self.settings.xlsx_limits))  # fmt: skip
                except InputFileError as exc:  # raised before the file wrote anything: keep the ones before
                    refused = exc
                    break
            if any(not r.skipped for r in reports):
                self._rebuild()
        if any(not r.skipped for r in reports):
            store.checkpoint()
        if refused is not None:
            raise refused
        return reports

    def _unit_names(self) -> dict[str, str]:
        """Unit names → the one-stop code of each unit the dossier data know (dossier files that name units)."""
        tree = self.unit_tree()
        return {u.name: next(c for c in u.codes if c in tree.local_codes) for u in tree if u.local}

    def refresh(self, *, only_if_stale: bool = False) -> current.RefreshReport | None:
        """Rebuild the current dossier table in its own transaction (an older store, a calendar change)."""
        with self.store.transaction():
            self.store.lock_writes()
            if only_if_stale and not current.is_stale(self.store):  # another writer finished it meanwhile
                return None
            report = self._rebuild()
        self.store.checkpoint()
        return report

    def _rebuild(self) -> current.RefreshReport:
        self._local_cache.clear()
        return current.refresh_dossiers(self.store, self.calendar())

    def ingest_history(self) -> list[dict]:
        t = self.store.table("ingest_run")
        return t.order_by(t.ingest_id.desc()).to_pyarrow().to_pylist()

    def ingest_rejects(self, ingest_id: int, limit: int = 1000) -> list[RejectRow]:
        t = self.store.table("ingest_reject")
        rows = t.filter(t.ingest_id == ingest_id).order_by([t.row, t.field]).limit(limit).to_pyarrow().to_pylist()
        return [RejectRow(r["row"], r["field"], r["value"], r["reason"]) for r in rows]

    def local_status(self) -> dict:
        """What the local layer holds: counts of dossiers, units, procedures, petitions; newest state."""
        d = self.store.table("dossier")
        stats = d.aggregate(n=d.count(), cutoff=d.state_at.max(), first=d.received_at.min(),
                            last=d.received_at.max()).to_pyarrow().to_pylist()[0]  # fmt: skip
        return {
            "dossiers": int(stats["n"] or 0),
            "cutoff": stats["cutoff"],
            "first_received": stats["first"],
            "last_received": stats["last"],
            "units": int(current.units(self.store).count().to_pyarrow().as_py() or 0),
            "procedures": int(current.procedures(self.store).count().to_pyarrow().as_py() or 0),
            "petitions": int(current.petitions(self.store).count().to_pyarrow().as_py() or 0),
        }

    def local_run(
        self, period: Period, *, as_of: datetime | None = None, rule: str | None = None, store_run: bool = False
    ) -> LocalRun:
        """The local estimate of every unit for ``period`` (cached until the next ingest)."""
        chosen_rule = rule or self.settings.on_time_rule
        if chosen_rule not in ON_TIME_RULES:
            raise ChisoError(f"Quy tắc đúng hạn không hợp lệ: {chosen_rule}", hint="Dùng portal, date hoặc session.")
        key = (period, chosen_rule, as_of, self.directory.version())  # a new import or link changes the tree
        run = self._local_cache.get(key)
        if run is None:
            run = compute_local(
                self.store,
                period,
                load_methodology(self.settings.methodology or "dvcqg-live"),
                as_of=as_of,
                rule=chosen_rule,
                tree=self.unit_tree(),
                inherited=province_figures(self.store, self.unit_tree(), period),
            )
            self._local_cache[key] = run
        if store_run:
            _store_run(self.store, run)
        return run

    def compute(
        self, period: Period, *, unit: str | None = None, as_of: datetime | None = None, rule: str | None = None
    ) -> ResultSet:
        """Compute (and keep in the store) the local estimate; the result set of ``unit``'s children."""
        self.local_run(period, as_of=as_of, rule=rule, store_run=True)
        return self._local_results(period=period, parent=unit, kind="all", as_of=as_of, rule=rule, with_parent=True)

    def _local_origin(self, run: LocalRun) -> Origin:
        return Origin(
            source=Source.LOCAL,
            period=run.period.key,
            cutoff=run.cutoff,
            methodology=run.methodology.name,
            label="số liệu tạm tính từ hồ sơ của hệ thống một cửa",
        )

    def _local_view(self, run: LocalRun, unit: LocalUnit, peers: list[LocalUnit]) -> UnitView:
        totals = [p.score.total for p in peers]
        ranks = competition_ranks(totals)
        rank = next(r for p, r in zip(peers, ranks, strict=True) if p.code == unit.code)
        return UnitView(
            unit=unit.code,
            name=unit.name,
            kind=unit.kind,
            parent=unit.parent,
            total=unit.score.total,
            band=self.bands.of(unit.score.total),
            rank=rank,
            peers=len(peers),
            groups={g.code: GroupScore(g.code, g.score, g.max) for g in unit.score.groups},
            lines=lines_from_score(unit.score, Basis.LOCAL) + _measure_lines(unit.measures),
            origin=self._local_origin(run),
            extras=dict(unit.measures),
        )

    @staticmethod
    def _peers(run: LocalRun, unit: LocalUnit) -> list[LocalUnit]:
        return [u for u in run.units if u.parent == unit.parent and u.kind == unit.kind]

    def local_view(self, unit: str, *, period: Period | None = None, as_of: datetime | None = None) -> UnitView:
        node = self.find_unit(unit)
        run = self.local_run(period or self.latest_local_period(), as_of=as_of)
        for u in run.units:
            if u.code == node.code:
                return self._local_view(run, u, self._peers(run, u))
        raise NoDataError(
            f"Chưa có số liệu tạm tính của {node.name} ({node.code}) trong {run.period.label}",
            hint="Đơn vị cần có hồ sơ đã nạp (chiso ingest). Xem danh sách: chiso units",
        )

    def latest_local_period(self) -> Period:
        """The month of the newest reception in the dossier data."""
        status = self.local_status()
        if not status["dossiers"] or status["last_received"] is None:
            raise NoDataError("Chưa có dữ liệu hồ sơ", hint="Nạp tệp hồ sơ bằng: chiso ingest TỆP")
        last = status["last_received"]
        return Period.month(last.year, last.month)

    def _local_results(
        self,
        *,
        period: Period | None,
        parent: str | None,
        kind: str = "all",
        as_of: datetime | None = None,
        rule: str | None = None,
        with_parent: bool = False,
    ) -> ResultSet:
        run = self.local_run(period or self.latest_local_period(), as_of=as_of, rule=rule)
        codes = {u.code for u in run.units}
        if parent is None:
            roots = [u for u in run.units if u.parent not in codes]
            parent_code = roots[0].code if len(roots) == 1 else NATIONAL
            children = [u for u in run.units if u.parent == parent_code] or roots
        elif parent == NATIONAL and parent not in codes:  # the top units of the local tree, peers of one another
            parent_code, children = NATIONAL, [u for u in run.units if u.parent not in codes]
        else:
            node = self.find_unit(parent)
            if node.code not in codes:
                raise NoDataError(
                    f"Chưa có số liệu tạm tính của {node.name} ({node.code}) trong {run.period.label}",
                    hint="Đơn vị cần có hồ sơ đã nạp. Xem danh sách: chiso units",
                )
            parent_code = node.code
            children = [u for u in run.units if u.parent == parent_code]
        if kind not in ("all", "apart"):
            children = [u for u in children if u.kind == kind]
        chosen = list(children)
        if with_parent and parent_code in codes:
            chosen = [u for u in run.units if u.code == parent_code] + chosen
        views = [self._local_view(run, u, self._peers(run, u)) for u in chosen]
        order = {str(k): i for i, k in enumerate(KIND_ORDER)}
        views.sort(key=lambda v: (order.get(v.kind, 9), v.rank or 0, v.name))
        return ResultSet(run.period, parent_code, run.methodology, self._local_origin(run), views)

    def local_ranking(self, *, period: Period | None = None, parent: str | None = None, kind: str = "apart") -> Ranking:
        """Rank the units of ``parent`` on the local estimate (no change columns: one run)."""
        rs = self._local_results(period=period, parent=parent, kind="all")
        kinds = [str(k) for k in KIND_ORDER if any(v.kind == str(k) for v in rs.units)]
        kind_sets = [(k,) for k in kinds] if kind == "apart" else [tuple(kinds)] if kind == "all" else [(kind,)]
        tables = []
        for ks in kind_sets:
            views = [v for v in rs.units if v.kind in ks]
            rows = [
                RankingRow(v.unit, v.name, v.kind, v.total, v.total, v.band, None,
                           {c: g.score for c, g in v.groups.items()}, None, None, None, "local")
                for v in views
            ]  # fmt: skip
            for row, rank in zip(rows, competition_ranks([r.value for r in rows]), strict=True):
                row.rank = rank
            rows.sort(key=lambda r: (r.rank or 0, r.name))
            tables.append(RankingTable(ks, rows, ("local",), rs.origin.cutoff))
        groups = [g.code for g in rs.methodology.groups]
        return Ranking(rs.period, rs.parent, "total", tables, groups, rs.methodology.name)

    def dossiers(
        self,
        unit: str,
        *,
        period: Period | None = None,
        metric: str | None = None,
        gap_only: bool = True,
        status: int | None = None,
        search: str | None = None,
        page: int = 1,
        page_size: int | None = 50,
        as_of: datetime | None = None,
    ) -> DossierPage:
        """The dossiers of ``unit`` (and its sub-units) behind a metric: by default the ones that cost points."""
        chosen = period or self.latest_local_period()
        code = metric.upper() if metric else None
        if code is not None and code not in drill.DRILLABLE:
            raise ChisoError(
                f"Chỉ số {metric} không có danh sách hồ sơ",
                detail="drillable: " + ", ".join(drill.DRILLABLE),
                hint="Các chỉ số tính theo thủ tục (FULL, HAS_ONLINE, PAY_FORMALITIES…) được giải thích bằng "
                "danh sách thủ tục trong chiso explain.",
            )
        window = Window.of(chosen, as_of)
        size = page_size if page_size is None else max(1, min(page_size, 1000))
        offset = 0 if size is None else (max(page, 1) - 1) * size
        listed = drill.list_dossiers(
            self.store.table("dossier"), current.procedures(self.store), window, self.settings.on_time_rule,
            self._local_codes(unit), metric=code, gap_only=gap_only, status=status, search=search, offset=offset,
            limit=size,
        )  # fmt: skip
        return DossierPage(listed.columns, listed.rows, listed.total, max(page, 1), size or listed.total, code,
                           listed.reason, chosen)  # fmt: skip

    def due_soon(self, unit: str, *, now: datetime | None = None, within_hours: float = 16) -> list[drill.DueItem]:
        """Open dossiers of ``unit`` (and sub-units) past their deadline or due within ``within_hours``."""
        moment = now or datetime.now(UTC)
        codes = self._local_codes(unit)
        return drill.due_soon(self.store.table("dossier"), codes, moment, within_hours, self.calendar())

    def _local_codes(self, unit: str) -> list[str]:
        """Codes of ``unit`` and its sub-units as the one-stop data write them (dossier lists)."""
        tree = self.unit_tree()
        return sorted(c for c in tree.subtree_codes(tree.find(unit).code) if c in tree.local_codes)

    def compare(self, unit: str, *, period: Period | None = None) -> list[CompareLine]:
        """The local estimate beside the imported official figure, metric by metric, with the likely cause."""
        local = self.local_view(unit, period=period)
        chosen = Period.parse(local.origin.period)
        official: dict[str, Line] = {}
        official_total: Decimal | None = None
        try:
            view = self.explain(unit, period=chosen).view
            official = {ln.code: ln for ln in view.lines}
            official_total = view.total
        except (NoDataError, UnknownUnitError):
            pass
        out = [CompareLine("TOTAL", "Tổng điểm", local.total, official_total, None, None, _cause_total(official_total))]
        for ln in local.lines:
            if ln.metric is None or not ln.metric.scored:
                continue
            off = official.get(ln.code)
            out.append(
                CompareLine(
                    ln.code, ln.name, ln.score, off.score if off else None,
                    _pct(ln.ratio), _pct(off.ratio) if off else None, _cause(ln, off),
                )
            )
        return out


@dataclass
class DossierPage:
    columns: list[str]
    rows: list[dict]
    total: int
    page: int
    page_size: int
    metric: str | None
    reason: str
    period: Period


@dataclass(frozen=True)
class CompareLine:
    code: str
    name: str
    local: Decimal | None
    official: Decimal | None
    local_ratio: Decimal | None
    official_ratio: Decimal | None
    cause: str

    @property
    def difference(self) -> Decimal | None:
        if self.local is None or self.official is None:
            return None
        return self.local - self.official


def _pct(ratio: object) -> Decimal | None:
    from fractions import Fraction

    from chiso.formatting import to_decimal

    return None if ratio is None else to_decimal(Fraction(ratio) * 100, 2)  # type: ignore[arg-type]


def _cause_total(official: Decimal | None) -> str:
    return "chưa nhập kết quả chính thức của kỳ này" if official is None else ""


def _cause(local: Line, official: Line | None) -> str:
    """Plain-Vietnamese likely cause of a difference between the local estimate and the portal's figure."""
    if official is None or official.score is None:
        return "Cổng chưa công bố chỉ số này cho đơn vị"
    if local.score is None:
        return "dữ liệu hồ sơ nạp vào thiếu thông tin cho chỉ số này"
    if local.score == official.score:
        return ""
    ln, ld = local.numerator, local.denominator
    od = official.denominator
    if ld is not None and od is not None and ln is not None and od != 0 and abs(ld - od) / od > 0.05:
        return "số hồ sơ khác nhau: có thể chưa đồng bộ đủ hồ sơ lên Cổng, hoặc tệp nạp vào thiếu/thừa hồ sơ"
    if local.metric is not None and local.metric.code in ("ON_TIME", "DOSSIER_RECEIVING_SATISFACTION"):
        return "cách xác định ngày kết thúc xử lý hoặc thời gian tạm dừng khác với Cổng"
    if local.metric is not None and local.metric.code in ("PUBLISH_ON_TIME", "PUBLIC_UPDATE_ON_TIME"):
        return "chỉ số cấp tỉnh: lấy theo số liệu chính thức"
    return "trạng thái hồ sơ trên Cổng khác với hệ thống một cửa (cập nhật chậm hoặc thiếu cờ dữ liệu)"


def _measure_lines(measures: dict[str, Measure]) -> list[Line]:
    """Local extra measures as monitor lines (no points), e.g. the share of e-certified copies."""
    from fractions import Fraction

    out = []
    for code, m in measures.items():
        if code not in MEASURE_METRICS or m.denominator is None:
            continue
        group, metric = MEASURE_METRICS[code]
        ratio = Fraction(m.numerator or 0, m.denominator) if m.denominator else None
        out.append(
            Line(group=group, name=metric.name, max=Decimal(0), score=None, status=FigureStatus.NOT_APPLICABLE,
                 basis=Basis.LOCAL, metric=metric, numerator=Fraction(m.numerator or 0),
                 denominator=Fraction(m.denominator), ratio=ratio)
        )  # fmt: skip
    return out


def _compare(table: RankingTable, baseline: RankingTable) -> tuple[dict[str, Change], bool]:
    """Each unit's change against ``baseline``, and whether ranks compare at all: a rank is only comparable with
    a ranking of (nearly) the same units (a one-row trend sheet is not one)."""
    previous = {r.unit: r for r in baseline.rows}
    comparable = len(baseline.rows) >= 0.8 * len(table.rows)
    out = {}
    for row in table.rows:
        before = previous.get(row.unit)
        if before is not None:
            out[row.unit] = change(row.value, row.rank, before.value, before.rank if comparable else None)
    return out, comparable


def _chooser(methodology: str | None) -> Callable[[Period], Methodology]:
    """The methodology of a period: the one named, else the one in force for the period."""
    from chiso.methodology import methodology_for

    if methodology:
        fixed = load_methodology(methodology)
        return lambda _p: fixed
    return methodology_for


def _ingest_order(path: Path) -> tuple[int, str]:
    name = path.name.lower()
    for i, word in enumerate(("unit", "don-vi", "donvi", "procedure", "thu-tuc", "thutuc")):
        if word in name:
            return (0 if i < 3 else 1, name)
    return (2, name)


def _store_run(store: Store, run: LocalRun) -> None:
    """Keep a computed run (history of local estimates)."""
    from chiso.formatting import to_decimal

    run_id = f"{run.period.key}@{run.computed_at:%Y%m%dT%H%M%S%f}"
    units, metrics = [], []
    for u in run.units:
        units.append({"run_id": run_id, "unit_code": u.code, "unit_name": u.name, "kind": u.kind,
                      "parent_code": u.parent, "total": u.score.total, "scored_max": u.score.scored_max,
                      "complete": u.score.complete})  # fmt: skip
        for m in u.score.metrics():
            fig = m.figure()
            metrics.append({
                "run_id": run_id, "unit_code": u.code, "group_code": m.group, "metric_code": m.code,
                "numerator": None if fig.numerator is None else to_decimal(fig.numerator, 4),
                "denominator": fig.denominator, "ratio": fig.ratio, "score": fig.score, "max": fig.max,
                "status": str(fig.status), "note": fig.note,
            })  # fmt: skip
        for ms in u.measures.values():
            metrics.append({"run_id": run_id, "unit_code": u.code, "group_code": "EXTRA", "metric_code": ms.code,
                            "numerator": ms.numerator, "denominator": ms.denominator, "ratio": None, "score": None,
                            "max": Decimal(0), "status": "ok" if ms.denominator is not None else "no_data",
                            "note": None})  # fmt: skip
    with store.transaction():
        store.insert("local_run", [{
            "run_id": run_id, "period": run.period.key, "period_start": run.period.start,
            "period_end": run.period.end, "computed_at": run.computed_at, "cutoff": run.cutoff,
            "methodology": run.methodology.name, "ingest_high": run.ingest_high, "on_time_rule": run.rule,
        }])  # fmt: skip
        store.insert("local_unit", units)
        store.insert("local_metric", metrics)
