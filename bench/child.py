"""One measurement in a fresh process (so that peak memory is this measurement's own)."""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from chiso.domain.periods import Period
from chiso.engine.predicates import Window
from chiso.ingest import current
from chiso.workspace import Workspace

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)


def engine(ws: Workspace, period: Period) -> dict:
    ws._local_cache.clear()
    run = ws.local_run(period, as_of=AS_OF)
    return {"units": len(run.units)}


def scan(ws: Workspace, period: Period) -> dict:
    """The floor: read the same columns once and aggregate them per unit, with no metric logic."""
    d = ws.store.table("dossier")
    cols = ["received_at", "due_at", "end_at", "status", "supplement_count", "paused_seconds", "channel",
            "e_result", "paid_online", "fee_total", "synced", "digitised", "reused", "vneid", "citizen_db",
            "from_personal_store", "result_to_personal_store", "certified_copy", "e_certified", "dissatisfied",
            "procedure_code"]  # fmt: skip
    # read every value (count() alone is answered from DuckDB's segment statistics): max of each column
    agg = d.group_by("unit_code").aggregate(**{f"c_{c}": d[c].max() for c in cols})
    return {"units": agg.to_pyarrow().num_rows}


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


def main() -> None:
    mode, db, period_text, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    ws = Workspace(db=db)
    period = Period.parse(period_text)
    fn = {"engine": engine, "scan": scan, "pandas": pandas_ref}[mode]
    times, info = [], {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        info = fn(ws, period)
        times.append(time.perf_counter() - t0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"best_s": min(times), "times": times, "peak_mb": peak, **info}))


if __name__ == "__main__":
    main()
