"""Crash safety (docs/guarantees.md): after a kill -9 or a full disk at any moment of an ingest, the store shows all
of the file or none of it, and running the same ingest again completes it.

The kill tests kill ``chiso ingest`` of 100,000 generated dossiers at seeded random moments, spread over the whole
run (reading, checking, writing, rebuilding the current dossiers, committing), on DuckDB and on PostgreSQL. The
store left by a kill that stored nothing is the store the next ingest starts from: that ingest is the re-run of the
interrupted file, killed in turn or left to finish; the chain ends with a re-run that completes.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from chiso.ingest import current
from chiso.workspace import Workspace
from tests.store_support import child_env, chiso, figures, go, pg_databases, preloaded, run_chiso

ROWS = 100_000
KILLS = 10
SEED = 766


@dataclass
class Reference:
    empty: dict[str, object]  # the store before the file
    full: dict[str, object]  # the store after the file, ingested without interruption
    seconds: float  # how long that ingest took here
    target: str  # the store it was ingested into


def _prepare(target: str, dataset: dict[str, Path]) -> None:
    done = run_chiso("--db", target, "ingest", dataset["units"], dataset["procedures"])
    assert done.returncode == 0, done.stderr


def _reference(new_store: Callable[[], str], dossiers: Path) -> Reference:
    empty = figures(new_store(), dossiers)
    assert (empty["runs"], empty["versions"], empty["dossiers"], empty["pairs"]) == (0, 0, 0, 0)
    target = new_store()
    proc = preloaded("--db", target, "ingest", dossiers)
    started = time.monotonic()
    go(proc)
    _, err = proc.communicate(timeout=600)
    seconds = time.monotonic() - started
    assert proc.returncode == 0, err
    full = figures(target, dossiers)
    assert full["runs"] == 1 and full["stored"] == full["versions"] == ROWS
    assert full["dossiers"] == full["pairs"] == full["status"] == ROWS  # every generated dossier code is distinct
    return Reference(empty, full, seconds, target)


def _kill_chain(new_store: Callable[[], str], dossiers: Path, ref: Reference) -> list[str]:
    """Kill ``chiso ingest`` KILLS times; after each kill the store holds all of the file or none of it."""
    rng = random.Random(SEED)
    target = new_store()
    outcomes: list[str] = []
    kills = attempts = 0
    estimate = ref.seconds  # how long an uninterrupted run takes; shortened when a run beats it (a shared machine)
    while kills < KILLS and attempts < 2 * KILLS:
        attempts += 1
        # stratified: the k-th kill falls in the k-th tenth of [5 %, 95 %] of an uninterrupted run
        delay = estimate * (0.05 + 0.90 * (kills + rng.random()) / KILLS)
        proc = preloaded("--db", target, "ingest", dossiers)
        started = time.monotonic()
        go(proc)
        try:
            _, err = proc.communicate(timeout=delay)
            assert proc.returncode == 0, err  # finished before the kill: a completed re-run
            estimate = min(estimate, time.monotonic() - started)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            kills += 1
        got = figures(target, dossiers)
        state = "all" if got == ref.full else "none" if got == ref.empty else None
        assert state is not None, f"after {delay:.1f} s of {ref.seconds:.1f} s the store holds part of the file: {got}"
        outcomes.append(f"{'kill' if proc.returncode == -signal.SIGKILL else 'end'} {delay:.1f}s: {state}")
        if state == "all":  # stored: running it again changes nothing; the next kill starts from an empty store
            ws = Workspace(db=target)
            assert all(r.skipped for r in ws.ingest([dossiers]))
            ws.close()
            assert figures(target, dossiers) == ref.full
            target = new_store()
    assert kills >= KILLS, outcomes
    ws = Workspace(db=target)  # the re-run of the interrupted file completes it
    reports = ws.ingest([dossiers])
    ws.close()
    assert [(r.skipped, r.rows_stored) for r in reports] == [(False, ROWS)]
    assert figures(target, dossiers) == ref.full
    return outcomes


@pytest.fixture(scope="module")
def duck_base(big_dataset: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB store holding the province's units and procedures (no dossiers yet)."""
    base = tmp_path_factory.mktemp("duckbase") / "base.duckdb"
    _prepare(str(base), big_dataset)
    return base


@pytest.fixture(scope="module")
def duck_stores(duck_base: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[], str]:
    folder = tmp_path_factory.mktemp("duckstores")
    counter = iter(range(1_000_000))

    def new_store() -> str:
        target = folder / f"store-{next(counter)}.duckdb"
        shutil.copy(duck_base, target)
        return str(target)

    return new_store


@pytest.fixture(scope="module")
def duck_reference(duck_stores: Callable[[], str], big_dataset: dict[str, Path]) -> Reference:
    return _reference(duck_stores, big_dataset["dossiers"])


@pytest.mark.slow
def test_kill_during_ingest_duckdb(duck_stores, duck_reference, big_dataset):
    outcomes = _kill_chain(duck_stores, big_dataset["dossiers"], duck_reference)
    print("DuckDB:", "; ".join(outcomes))


@pytest.mark.slow
@pytest.mark.postgres
def test_kill_during_ingest_postgres(big_dataset):
    dossiers = big_dataset["dossiers"]
    with pg_databases() as dbs:
        base = dbs.create()
        _prepare(base, big_dataset)

        def new_store() -> str:
            return dbs.create(template=base)

        ref = _reference(new_store, dossiers)
        assert ref.full["due_sum"] is not None
        outcomes = _kill_chain(new_store, dossiers, ref)
    print("PostgreSQL:", "; ".join(outcomes))


# -- a full disk ----------------------------------------------------------------------------------------------------
@contextmanager
def _small_disk(folder: Path, size: int) -> Iterator[Callable[[], None] | None]:
    """A folder that holds ``size`` bytes: a tmpfs where the system lets us mount one (ENOSPC, a real full disk),
    else a file size limit on the child process (EFBIG, the same failure of a write)."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = False
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("mount"):
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                                 capture_output=True).returncode == 0  # fmt: skip
    try:
        if mounted:
            yield None
        else:
            import resource

            def limit() -> None:
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
                resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

            yield limit
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.slow
def test_a_full_disk_leaves_all_or_nothing(duck_base, duck_stores, duck_reference, big_dataset, tmp_path):
    dossiers = big_dataset["dossiers"]
    before = duck_base.stat().st_size
    full = Path(duck_reference.target)
    after = sum(p.stat().st_size for p in full.parent.glob(full.name + "*"))  # the file and its write-ahead log
    outcomes = []
    for i, share in enumerate((0.05, 0.3, 0.6, 0.9, 1.5)):
        space = int(before + share * (after - before))
        folder = tmp_path / f"disk-{i}"
        with _small_disk(folder, space) as limit:
            target = folder / "store.duckdb"
            shutil.copy(duck_base, target)
            done = subprocess.run(chiso("--db", target, "ingest", dossiers), capture_output=True, text=True,
                                  env=child_env(), preexec_fn=limit, timeout=600)  # fmt: skip
            said = done.stdout + done.stderr
            assert "Lỗi không mong muốn" not in said, said
            assert done.returncode == 0 or "ổ đĩa đã đầy. Kho không bị hỏng" in said, said
            copy = tmp_path / f"after-{i}"  # the user frees space: the store is read where there is room
            copy.mkdir()
            for part in folder.iterdir():
                shutil.copy(part, copy / part.name)
        got = figures(copy / "store.duckdb", dossiers)
        state = "all" if got == duck_reference.full else "none" if got == duck_reference.empty else None
        assert state is not None, f"a disk of {space} bytes left part of the file: {got}"
        outcomes.append(f"{space // 1024} KiB: exit {done.returncode}, {state}")
        ws = Workspace(db=copy / "store.duckdb")  # running the ingest again completes the file
        reports = ws.ingest([dossiers])
        ws.close()
        assert [r.skipped for r in reports] == [state == "all"]
        assert figures(copy / "store.duckdb", dossiers) == duck_reference.full
    assert any("none" in o for o in outcomes), outcomes  # the small disks did stop the ingest
    print("full disk:", "; ".join(outcomes))


# -- a store an older chiso left half-done -----------------------------------------------------------------------
def _ingested_store(tmp_path: Path) -> tuple[Path, Path]:
    from chiso.generate import GenerateSpec, generate, write

    files = {f.kind: f.path for f in write(generate(GenerateSpec(dossiers=400, seed=5)), tmp_path / "data", "csv")}
    db = tmp_path / "store.duckdb"
    ws = Workspace(db=db)
    ws.ingest([files["units"], files["procedures"], files["dossiers"]])
    ws.close()
    return db, files["dossiers"]


def test_a_store_left_without_its_rebuild_heals_on_open(tmp_path):
    """The issue's state: versions committed, the current dossiers never rebuilt (killed in between, by a chiso
    without the marker): opening the store rebuilds them, and the file is not ingested twice."""
    db, dossiers = _ingested_store(tmp_path)
    before = figures(db, dossiers)
    assert before["dossiers"] == before["stored"] > 0
    con = duckdb.connect(str(db))
    con.execute("DELETE FROM dossier; DELETE FROM dossier_pair; DROP TABLE derived_state")
    con.close()
    assert figures(db, dossiers) == before
    ws = Workspace(db=db)
    assert all(r.skipped for r in ws.ingest([dossiers]))
    ws.close()


def test_a_marker_behind_the_newest_ingest_means_stale(tmp_path):
    db, dossiers = _ingested_store(tmp_path)
    before = figures(db, dossiers)
    con = duckdb.connect(str(db))
    con.execute("UPDATE derived_state SET ingest_high = ingest_high - 1; DELETE FROM dossier")
    con.close()
    assert figures(db, dossiers) == before
    con = duckdb.connect(str(db))  # rebuilt, and the marker names the newest ingest again
    assert con.execute("SELECT ingest_high = (SELECT max(ingest_id) FROM ingest_run) FROM derived_state").fetchall() \
        == [(True,)]  # fmt: skip
    con.close()


def test_calendar_overrides_and_the_rebuild_commit_together(tmp_path):
    """Computed deadlines follow the calendar: an extra day off moves them in the same transaction."""
    from datetime import timedelta

    from chiso.domain.times import VN_TZ
    from chiso.workdays import Override

    db, _ = _ingested_store(tmp_path)
    ws = Workspace(db=db)
    d = ws.store.table("dossier")
    computed = d.filter(d.due_computed)
    before = computed.due_s.sum().to_pyarrow().as_py()
    first = computed.received_at.min().to_pyarrow().as_py().astimezone(VN_TZ).date()
    day_off = first + timedelta(days=1)
    while day_off.weekday() >= 5:
        day_off += timedelta(days=1)
    ws.add_calendar_overrides([Override(day_off, "off", "nghỉ đột xuất")])
    assert computed.due_s.sum().to_pyarrow().as_py() > before
    assert not current.is_stale(ws.store)
    ws.close()
