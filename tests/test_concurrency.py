"""Concurrent writers (docs/guarantees.md).

PostgreSQL: writers take an advisory lock, ingest ids come from a sequence and file checksums are unique keys, so
two ingests of one file at once store it once and two different files get distinct ids. DuckDB lets one process
open a store: a second one is told, in Vietnamese, which process holds it (``chiso serve`` by name).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chiso.errors import StoreError
from chiso.ingest.run import file_id, ingest_path
from chiso.store import Store
from chiso.store.holder import Holder, describe, parse_lock_error
from chiso.workspace import Workspace
from tests.conftest import GIALAI_COMMUNES
from tests.store_support import PgDatabases, child_env, chiso, go, pg_databases, preloaded, run_chiso

SLICE = 20_000


@pytest.fixture(scope="module")
def two_files(big_dataset: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two dossier files of SLICE rows each, with different dossiers (slices of the generated province)."""
    folder = tmp_path_factory.mktemp("slices")
    lines = big_dataset["dossiers"].read_text(encoding="utf-8-sig").splitlines(keepends=True)
    first, second = folder / "dossiers-a.csv", folder / "dossiers-b.csv"
    first.write_text(lines[0] + "".join(lines[1 : SLICE + 1]), encoding="utf-8")
    second.write_text(lines[0] + "".join(lines[SLICE + 1 : 2 * SLICE + 1]), encoding="utf-8")
    return first, second


@pytest.fixture(scope="module")
def pg_template(big_dataset: dict[str, Path]) -> Iterator[tuple[PgDatabases, str]]:
    """A PostgreSQL database holding the province's units and procedures, copied by each test."""
    with pg_databases() as dbs:
        url = dbs.create()
        done = run_chiso("--db", url, "ingest", big_dataset["units"], big_dataset["procedures"])
        assert done.returncode == 0, done.stderr
        yield dbs, url


@pytest.fixture
def pg_store(pg_template: tuple[PgDatabases, str]) -> str:
    dbs, template = pg_template
    return dbs.create(template=template)


def _at_once(*commands: tuple[str | Path, ...]) -> list[tuple[int, str, str]]:
    """Run chiso commands started at the same moment (imported beforehand); (exit code, stdout, stderr) each."""
    procs = [preloaded(*args) for args in commands]
    for proc in procs:
        go(proc)
    outputs = [p.communicate(timeout=600) for p in procs]
    return [(p.returncode, out, err) for p, (out, err) in zip(procs, outputs, strict=True)]


def _runs(url: str) -> list[dict]:
    ws = Workspace(db=url)
    try:
        return ws.ingest_history()
    finally:
        ws.close()


@pytest.mark.postgres
@pytest.mark.slow
def test_one_file_ingested_twice_at_once_is_stored_once(pg_store, two_files):
    path = two_files[0]
    results = _at_once(("--db", pg_store, "ingest", path, "--format", "json"),
                       ("--db", pg_store, "ingest", path, "--format", "json"))  # fmt: skip
    reports = []
    for _, out, err in results:
        reports.extend(json.loads(out))
        assert "Lỗi" not in err, err
    assert sorted((r["skipped"], r["rows_stored"]) for r in reports) == [(False, SLICE), (True, 0)]
    mine = [r for r in _runs(pg_store) if r["file_id"] == file_id(path)]
    assert len(mine) == 1
    ws = Workspace(db=pg_store)
    assert ws.store.table("dossier_version").count().to_pyarrow().as_py() == SLICE
    assert ws.local_status()["dossiers"] == SLICE
    ws.close()


@pytest.mark.postgres
@pytest.mark.slow
def test_two_files_at_once_both_stored_with_distinct_ids(pg_store, two_files):
    results = _at_once(*(("--db", pg_store, "ingest", p) for p in two_files))
    assert [code for code, _, _ in results] == [0, 0], [err for _, _, err in results]
    runs = [r for r in _runs(pg_store) if r["kind"] == "dossiers"]
    assert sorted(r["file_name"] for r in runs) == ["dossiers-a.csv", "dossiers-b.csv"]
    ids = [r["ingest_id"] for r in _runs(pg_store)]
    assert len(set(ids)) == len(ids) == 4  # units, procedures, and the two files
    ws = Workspace(db=pg_store)
    v = ws.store.table("dossier_version")
    per_id = {r["ingest_id"]: r["n"] for r in v.group_by("ingest_id").aggregate(n=v.count()).to_pyarrow().to_pylist()}
    assert per_id == {r["ingest_id"]: SLICE for r in runs}  # each file's rows carry its own id
    assert ws.local_status()["dossiers"] == 2 * SLICE  # and the rebuild saw both
    ws.close()


@pytest.mark.postgres
def test_a_second_writer_waits_for_the_first_then_sees_its_file(pg_store, two_files):
    """Deterministic: the first writer holds the lock in an open transaction; the second waits, then skips."""
    path = two_files[0]
    first, second = Store(pg_store), Store(pg_store)
    outcome: dict[str, object] = {}

    def run_second() -> None:
        outcome["reports"] = ingest_path(second, path)

    try:
        with first.transaction():
            stored = ingest_path(first, path)
            assert [r.rows_stored for r in stored] == [SLICE]
            waiting = threading.Thread(target=run_second)
            waiting.start()
            waiting.join(timeout=3)
            assert waiting.is_alive()  # blocked on the writers' lock while the first has not committed
        waiting.join(timeout=120)
        assert not waiting.is_alive()
        assert [(r.skipped, r.rows_stored) for r in outcome["reports"]] == [(True, 0)]  # type: ignore[union-attr]
    finally:
        first.close()
        second.close()


@pytest.mark.postgres
def test_unique_keys_and_the_id_sequence_back_the_lock_up(pg_store, two_files):
    store = Store(pg_store)
    try:
        ids = []
        for _ in range(3):
            with store.transaction():
                ids.append(store.next_ingest_id())
        assert ids == sorted(set(ids)) and min(ids) > 2  # after the two catalogue ingests, never reused
        row = store.table("ingest_run").limit(1).to_pyarrow().to_pylist()[0]
        with pytest.raises(Exception, match="chiso_ingest_run_file"), store.transaction():
            store.insert("ingest_run", [row])
        assert store.table("ingest_run").count().to_pyarrow().as_py() == 2
    finally:
        store.close()


@pytest.mark.postgres
@pytest.mark.slow
def test_one_official_file_imported_twice_at_once_is_stored_once(pg_store):
    results = _at_once(*(("--db", pg_store, "import-official", GIALAI_COMMUNES, "--format", "json"),) * 2)
    statuses = sorted(json.loads(out)[0]["status"] for _, out, _ in results)
    assert statuses == ["duplicate", "imported"]
    ws = Workspace(db=pg_store)
    assert len(ws.files()) == 1
    ws.close()


# -- DuckDB: one process at a time -----------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_duckdb_held_by_chiso_serve_names_it(tmp_path, two_files):
    db = tmp_path / "store.duckdb"
    Workspace(db=db).close()
    server = subprocess.Popen(chiso("--db", db, "serve", "--host", "127.0.0.1", "--port", _free_port()),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=child_env())  # fmt: skip
    try:
        assert server.stdout is not None
        for line in server.stdout:  # the store is open once the server says it runs
            if "chiso đang chạy" in line:
                break
        done = run_chiso("--db", db, "ingest", two_files[0])
        said = done.stdout + done.stderr
        assert done.returncode == 2
        assert f"đang được chiso serve (PID {server.pid}) giữ" in said, said
        assert "trang Tải dữ liệu" in said  # what to do instead
        assert "quyền ghi" not in said  # not blamed on the path or permissions any more
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_duckdb_held_by_another_program_is_named(tmp_path):
    db = tmp_path / "store.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, sys; c = duckdb.connect({str(db)!r}); "
                               "print('open', flush=True); sys.stdin.readline()"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreError) as refused:
            Store(db)
        message = refused.value.message
        assert f"đang được một chương trình khác (PID {holder.pid}) giữ" in message
        assert "import duckdb" in message  # its command line, so the user knows which one
        found = parse_lock_error(refused.value.detail or "")
        assert found is not None and found.pid == holder.pid and not found.is_chiso
    finally:
        holder.communicate("\n", timeout=30)


def test_holder_wording():
    ingest = Holder(41, "/usr/bin/python3", ["/srv/venv/bin/python", "/srv/venv/bin/chiso", "ingest", "a.csv"])
    serve = Holder(42, "/usr/bin/python3", ["/srv/venv/bin/python", "/srv/venv/bin/chiso", "--db", "x", "serve"])
    module = Holder(43, "/usr/bin/python3", ["python3", "-m", "chiso.cli", "serve"])
    unknown = Holder(44, "/usr/bin/duckdb", [])
    said = describe(ingest, "k.duckdb")[0]
    assert said == "Kho dữ liệu k.duckdb đang được một tiến trình chiso khác (PID 41) giữ: chiso ingest a.csv."
    assert "chiso serve (PID 42)" in describe(serve, "k.duckdb")[0]
    assert module.is_server
    assert describe(unknown, "k.duckdb")[0].endswith("một chương trình khác (PID 44) giữ: /usr/bin/duckdb.")
    assert not unknown.is_chiso and not ingest.is_server
    message = ('IO Error: Could not set lock on file "/x/k.duckdb": Conflicting lock is held in /usr/bin/python3.11 '
               "(PID 4242). See also https://duckdb.org/docs/stable/connect/concurrency")  # fmt: skip
    found = parse_lock_error(message)
    assert found is not None and (found.pid, found.program) == (4242, "/usr/bin/python3.11")
    assert parse_lock_error("IO Error: Cannot open file: Permission denied") is None


def test_a_write_waits_for_another_thread_of_the_same_process(tmp_path):
    """DuckDB: writers of one process (the web server's threads) take turns instead of conflicting."""
    db = tmp_path / "store.duckdb"
    first, second = Store(db), Store(db)
    order: list[str] = []

    def other() -> None:
        with second.transaction():
            second.lock_writes()
            order.append("second")

    try:
        with first.transaction():
            first.lock_writes()
            thread = threading.Thread(target=other)
            thread.start()
            time.sleep(0.5)
            order.append("first")
        thread.join(timeout=30)
        assert order == ["first", "second"]
    finally:
        first.close()
        second.close()


def test_a_single_file_is_read_while_another_writer_holds_the_lock(tmp_path, monkeypatch):
    """Reading and checking the (first) file happens before the writers' lock: a web upload is checked while
    another upload is being written; only the writing waits."""
    import chiso.workspace as workspace_module
    from chiso.generate import GenerateSpec, generate, write

    files = {f.kind: f.path for f in write(generate(GenerateSpec(dossiers=200, seed=8)), tmp_path / "data", "csv")}
    db = tmp_path / "store.duckdb"
    ws, other = Workspace(db=db), Store(db)
    reading = threading.Event()
    real_read = workspace_module.read_file

    def read_file(*args, **kwargs):  # type: ignore[no-untyped-def]
        reading.set()
        return real_read(*args, **kwargs)

    monkeypatch.setattr(workspace_module, "read_file", read_file)
    outcome: dict[str, list] = {}
    try:
        with other.transaction():
            other.lock_writes()
            thread = threading.Thread(target=lambda: outcome.setdefault("reports", ws.ingest([files["units"]])))
            thread.start()
            assert reading.wait(timeout=60)  # read while the lock is held elsewhere
            thread.join(timeout=1)
            assert thread.is_alive()  # but not written until it is free
        thread.join(timeout=60)
        assert [r.rows_stored > 0 for r in outcome["reports"]] == [True]
    finally:
        ws.close()
        other.close()


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_with_one_file(request, big_dataset, two_files, tmp_path) -> str:
    """A store holding the catalogue and the first slice of dossiers, on each backend."""
    if request.param == "postgres":
        target = request.getfixturevalue("pg_store")
    else:
        target = str(tmp_path / "store.duckdb")
        Workspace(db=target).ingest([big_dataset["units"], big_dataset["procedures"]])
    ws = Workspace(db=target)
    ws.ingest([two_files[0]])
    ws.close()
    return target


def test_readers_see_the_previous_state_until_the_ingest_commits(store_with_one_file, two_files):
    """While an ingest rebuilds the current dossiers (DELETE + INSERT, uncommitted), another connection reads the
    previous state, whole, without waiting; after the commit it reads the new one."""
    from chiso.ingest import current

    writer, reader = Workspace(db=store_with_one_file), Workspace(db=store_with_one_file)
    if reader.store.backend == "postgres":
        reader.store._execute("SET statement_timeout = '10s'")  # a reader blocked by a lock fails instead of waiting

    def seen() -> tuple[int, int, int]:
        status = reader.local_status()["dossiers"]
        pairs = reader.store.table("dossier_pair").dossiers.sum().to_pyarrow().as_py()
        return status, int(pairs), len(reader.ingest_history())

    try:
        before = seen()
        assert before[:2] == (SLICE, SLICE)
        with writer.store.transaction():
            writer.store.lock_writes()
            ingest_path(writer.store, two_files[1])
            current.refresh_dossiers(writer.store, writer.calendar())
            assert writer.local_status()["dossiers"] == 2 * SLICE  # the writer sees its own rebuild
            assert seen() == before  # the reader does not, and is not blocked
        assert seen() == (2 * SLICE, 2 * SLICE, before[2] + 1)
    finally:
        writer.close()
        reader.close()
