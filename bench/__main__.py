"""``python -m bench``: local engine at 1M and 10M dossiers.

For each size: generate a province-2025 data set (deterministic), write it as CSV, ingest it (timed), then in a
fresh process compute every metric of every unit for one period (wall time and peak memory), a bare DuckDB scan
of the same columns, and — up to ``--pandas-max`` dossiers — the plain pandas reference on the same data.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from chiso.generate import GenerateSpec, generate, write
from chiso.workspace import Workspace

PERIOD = "2025"


def run_child(mode: str, db: Path, repeat: int = 3) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.child", mode, str(db), PERIOD, str(repeat)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--pandas-max", type=int, default=1_000_000)
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()
    base = Path(args.workdir or tempfile.mkdtemp(prefix="chiso-bench-"))
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        folder = base / f"n{size}"
        db = folder / "bench.duckdb"
        if not db.exists():
            t0 = time.perf_counter()
            data = generate(GenerateSpec(preset="province-2025", province="H21", dossiers=size, seed=11,
                                         start=date(2025, 1, 1), end=date(2025, 12, 31)))  # fmt: skip
            files = [Path(f.path) for f in write(data, folder / "data", "csv")]
            t_gen = time.perf_counter() - t0
            del data
            ws = Workspace(db=db)
            t0 = time.perf_counter()
            reports = ws.ingest([f for f in files if f.name != "manifest.json"])
            t_ingest = time.perf_counter() - t0
            ws.close()
            stored = sum(r.rows_stored for r in reports if r.kind == "dossiers")
            print(f"{size:>10,} dossiers: generated+written {t_gen:6.1f} s, ingested {stored:,} in {t_ingest:6.1f} s")
        else:
            t_gen = t_ingest = None
        engine = run_child("engine", db)
        scan = run_child("scan", db)
        row = {"dossiers": size, "generate_s": t_gen, "ingest_s": t_ingest, "engine": engine, "scan": scan}
        ratio = engine["best_s"] / scan["best_s"]
        line = (
            f"{size:>10,}: engine {engine['best_s']:.3f} s (peak RSS {engine['peak_mb']:.0f} MB, units "
            f"{engine['units']}), bare scan {scan['best_s']:.3f} s → {ratio:.1f}× scan"
        )
        if size <= args.pandas_max:
            ref = run_child("pandas", db, repeat=1)
            row["pandas"] = ref
            line += f"; pandas reference {ref['best_s']:.1f} s → engine {ref['best_s'] / engine['best_s']:.0f}× faster"
        print(line, flush=True)
        results.append(row)
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
