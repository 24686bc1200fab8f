"""One measurement in a fresh process (so that peak memory is this measurement's own)."""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import ibis

from chiso.domain.periods import Period
from chiso.engine.counts import applicable_pairs, dossier_sums, pair_sums
from chiso.engine.predicates import Window, flagged
from chiso.ingest import current
from chiso.workspace import Workspace

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)


def engine(ws: Workspace, period: Period) -> dict:
    ws._local_cache.clear()
    run = ws.local_run(period, as_of=AS_OF)
    return {"units": len(run.units)}


# The columns of ``dossier`` the engine's period query reads (engine/predicates.py flagged, engine/counts.py
# dossier_sums and pair_sums); ``engine_columns_check`` proves the list is complete and has nothing extra.
ENGINE_COLUMNS = (
    "unit_code", "procedure_code", "received_at", "received_s", "status", "due_s", "end_s", "supplement_count",
    "supplement_first_s", "paused_seconds", "synced", "channel2", "online", "fee_bearing", "paid", "paid_online",
    "fee_synced", "dissatisfied", "paper", "e_result", "e_result_ok", "digitised", "digitised_ok", "reused",
    "personal_store", "known_personal_store", "citizen_data", "known_citizen_data", "certified_copy",
    "e_certified", "e_certified_copy",
)  # fmt: skip


def _engine_query(ws: Workspace, columns: tuple[str, ...], period: Period) -> None:
    w = Window.of(period, AS_OF)
    f = flagged(ws.store.table("dossier").select(*columns), w)
    procs = current.procedures(ws.store)
    units = current.units(ws.store)
    communes = units.filter(units.kind == "commune").select("unit_code")
    codes = communes.to_pyarrow().column(0).to_pylist()
    pairs = applicable_pairs(ws.store.table("dossier_pair"), procs, communes, w, codes)
    dossier_sums(f), pair_sums(f, pairs, procs)


def engine_columns_check(ws: Workspace, period: Period) -> None:
    """The engine builds from ENGINE_COLUMNS alone, and from no fewer (an unknown column raises in Ibis)."""
    _engine_query(ws, ENGINE_COLUMNS, period)
    for name in ENGINE_COLUMNS:
        try:
            _engine_query(ws, tuple(c for c in ENGINE_COLUMNS if c != name), period)
        except (AttributeError, ibis.common.exceptions.IbisError):
            continue
        raise SystemExit(f"ENGINE_COLUMNS lists {name}, which the engine does not read")


def scan(ws: Workspace, period: Period) -> dict:
    """The floor: read the engine's columns once and aggregate them per unit, with no metric logic."""
    d = ws.store.table("dossier")
    cols = [c for c in ENGINE_COLUMNS if c != "unit_code"]
    # read every value (count() alone is answered from DuckDB's segment statistics): max of each column
    agg = d.group_by("unit_code").aggregate(**{f"c_{c}": d[c].max() for c in cols})
    return {"units": agg.to_pyarrow().num_rows, "columns": len(ENGINE_COLUMNS)}


def pandas_ref(ws: Workspace, period: Period) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.reference import reference_counts

    w = Window.of(period, AS_OF)
    frames = [
        ws.store.table("dossier").to_pyarrow().to_pandas(),
        current.procedures(ws.store).to_pyarrow().to_pandas(),
        current.units(ws.store).to_pyarrow().to_pandas(),
        current.petitions(ws.store).to_pyarrow().to_pandas(),
    ]
    t0 = time.perf_counter()
    out = reference_counts(*frames, w.start, w.end, w.as_of)
    return {"units": len({k[0] for k in out}), "compute_only_s": time.perf_counter() - t0}


def peak_mb() -> float:
    """This program's peak resident memory.

    Linux's ``ru_maxrss`` survives ``execve``: a child started by a parent holding 16 GB reports 16 GB even if it
    never used them. ``VmHWM`` belongs to the program's own address space, so it is read first.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    mode, db, period_text, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    ws = Workspace(db=db)
    period = Period.parse(period_text)
    engine_columns_check(ws, period)
    fn = {"engine": engine, "scan": scan, "pandas": pandas_ref}[mode]
    times, info = [], {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        info = fn(ws, period)
        times.append(time.perf_counter() - t0)
    peak = peak_mb()
    print(json.dumps({"best_s": min(times), "times": times, "peak_mb": peak, **info}))


if __name__ == "__main__":
    main()
