"""Current state of the local data: the newest version of every dossier, procedure, unit and petition.

Every ingested row is kept (``*_version`` tables: history forever). The engine reads the current state:

* ``dossier`` is materialised after each ingest (``refresh_dossiers``): the newest version of each dossier code
  (by the newest time the row knows, then ingest order, then file row), its end of processing from the
  progress steps when there are any (first of Đã xử lý xong 9 > Đã trả kết quả 10 > Dừng xử lý 8 / Từ chối 3,
  as the portal computes it) else ``coalesce(finished_at, returned_at, rejected_at)``, and a deadline computed
  from the procedure's processing time when the file gave none (``due_computed``), and the flags that do not
  depend on the period (``engine/predicates.py`` ``static_flags``). ``dossier_pair`` lists the (unit, procedure)
  pairs seen in dossiers, for the procedure-set metrics.
* procedures, units and petitions are small: their current state is an expression (newest ingest wins).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

from chiso.engine.predicates import static_flags
from chiso.store.connection import Store
from chiso.store.tables import DERIVED_STATE
from chiso.workdays import WorkCalendar

EPOCH = ibis.timestamp(datetime(1900, 1, 1), timezone="UTC")


def _newest(t: ir.Table, key: str, *order: ir.Value) -> ir.Table:
    ranked = t.mutate(_rn=ibis.row_number().over(group_by=t[key], order_by=list(order)))
    return ranked.filter(ranked._rn == 0).drop("_rn")


def procedures(store: Store) -> ir.Table:
    t = store.table("procedure_version")
    return _newest(t, "procedure_code", t.ingest_id.fill_null(0).desc())


def units(store: Store) -> ir.Table:
    t = store.table("unit_version")
    return _newest(t, "unit_code", t.ingest_id.fill_null(0).desc())


def petitions(store: Store) -> ir.Table:
    t = store.table("petition_version")
    return _newest(t, "petition_code", t.ingest_id.fill_null(0).desc(), t.source_row.fill_null(0).desc())


def step_ends(store: Store) -> ir.Table:
    """(dossier_code, step_end): the first terminal step in the portal's priority."""
    s = store.table("dossier_step")
    rank = (
        ibis.cases((s.status == 9, 1), (s.status == 10, 2), (s.status.isin([8, 3]), 3), else_=None).name("prio")
    )
    terminal = s.mutate(prio=rank).filter(ibis._.prio.notnull())
    best = terminal.group_by("dossier_code").aggregate(best=terminal.prio.min())
    joined = terminal.join(best, "dossier_code").filter(lambda t: t.prio == t.best)
    return joined.group_by("dossier_code").aggregate(step_end=joined["at"].min())


@dataclass(frozen=True)
class RefreshReport:
    dossiers: int
    due_computed: int
    due_missing: int  # no deadline in the file and none computable (procedure unknown or without a time)


def _latest_versions(store: Store) -> ir.Table:
    v = store.table("dossier_version")
    return _newest(
        v, "dossier_code", v.state_at.fill_null(EPOCH).desc(), v.ingest_id.desc(), v.source_row.desc()
    )


def _computed_dues(store: Store, latest: ir.Table, calendar: WorkCalendar) -> pa.Table:
    """Deadlines for dossiers received without NgayHenTra, from the catalogue's processing time."""
    p = procedures(store)
    need = latest.filter(latest.due_at.isnull() & latest.received_at.notnull())
    joined = need.join(p, need.procedure_code == p.procedure_code).select(
        need.dossier_code, need.received_at, p.processing_time, p.time_unit
    )
    joined = joined.filter(joined.processing_time.notnull() & (joined.processing_time > 0))
    rows = joined.to_pyarrow()
    empty = pa.table({"dossier_code": pa.array([], pa.string()), "due_new": pa.array([], pa.timestamp("us", "UTC"))})
    if rows.num_rows == 0:
        return empty
    starts = rows.column("received_at").cast(pa.timestamp("us", "UTC")).to_numpy(zero_copy_only=False)
    starts = starts.astype("datetime64[us]")
    amounts = np.asarray(rows.column("processing_time").cast(pa.float64()).to_numpy(zero_copy_only=False))
    units_ = np.asarray(rows.column("time_unit").fill_null("working_day").to_numpy(zero_copy_only=False))
    dues = calendar.add_working_time_many(starts, amounts, units_)
    return pa.table({"dossier_code": rows.column("dossier_code"), "due_new": pa.array(dues, pa.timestamp("us", "UTC"))})


def _ingest_high(store: Store) -> int:
    return int(store.table("ingest_run").ingest_id.max().to_pyarrow().as_py() or 0)


def _mark_built(store: Store) -> None:
    """Record, in the rebuild's transaction, the newest ingest that the derived tables include."""
    store.delete_all(DERIVED_STATE)
    store.insert(DERIVED_STATE, [{"ingest_high": _ingest_high(store), "built_at": datetime.now(UTC)}])


def is_stale(store: Store) -> bool:
    """The derived tables do not include every committed ingest (see docs/guarantees.md).

    True for a store whose rebuild never committed: a crash between an older chiso's ingest and its rebuild, a
    derived table re-created by a new version, or a store written before the marker existed.
    """
    built = store.table(DERIVED_STATE).ingest_high.max().to_pyarrow().as_py()
    if built is None:  # never rebuilt since the marker exists: stale if there are dossiers to show
        return bool(store.table("dossier_version").count().to_pyarrow().as_py())
    return int(built) != _ingest_high(store)


def refresh_dossiers(store: Store, calendar: WorkCalendar) -> RefreshReport:
    """Rebuild the ``dossier`` table from every version ingested so far (idempotent), with the marker."""
    latest = _latest_versions(store)
    ends = step_ends(store)
    dues = ibis.memtable(_computed_dues(store, latest, calendar))
    with_end = latest.left_join(ends, latest.dossier_code == ends.dossier_code).drop("dossier_code_right")
    with_due = with_end.left_join(dues, with_end.dossier_code == dues.dossier_code).drop("dossier_code_right")
    current = with_due.mutate(
        end_at=ibis.coalesce(
            with_due.step_end, with_due.finished_at, with_due.returned_at, with_due.rejected_at
        ),
        due_computed=with_due.due_at.isnull() & with_due.due_new.notnull(),
        due_at=ibis.coalesce(with_due.due_at, with_due.due_new),
    )
    flagged = static_flags(current, procedures(store))
    with store.transaction():
        store.lock_writes()
        # stored in reception order: a month's query then reads only the row groups of that month
        store.replace_rows("dossier", flagged.order_by([flagged.received_at, flagged.dossier_code]))
        d = store.table("dossier")
        pairs = d.group_by(["unit_code", "procedure_code"]).aggregate(
            dossiers=d.count(), first_received_at=d.received_at.min()
        )
        store.replace_rows("dossier_pair", pairs)
        _mark_built(store)
    counts = d.aggregate(
        n=d.count(),
        computed=d.due_computed.sum(),
        missing=(d.due_at.isnull() & d.received_at.notnull()).sum(),
    ).to_pyarrow().to_pylist()[0]
    return RefreshReport(int(counts["n"] or 0), int(counts["computed"] or 0), int(counts["missing"] or 0))
