"""Helpers of the crash and concurrency tests: the chiso command in a child process, PostgreSQL test databases,
and the figures that show whether a store holds all of a file or none of it."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from chiso.ingest.run import file_id
from chiso.workspace import Workspace
from tests.conftest import need

# the installed entry point: its command line reads 'chiso …', as a user's does
CHISO = [sys.executable, str(Path(sys.executable).parent / "chiso")]


def chiso(*args: str | Path) -> list[str]:
    return [*CHISO, *map(str, args)]


def run_chiso(*args: str | Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(chiso(*args), capture_output=True, text=True, timeout=timeout, env=child_env())


# a chiso command that imports everything first and starts when told: a kill then falls in the command's work,
# not in Python's start-up
_PRELOADED = (
    "import sys; import chiso.workspace; from chiso.cli import main; print('ready', flush=True); "
    "sys.stdin.readline(); sys.argv = ['chiso', *sys.argv[1:]]; main()"
)


def preloaded(*args: str | Path) -> subprocess.Popen[str]:
    """Start ``chiso ARGS`` in a child that waits, imported, for ``go``."""
    proc = subprocess.Popen([sys.executable, "-c", _PRELOADED, *map(str, args)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env())  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def go(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.write("go\n")
    proc.stdin.flush()


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("CHISO_DB", None)
    env["COLUMNS"] = "200"  # Rich wraps messages at the terminal width; tests read them whole
    return env


def pg_url() -> str:
    url = os.environ.get("CHISO_TEST_PG_URL")
    need(bool(url), "CHISO_TEST_PG_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        need(False, "psycopg is not installed (pip install 'chiso[postgres]')")
    return str(url)


class PgDatabases:
    """Databases made for one test (optionally copies of a template database), dropped at the end."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.base = url.rpartition("/")[0]
        self.names: list[str] = []

    def create(self, template: str | None = None) -> str:
        import psycopg

        name = f"chiso_test_{uuid.uuid4().hex[:10]}"
        clause = f' TEMPLATE "{template.rpartition("/")[2]}"' if template else ""
        with psycopg.connect(self.url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"{clause}')
        self.names.append(name)
        return f"{self.base}/{name}"

    def drop_all(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as admin:
            for name in self.names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.names.clear()


@contextmanager
def pg_databases() -> Iterator[PgDatabases]:
    dbs = PgDatabases(pg_url())
    try:
        yield dbs
    finally:
        dbs.drop_all()


def figures(target: str | Path, path: Path) -> dict[str, object]:
    """What the store shows of one dossier file, read the way users read it (the workspace opens the store first,
    finishing anything a crash left undone)."""
    ws = Workspace(db=target)
    try:
        store = ws.store
        runs = store.table("ingest_run")
        mine = runs.filter(runs.file_id == file_id(path)).to_pyarrow().to_pylist()
        d = store.table("dossier")
        row = d.aggregate(
            n=d.count(), due=d.due_s.sum(), end=d.end_s.sum(), computed=d.due_computed.sum()
        ).to_pyarrow().to_pylist()[0]
        pairs = store.table("dossier_pair").dossiers.sum().to_pyarrow().as_py()
        return {
            "runs": len(mine),
            "stored": sum(r["rows_stored"] for r in mine),
            "versions": store.table("dossier_version").count().to_pyarrow().as_py(),
            "dossiers": row["n"],
            "pairs": int(pairs or 0),
            "due_sum": row["due"],
            "end_sum": row["end"],
            "computed_dues": int(row["computed"] or 0),
            "status": ws.local_status()["dossiers"],
        }
    finally:
        ws.close()
