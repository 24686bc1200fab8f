"""``python -m bench``: local engine at 1M and 10M dossiers, on DuckDB (default), PostgreSQL or Spark.

For each size: generate a province-2025 data set (deterministic), write it as CSV, ingest it (timed), then in a
fresh process compute every metric of every unit for one period (wall time and peak memory), a bare scan of the
same columns in the same store, and — up to ``--pandas-max`` dossiers — the plain pandas reference on the same data.

``--backend postgres`` ingests into a database ``chiso_bench_<size>`` on the server of ``--pg-url`` (default:
``CHISO_BENCH_PG_URL`` or ``CHISO_TEST_PG_URL``); ``--backend spark`` into a Spark local-mode warehouse under the
work directory (``--spark-master``, default ``local[*]``). A store that already holds the data is reused.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from chiso.generate import GenerateSpec, generate, write
from chiso.workspace import Workspace

PERIOD = "2025"


def run_child(mode: str, db: str, repeat: int = 3) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.child", mode, db, PERIOD, str(repeat)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def store_target(backend: str, folder: Path, size: int, args: argparse.Namespace) -> str:
    """The ``--db`` of the bench store of one size on ``backend`` (a PostgreSQL database is created if missing)."""
    if backend == "duckdb":
        return str(folder / "bench.duckdb")
    if backend == "spark":
        return f"spark://{args.spark_master}?warehouse={folder / 'spark-warehouse'}&memory=6g"
    import psycopg

    url = args.pg_url or os.environ.get("CHISO_BENCH_PG_URL") or os.environ["CHISO_TEST_PG_URL"]
    name = f"chiso_bench_{size}"
    with psycopg.connect(url, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    return f"{url.rpartition('/')[0]}/{name}"


def holds_data(db: str) -> bool:
    if "://" not in db and not Path(db).exists():
        return False
    ws = Workspace(db=db)
    try:
        return bool(ws.store.table("dossier").count().to_pyarrow().as_py())
    finally:
        ws.close()


def data_files(folder: Path, size: int) -> tuple[list[Path], float | None]:
    """The generated CSV files of one size (written once, shared by every backend); seconds spent, if any."""
    manifest = folder / "data" / "manifest.json"
    if manifest.exists():
        return sorted(p for p in manifest.parent.iterdir() if p.suffix in (".csv", ".json") and p != manifest), None
    t0 = time.perf_counter()
    data = generate(GenerateSpec(preset="province-2025", province="H21", dossiers=size, seed=11,
                                 start=date(2025, 1, 1), end=date(2025, 12, 31)))  # fmt: skip
    files = [Path(f.path) for f in write(data, folder / "data", "csv")]
    return [f for f in files if f.name != "manifest.json"], time.perf_counter() - t0


def replicated_files(base: Path, size: int, copies: int) -> list[Path]:
    """``copies`` files of the ``size``-dossier data set, each with its dossier codes prefixed ``C<i>-``.

    A larger store without holding it in memory at once: each file is ingested on its own (as a national year
    arrives in monthly files), then the derived tables are rebuilt once.
    """
    source, _ = data_files(base / f"n{size}", size)
    target = base / f"n{size * copies}" / "copies"
    target.mkdir(parents=True, exist_ok=True)
    out = [f for f in source if f.name != "dossiers.csv"]
    dossiers = next(f for f in source if f.name == "dossiers.csv")
    for i in range(copies):
        path = target / f"dossiers-{i:02d}.csv"
        out.append(path)
        if path.exists():
            continue
        header, _, body = dossiers.read_bytes().removeprefix(b"\xef\xbb\xbf").partition(b"\n")
        prefix = f"C{i}-".encode()
        assert body.startswith(b'"'), "dossier codes are quoted in generated files"
        (target / "part.tmp").write_bytes(header + b'\n"' + prefix + body[1:].replace(b'\n"', b'\n"' + prefix))
        (target / "part.tmp").rename(path)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--pandas-max", type=int, default=1_000_000)
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--backend", choices=("duckdb", "postgres", "spark"), default="duckdb")
    parser.add_argument("--pg-url", default=None, help="a database on the PostgreSQL server to use (admin access)")
    parser.add_argument("--spark-master", default="local[*]")
    parser.add_argument("--copies", type=int, default=1,
                        help="store COPIES × each size: that many files of the size's data, codes made distinct")
    args = parser.parse_args()
    base = Path(args.workdir or tempfile.mkdtemp(prefix="chiso-bench-"))
    results = []
    for base_size in (int(s) for s in args.sizes.split(",")):
        size = base_size * args.copies
        folder = base / f"n{size}"
        db = store_target(args.backend, folder, size, args)
        t_gen = t_ingest = None
        if not holds_data(db):
            if args.copies > 1:
                files = replicated_files(base, base_size, args.copies)
            else:
                files, t_gen = data_files(folder, size)
            ws = Workspace(db=db)
            t0 = time.perf_counter()
            reports = ws.ingest(files)
            t_ingest = time.perf_counter() - t0
            ws.close()
            stored = sum(r.rows_stored for r in reports if r.kind == "dossiers")
            print(f"{size:>10,} dossiers ({args.backend}): generated+written {t_gen or 0:6.1f} s, ingested "
                  f"{stored:,} in {t_ingest:6.1f} s", flush=True)  # fmt: skip
        engine = run_child("engine", db)
        scan = run_child("scan", db)
        row = {"dossiers": size, "backend": args.backend, "generate_s": t_gen, "ingest_s": t_ingest,
               "engine": engine, "scan": scan}  # fmt: skip
        ratio = engine["best_s"] / scan["best_s"]
        line = (
            f"{size:>10,} ({args.backend}): engine {engine['best_s']:.3f} s (peak RSS {engine['peak_mb']:.0f} MB, "
            f"units {engine['units']}), bare scan {scan['best_s']:.3f} s → {ratio:.1f}× scan"
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
