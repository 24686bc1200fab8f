"""Read helpers over the official tables, returning plain rows and domain objects. Ibis expressions only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import ibis

from chiso.domain.results import PublishedGroup, PublishedMetric, PublishedUnit
from chiso.store.connection import Store


@dataclass(frozen=True)
class SnapshotInfo:
    snapshot_id: str
    file_id: str
    file_name: str
    sheet: str | None
    label: str | None
    shape: str
    scope: str
    period: str
    period_kind: str
    period_start: date
    period_end: date
    captured_at: datetime
    captured_basis: str
    methodology: str
    units: int


def _rows(expr: ibis.Table) -> list[dict[str, Any]]:
    return expr.to_pyarrow().to_pylist()


def snapshots(
    store: Store, *, period: str | None = None, snapshot_ids: Sequence[str] | None = None
) -> list[SnapshotInfo]:
    s = store.table("official_snapshot")
    f = store.table("official_file").select("file_id", "file_name")
    expr = s.join(f, "file_id")
    if period is not None:
        expr = expr.filter(expr.period == period)
    if snapshot_ids is not None:
        expr = expr.filter(expr.snapshot_id.isin(list(snapshot_ids)))
    expr = expr.order_by([expr.period_end, expr.captured_at, expr.snapshot_id])
    return [SnapshotInfo(**{k: r[k] for k in SnapshotInfo.__dataclass_fields__}) for r in _rows(expr)]


def files(store: Store) -> list[dict[str, Any]]:
    f = store.table("official_file")
    return _rows(f.order_by([f.imported_at, f.file_name]))


@dataclass(frozen=True)
class Candidate:
    snapshot_id: str
    kind: str
    captured_at: datetime
    period: str
    units: int


def current_snapshots(store: Store) -> ibis.Table:
    """Snapshots not superseded by a fuller snapshot of the same capture (a portal capture completed by a later
    import of more of its responses; official/api_files.py)."""
    s = store.table("official_snapshot")
    gone = store.table("official_superseded").snapshot_id
    return s.filter(~s.snapshot_id.isin(gone))


def appearances(store: Store, *, period: str | None = None) -> list[dict[str, Any]]:
    """(snapshot, unit) rows with the snapshot's period and capture time (of one period, or all)."""
    u = store.table("official_unit").select("snapshot_id", "unit_code", "unit_name", "kind", "parent_code")
    s = current_snapshots(store).select("snapshot_id", "captured_at", "period", "period_end")
    j = u.join(s, "snapshot_id")
    if period is not None:
        j = j.filter(j.period == period)
    return _rows(j)


def unit_snapshots(store: Store, units: Sequence[str]) -> list[dict[str, Any]]:
    """Every published row of one unit (under any of its codes), oldest period first (its history)."""
    u = store.table("official_unit")
    s = current_snapshots(store).select(
        "snapshot_id", "period", "period_kind", "period_start", "period_end", "captured_at", "methodology", "scope"
    )
    j = u.filter(u.unit_code.isin(list(units))).join(s, "snapshot_id")
    return _rows(j.order_by([j.period_end, j.captured_at, j.snapshot_id]))


def published_units(
    store: Store, snapshot_ids: Sequence[str], *, units: Sequence[str] | None = None
) -> list[PublishedUnit]:
    """Units of the given snapshots with their groups and metrics."""
    ids = list(snapshot_ids)
    if not ids:
        return []
    u = store.table("official_unit")
    g = store.table("official_group")
    m = store.table("official_metric")
    u = u.filter(u.snapshot_id.isin(ids))
    g = g.filter(g.snapshot_id.isin(ids))
    m = m.filter(m.snapshot_id.isin(ids))
    if units is not None:
        u = u.filter(u.unit_code.isin(list(units)))
        g = g.filter(g.unit_code.isin(list(units)))
        m = m.filter(m.unit_code.isin(list(units)))
    groups: dict[tuple[str, str], list[PublishedGroup]] = defaultdict(list)
    for r in _rows(g):
        groups[(r["snapshot_id"], r["unit_code"])].append(PublishedGroup(r["group_code"], r["score"], r["max"]))
    metrics: dict[tuple[str, str], list[PublishedMetric]] = defaultdict(list)
    for r in _rows(m):
        metrics[(r["snapshot_id"], r["unit_code"])].append(
            PublishedMetric(
                group=r["group_code"],
                code=r["metric_code"],
                numerator=plain(r["numerator"]),
                denominator=plain(r["denominator"]),
                ratio=plain(r["ratio"]),
                score=plain(r["score"]),
                max=plain(r["max"]),
                name=r["metric_name"],
                source_field=r["source_field"],
                data_quality=r["data_quality"],
                data_quality_message=r["data_quality_message"],
            )
        )
    out = []
    for r in _rows(u.order_by([u.snapshot_id, u.record])):
        key = (r["snapshot_id"], r["unit_code"])
        out.append(
            PublishedUnit(
                snapshot=r["snapshot_id"],
                unit=r["unit_code"],
                name=r["unit_name"],
                kind=r["kind"],
                total=plain(r["total"]),
                groups=tuple(PublishedGroup(x.code, plain(x.score), plain(x.max)) for x in groups.get(key, [])),
                metrics=tuple(metrics.get(key, [])),
                itemised=bool(r["itemised"]),
            )
        )
    return out


def unit_rows(store: Store, snapshot_ids: Sequence[str]) -> list[dict[str, Any]]:
    u = store.table("official_unit")
    return _rows(u.filter(u.snapshot_id.isin(list(snapshot_ids))).order_by(["snapshot_id", "record"]))


def group_rows(store: Store, snapshot_ids: Sequence[str]) -> list[dict[str, Any]]:
    g = store.table("official_group")
    return _rows(g.filter(g.snapshot_id.isin(list(snapshot_ids))))


def known_units(store: Store) -> list[dict[str, Any]]:
    """Every unit seen in any snapshot, with the name, kind and parent of its latest appearance."""
    u = store.table("official_unit")
    s = current_snapshots(store).select("snapshot_id", "captured_at", "period_end")
    j = u.join(s, "snapshot_id")
    w = ibis.window(group_by=j.unit_code, order_by=[ibis.desc(j.period_end), ibis.desc(j.captured_at)])
    latest = j.mutate(_n=ibis.row_number().over(w)).filter(lambda t: t._n == 0)
    return _rows(latest.select("unit_code", "unit_name", "kind", "parent_code", "period_end").order_by("unit_code"))


def plain(value: Decimal | None) -> Decimal | None:
    """Drop the storage scale (19.4100 → 19.41) so that figures print as published."""
    if value is None:
        return None
    plain = value.normalize()
    return plain.quantize(Decimal(1)) if plain == plain.to_integral_value() else plain
