"""The figures a unit inherits from its province: CKMB's catalogue metrics (docs/local-metrics.md).

The portal scores PUBLISH_ON_TIME, PUBLIC_UPDATE_ON_TIME and PUBLIC_CONTENT_FULL on the province's catalogue and
shows the province's figures for every unit of it; the local engine does the same with the newest official figures
of the province for the period, found under any code the unit tree knows it by.
"""

from __future__ import annotations

from chiso.domain.periods import Period
from chiso.domain.units import UnitKind
from chiso.domain.unittree import UnitTree
from chiso.scoring.score import MetricInput
from chiso.store import queries as q
from chiso.store.connection import Store

INHERITED = ("PUBLISH_ON_TIME", "PUBLIC_UPDATE_ON_TIME", "PUBLIC_CONTENT_FULL")


def province_figures(store: Store, tree: UnitTree, period: Period) -> dict[str, dict[str, MetricInput]]:
    """Per province (its main code): the newest official CKMB catalogue figures of ``period``."""
    provinces = sorted(c for u in tree if u.kind is UnitKind.PROVINCE for c in u.codes)
    order = {s.snapshot_id: i for i, s in enumerate(q.snapshots(store, period=period.key))}
    newest_first = sorted(q.published_units(store, list(order), units=provinces), key=lambda p: -order[p.snapshot])
    out: dict[str, dict[str, MetricInput]] = {}
    for pub in newest_first:
        code = tree.main_code(pub.unit)
        if code in out:
            continue
        found = {}
        for pm in pub.metrics_of("CKMB"):
            if pm.code in INHERITED and pm.numerator is not None and pm.denominator is not None:
                found[pm.code] = MetricInput(pm.numerator, pm.denominator, inherited=True,
                                             note=f"theo số liệu chính thức của {pub.name}")  # fmt: skip
        if found:
            out[code] = found
    return out
