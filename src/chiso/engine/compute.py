"""The local estimate of one period: counts in the store, roll-up over the unit tree, scoring.

The local engine computes the portal's live method (``dvcqg-live``) whatever the period: it is the only method
whose metrics are defined on dossiers (the 2022 text lacks per-metric rules). Figures are estimates ('số liệu
tạm tính'); the data cut-off is the newest dossier state ingested.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chiso.domain.periods import Period
from chiso.engine.counts import (
    DOSSIER_SUMS,
    PAIR_SUMS,
    PETITION_SUMS,
    Tree,
    UnitCounts,
    roll_up,
    run_queries,
)
from chiso.engine.metrics import Measure, measures, metric_inputs
from chiso.engine.predicates import Window
from chiso.errors import NoDataError
from chiso.ingest import current
from chiso.methodology.model import Methodology
from chiso.scoring.score import MetricInput, UnitScore, score_unit
from chiso.store.connection import Store


@dataclass
class LocalUnit:
    code: str
    name: str
    kind: str
    parent: str | None
    score: UnitScore
    inputs: dict[str, MetricInput]
    measures: dict[str, Measure]
    counts: UnitCounts


@dataclass
class LocalRun:
    period: Period
    window: Window
    methodology: Methodology
    rule: str
    units: list[LocalUnit]
    cutoff: datetime | None
    ingest_high: int
    computed_at: datetime
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class UnitNode:
    code: str
    name: str
    kind: str
    parent: str | None


def unit_nodes(store: Store) -> dict[str, UnitNode]:
    rows = current.units(store).select("unit_code", "unit_name", "kind", "parent_code").to_pyarrow().to_pylist()
    return {r["unit_code"]: UnitNode(r["unit_code"], r["unit_name"] or r["unit_code"], r["kind"] or "agency",
                                     r["parent_code"]) for r in rows}  # fmt: skip


def compute_counts(
    store: Store,
    window: Window,
    *,
    rule: str = "portal",
) -> tuple[dict[str, UnitCounts], dict[str, UnitNode], bool, bool, list[str]]:
    """Summed counts per unit (subtree), the unit nodes, whether a catalogue / petitions exist, warnings."""
    d = store.table("dossier")
    has_procs = bool(store.table("procedure_version").count().to_pyarrow().as_py())
    has_petitions = bool(store.table("petition_version").count().to_pyarrow().as_py())
    nodes = unit_nodes(store)
    units_expr = current.units(store)
    procs = current.procedures(store) if has_procs else None
    pets = current.petitions(store) if has_petitions else None
    d_rows, p_rows, t_rows = run_queries(d, store.table("dossier_pair"), procs, units_expr, pets, window, rule)
    warnings: list[str] = []
    unknown = sorted({str(r["unit_code"]) for r in d_rows} - set(nodes))
    for code in unknown:
        nodes[code] = UnitNode(code, code, "agency", None)
    if unknown:
        warnings.append(
            f"{len(unknown)} mã đơn vị có hồ sơ nhưng chưa có trong danh mục đơn vị (tính như đơn vị độc lập): "
            + ", ".join(unknown[:10])
        )
    tree = Tree({c: n.parent for c, n in nodes.items()}, {c: n.kind for c, n in nodes.items()})
    for r in d_rows:  # a commune 'provides' e-certified copies when it made at least one in the period
        r["ecc_num"] = 1 if nodes[str(r["unit_code"])].kind == "commune" and int(r.get("e_certified_any") or 0) else 0
    counts: dict[str, UnitCounts] = {}
    roll_up(tree, d_rows, (*DOSSIER_SUMS, "ecc_num"), counts, marker="dossiers")
    roll_up(tree, p_rows, PAIR_SUMS, counts, marker="pairs")
    roll_up(tree, t_rows, PETITION_SUMS, counts)
    for code, node in nodes.items():
        if node.kind == "commune":
            for target in tree.ancestors_or_self(code):
                counts.setdefault(target, UnitCounts()).communes += 1
    return counts, nodes, has_procs, has_petitions, warnings


def province_of(nodes: Mapping[str, UnitNode], code: str) -> str | None:
    seen: set[str] = set()
    current_code: str | None = code
    while current_code is not None and current_code not in seen:
        seen.add(current_code)
        node = nodes.get(current_code)
        if node is None:
            return None
        if node.kind == "province":
            return node.code
        current_code = node.parent
    return None


def in_subtree(nodes: Mapping[str, UnitNode], code: str, root: str) -> bool:
    seen: set[str] = set()
    current_code: str | None = code
    while current_code is not None and current_code not in seen:
        if current_code == root:
            return True
        seen.add(current_code)
        node = nodes.get(current_code)
        current_code = node.parent if node else None
    return False


def compute_local(
    store: Store,
    period: Period,
    methodology: Methodology,
    *,
    as_of: datetime | None = None,
    rule: str = "portal",
    root: str | None = None,
    inherited: Mapping[str, Mapping[str, MetricInput]] | None = None,
) -> LocalRun:
    """Score every unit with dossier data (in the subtree of ``root`` when given) for ``period``."""
    d = store.table("dossier")
    stats = d.aggregate(n=d.count(), cutoff=d.state_at.max()).to_pyarrow().to_pylist()[0]
    if not stats["n"]:
        raise NoDataError(
            "Chưa có dữ liệu hồ sơ để tính",
            hint="Nạp tệp hồ sơ bằng: chiso ingest TỆP (hoặc tạo dữ liệu mẫu: chiso generate).",
        )
    high = store.table("ingest_run").ingest_id.max().to_pyarrow().as_py() or 0
    window = Window.of(period, as_of)
    counts, nodes, has_procs, has_petitions, warnings = compute_counts(store, window, rule=rule)
    if root is not None and root not in nodes:
        raise NoDataError(
            f"Không có đơn vị mã {root} trong dữ liệu hồ sơ",
            hint="Xem các đơn vị bằng: chiso units --source local",
        )
    units: list[LocalUnit] = []
    for code, c in counts.items():
        if not c.has_dossiers or (root is not None and not in_subtree(nodes, code, root)):
            continue
        node = nodes[code]
        province = province_of(nodes, code)
        given = (inherited or {}).get(province or "", {})
        inputs = metric_inputs(c, has_catalogue=has_procs, has_petitions=has_petitions, inherited=given)
        units.append(
            LocalUnit(code, node.name, node.kind, node.parent, score_unit(methodology, inputs), inputs, measures(c), c)
        )
    units.sort(key=lambda u: u.code)
    if not has_procs:
        warnings.append("Chưa nạp danh mục thủ tục: 5 chỉ số theo thủ tục để 'không có dữ liệu'.")
    if not has_petitions:
        warnings.append("Chưa nạp dữ liệu phản ánh, kiến nghị: các chỉ số PAKN để 'không có dữ liệu'.")
    return LocalRun(period, window, methodology, rule, units, stats["cutoff"], int(high), datetime.now(UTC), warnings)
