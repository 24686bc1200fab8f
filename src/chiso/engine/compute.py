"""The local estimate of one period: counts in the store, roll-up over the unit tree, scoring.

The local engine computes the portal's live method (``dvcqg-live``) whatever the period: it is the only method
whose metrics are defined on dossiers (the 2022 text lacks per-metric rules). Figures are estimates ('số liệu
tạm tính'); the data cut-off is the newest dossier state ingested.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import ibis

from chiso.domain.periods import Period
from chiso.domain.units import UnitKind
from chiso.domain.unittree import UnitTree
from chiso.engine.counts import (
    DOSSIER_SUMS,
    PAIR_SUMS,
    PETITION_SUMS,
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
    code: str  # the unit's main code in the unit tree
    name: str
    kind: UnitKind
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


def compute_counts(
    store: Store,
    window: Window,
    tree: UnitTree,
    *,
    rule: str = "portal",
) -> tuple[dict[str, UnitCounts], bool, bool, list[str]]:
    """Summed counts per unit (its subtree, by main code), whether a catalogue / petitions exist, warnings."""
    d = store.table("dossier")
    has_procs = bool(store.table("procedure_version").count().to_pyarrow().as_py())
    has_petitions = bool(store.table("petition_version").count().to_pyarrow().as_py())
    local_communes = [u for u in tree if u.kind is UnitKind.COMMUNE and u.local]
    communes = ibis.memtable(
        {"unit_code": [next(c for c in u.codes if c in tree.local_codes) for u in local_communes]},
        schema={"unit_code": "string"},
    )
    every_commune_code = sorted({c for u in local_communes for c in u.codes})
    procs = current.procedures(store) if has_procs else None
    pets = current.petitions(store) if has_petitions else None
    d_rows, p_rows, t_rows = run_queries(
        d, store.table("dossier_pair"), procs, communes, every_commune_code, pets, window, rule
    )
    warnings: list[str] = []
    unnamed = sorted({str(r["unit_code"]) for r in d_rows if (u := tree.get(str(r["unit_code"]))) and u.name == u.code})
    if unnamed:
        warnings.append(
            f"{len(unnamed)} mã đơn vị có hồ sơ nhưng chưa có trong danh mục đơn vị (tính như đơn vị độc lập): "
            + ", ".join(unnamed[:10])
        )
    for r in d_rows:  # a commune 'provides' e-certified copies when it made at least one in the period
        node = tree.get(str(r["unit_code"]))
        r["ecc_num"] = 1 if node and node.kind is UnitKind.COMMUNE and int(r.get("e_certified_any") or 0) else 0
    counts: dict[str, UnitCounts] = {}
    roll_up(tree, d_rows, (*DOSSIER_SUMS, "ecc_num"), counts, marker="dossiers")
    roll_up(tree, p_rows, PAIR_SUMS, counts, marker="pairs")
    roll_up(tree, t_rows, PETITION_SUMS, counts)
    for u in local_communes:
        for target in tree.local_chain(u.code):
            counts.setdefault(target.code, UnitCounts()).communes += 1
    return counts, has_procs, has_petitions, warnings


def compute_local(
    store: Store,
    period: Period,
    methodology: Methodology,
    *,
    as_of: datetime | None = None,
    rule: str = "portal",
    tree: UnitTree,
    inherited: Mapping[str, Mapping[str, MetricInput]] | None = None,
) -> LocalRun:
    """Score every unit with dossier data for ``period``. ``inherited``: the CKMB figures of each province (by its
    main code in ``tree``) that its units inherit."""
    d = store.table("dossier")
    stats = d.aggregate(n=d.count(), cutoff=d.state_at.max()).to_pyarrow().to_pylist()[0]
    if not stats["n"]:
        raise NoDataError(
            "Chưa có dữ liệu hồ sơ để tính",
            hint="Nạp tệp hồ sơ bằng: chiso ingest TỆP (hoặc tạo dữ liệu mẫu: chiso generate).",
        )
    high = store.table("ingest_run").ingest_id.max().to_pyarrow().as_py() or 0
    window = Window.of(period, as_of)
    counts, has_procs, has_petitions, warnings = compute_counts(store, window, tree, rule=rule)
    units: list[LocalUnit] = []
    for code, c in counts.items():
        node = tree.get(code)
        if not c.has_dossiers or node is None:
            continue
        province = tree.province_of(code)
        given = (inherited or {}).get(province.code if province else "", {})
        inputs = metric_inputs(c, has_catalogue=has_procs, has_petitions=has_petitions, inherited=given)
        units.append(
            LocalUnit(code, node.name, node.kind, node.parent_code, score_unit(methodology, inputs), inputs,
                      measures(c), c)
        )  # fmt: skip
    units.sort(key=lambda u: u.code)
    if not has_procs:
        warnings.append("Chưa nạp danh mục thủ tục: 5 chỉ số theo thủ tục để 'không có dữ liệu'.")
    if not has_petitions:
        warnings.append("Chưa nạp dữ liệu phản ánh, kiến nghị: các chỉ số PAKN để 'không có dữ liệu'.")
    return LocalRun(period, window, methodology, rule, units, stats["cutoff"], int(high), datetime.now(UTC), warnings)
