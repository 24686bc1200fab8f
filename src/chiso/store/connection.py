"""Open the store: a DuckDB file (default ``./chiso.duckdb``), a PostgreSQL URL or a Spark URL, through Ibis.

Writes are all-or-nothing (``transaction``) and serialised between writers (``lock_writes``): a PostgreSQL advisory
lock held until the transaction ends, a lock per store inside the process on DuckDB (DuckDB itself lets one process
open a file); a Spark store publishes a transaction by its commit log (store/spark.py) and expects one writer.
What this guarantees after a crash and under concurrency: docs/guarantees.md.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from chiso.errors import ChisoError, StoreError
from chiso.store import holder
from chiso.store.spark import SparkStore, is_spark_url
from chiso.store.tables import INGEST_SEQUENCE, TABLES, UNIQUE_KEYS, ensure_tables, pg_index_names, tables_ready

DEFAULT_DB = "chiso.duckdb"
WRITE_LOCK_KEY = 0x63686973_6F00  # pg_advisory_xact_lock key of chiso's writers ('chis', 'o')
COPY_BATCH_ROWS = 65_536
# what drivers say when the disk (or a file size limit) stops a write
DISK_FULL = ("no space left on device", "file too large", "could not extend file", "disk full", "errno 28", "errno 27")
log = logging.getLogger(__name__)
# DuckDB: the connections of one process share the database; writers of one process queue here
_PROCESS_LOCKS: dict[str, threading.RLock] = {}
_PROCESS_LOCKS_GUARD = threading.Lock()


def _is_url(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://", "duckdb://", "spark://", "pyspark://", "sc://"))


def _refuse_unknown_scheme(target: str) -> None:
    """``foo://x`` is not a file name: refuse it instead of creating a DuckDB file of that name."""
    scheme = target.split("://", 1)[0] if "://" in target else ""
    if scheme and not _is_url(target):
        raise StoreError(
            f"Không nhận ra loại kho dữ liệu '{scheme}://' trong --db {target}",
            detail=f"unknown URL scheme {scheme!r}",
            hint="Dùng đường dẫn tệp DuckDB (ví dụ data/chiso.duckdb), postgresql://người_dùng@máy/tên_csdl, "
            "spark://local[*]?warehouse=THƯ_MỤC (Spark trên máy này) hoặc sc://máy:cổng (Spark Connect).",
        )


def _open_error(target: str, exc: Exception) -> StoreError:
    found = holder.parse_lock_error(str(exc))
    if found is not None:
        message, hint = holder.describe(found, target)
        return StoreError(message, detail=f"{type(exc).__name__}: {exc}", hint=hint)
    return StoreError(
        f"Không mở được kho dữ liệu {target}",
        detail=f"{type(exc).__name__}: {exc}",
        hint="Kiểm tra đường dẫn --db (hoặc biến CHISO_DB) và quyền ghi thư mục.",
    )


def disk_full(exc: BaseException) -> bool:
    text = f"{exc}".lower()
    return any(marker in text for marker in DISK_FULL) or getattr(exc, "errno", None) in (27, 28)


def _disk_full_error(target: str, exc: BaseException) -> StoreError:
    # honest about the one case we cannot tell apart: a failure while committing may come after the commit
    return StoreError(
        f"Không ghi được vào kho dữ liệu {target}: ổ đĩa đã đầy. Kho không bị hỏng: mỗi tệp hoặc đã được lưu đủ, "
        "hoặc chưa có dòng nào.",
        detail=f"{type(exc).__name__}: {exc}",
        hint="Giải phóng dung lượng ổ đĩa rồi chạy lại đúng lệnh này: tệp chưa lưu sẽ được nạp đầy đủ, tệp đã lưu "
        "được báo là đã nạp.",
    )


def _csv_safe(kind: pa.DataType) -> bool:
    """Types whose CSV text PostgreSQL's COPY reads back as the same value (not binary, lists or structs)."""
    return not (pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_nested(kind))


def _utc_as_text(batch: pa.RecordBatch) -> pa.RecordBatch:
    """UTC instants as text with their offset: Arrow's CSV writer is ten times slower on zoned timestamps."""
    columns = []
    for field, column in zip(batch.schema, batch.columns, strict=True):
        if pa.types.is_timestamp(field.type) and field.type.tz is not None:
            wall = pc.cast(column.cast(pa.timestamp(field.type.unit, "UTC")).cast(pa.timestamp(field.type.unit)),
                           pa.string())  # fmt: skip
            column = pc.binary_join_element_wise(wall, "+00", "")
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


class Store:
    """A connection plus the few write operations chiso needs (insert rows, transactions, the writers' lock)."""

    def __init__(self, target: str | Path = DEFAULT_DB) -> None:
        self.target = str(target)
        _refuse_unknown_scheme(self.target)
        self._depth = 0  # nesting of transaction(): inner blocks join the outer one
        self._held: threading.RLock | None = None  # DuckDB: this process's writers' lock, while held
        self._pg_locked = False
        self.spark: SparkStore | None = None
        if is_spark_url(self.target):  # Spark: chiso's own commit log over Parquet parts (store/spark.py)
            self.spark = SparkStore(self.target)
            self.con = self.spark.con
            self.backend = "pyspark"
            self.spark.ensure_tables()
            return
        try:
            if self.target.startswith(("postgresql://", "postgres://")):
                self.con = ibis.connect(self.target.replace("postgres://", "postgresql://", 1))
            else:
                path = self.target.removeprefix("duckdb://")
                if path != ":memory:":
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                self.con = ibis.duckdb.connect(path)
        except Exception as exc:  # any driver error: report it in Vietnamese, never a traceback
            raise _open_error(self.target, exc) from exc
        self.backend = self.con.name
        if self.backend == "postgres":
            # Ibis reads through server-side cursors, which PostgreSQL plans for the first 10 % of the rows (nested
            # loops over a window: 20 s instead of 1 s at 100k dossiers); chiso always reads every row
            self._execute("SET cursor_tuple_fraction = 1.0")
            # a killed chiso's transaction is ended (and the writers' lock freed) within seconds, not when its
            # statement would have finished (PostgreSQL 14 and later)
            with suppress(Exception):
                self._execute("SET client_connection_check_interval = 2000")
        if not (tables_ready(self.con) and self._keys_ready()):
            with self.transaction():  # processes opening a new store together do not collide
                self.lock_writes()
                # derived tables (re-)created empty clear the marker: the workspace rebuilds them on open
                ensure_tables(self.con)
                self._ensure_keys()

    @property
    def label(self) -> str:
        return self.target if not _is_url(self.target) else self.target.split("@")[-1]

    def table(self, name: str) -> ir.Table:
        if self.spark is not None:
            return self.spark.table(name)
        return self.con.table(name)

    def ensure_tables(self) -> list[str]:
        """Create tables registered since the store was opened (e.g. the web accounts')."""
        if self.spark is not None:
            return self.spark.ensure_tables()
        return ensure_tables(self.con)

    # -- plain SQL on the driver's connection (inside the current transaction, if any) --------------------------
    def _execute(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        raw = self.con.con
        if self.backend == "postgres":
            with raw.cursor() as cur:
                cur.execute(sql, params)
                return list(cur.fetchall()) if cur.description else []
        cur = raw.execute(sql, params) if params else raw.execute(sql)
        return list(cur.fetchall()) if cur.description else []

    def _keys_ready(self) -> bool:
        names = list(UNIQUE_KEYS)
        if self.backend == "postgres":
            names += pg_index_names()  # stores made before the indexes existed get them on open
            found = {r[0] for r in self._execute("SELECT relname FROM pg_class WHERE relname = ANY(%s)",
                                                 [[*names, INGEST_SEQUENCE]])}  # fmt: skip
            return found == {*names, INGEST_SEQUENCE}
        found = {r[0] for r in self._execute("SELECT index_name FROM duckdb_indexes()")}
        return set(names) <= found

    def _ensure_keys(self) -> None:
        """Unique keys on file checksums and (PostgreSQL) the ingest id sequence; inside the locked setup."""
        for index, (table, columns) in UNIQUE_KEYS.items():
            cols = ", ".join(f'"{c}"' for c in columns)
            try:
                with self._savepoint():
                    self._execute(f'CREATE UNIQUE INDEX IF NOT EXISTS "{index}" ON "{table}" ({cols})')
            except Exception as exc:  # a store where an older chiso stored a file twice: keep working, say so
                log.warning("Không tạo được khóa duy nhất %s trên bảng %s (kho có tệp được lưu hai lần?): %s",
                            index, table, exc)  # fmt: skip
        if self.backend == "postgres":
            exists = self._execute("SELECT 1 FROM pg_class WHERE relkind = 'S' AND relname = %s", [INGEST_SEQUENCE])
            if not exists:
                self._execute(f'CREATE SEQUENCE "{INGEST_SEQUENCE}"')
                self._execute(f"SELECT setval('\"{INGEST_SEQUENCE}\"', "
                              "(SELECT COALESCE(MAX(ingest_id), 0) + 1 FROM ingest_run), false)")  # fmt: skip

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        if self.backend == "postgres":
            with self.con.con.transaction():
                yield
        else:
            yield

    # -- writes --------------------------------------------------------------------------------------------------
    def insert(self, name: str, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert rows (dicts keyed by column) into table ``name``; columns follow the declared schema."""
        if not rows:
            return 0
        schema = TABLES[name]
        columns = {col: [row.get(col) for row in rows] for col in schema.names}
        return self.insert_arrow(name, pa.table(columns, schema=schema.to_pyarrow()))

    def insert_arrow(self, name: str, table: pa.Table) -> int:
        """Insert an Arrow table (columns named as the declared schema; missing ones become NULL)."""
        if table.num_rows == 0:
            return 0
        schema = TABLES[name].to_pyarrow()
        columns = [
            table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
            for f in schema
        ]
        shaped = pa.Table.from_arrays(columns, schema=schema)
        if self.spark is not None:
            return self.spark.append_arrow(name, shaped)
        if self.backend == "postgres" and all(_csv_safe(f.type) for f in schema):
            self._copy(name, shaped)
        else:
            self.con.insert(name, ibis.memtable(shaped))
        return table.num_rows

    def _copy(self, name: str, table: pa.Table) -> None:
        """PostgreSQL bulk load: ``COPY … FROM STDIN`` in CSV written by Arrow (every value quoted, NULL bare)."""
        cols = ", ".join(f'"{c}"' for c in table.column_names)
        options = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
        with self.con.con.cursor() as cur, cur.copy(f'COPY "{name}" ({cols}) FROM STDIN (FORMAT csv)') as copy:
            for batch in table.to_batches(max_chunksize=COPY_BATCH_ROWS):
                buffer = io.BytesIO()
                pacsv.write_csv(_utc_as_text(batch), buffer, options)
                copy.write(buffer.getvalue())

    def delete_all(self, name: str) -> None:
        if self.spark is not None:
            self.spark.clear(name)
            return
        self._execute(f'DELETE FROM "{name}"')

    def replace_rows(self, name: str, expr: ir.Table) -> None:
        """Replace every row of table ``name`` by an expression of the same backend (a rebuilt current view).

        DELETE, not TRUNCATE: on PostgreSQL TRUNCATE takes an ACCESS EXCLUSIVE lock until the transaction ends, so
        readers would wait for the whole rebuild; with DELETE they keep reading the previous rows (MVCC). Spark
        writes a new part and switches the table to it when the transaction's log is written.
        """
        if self.spark is not None:
            self.spark.replace_rows(name, expr)
            return
        self.delete_all(name)
        self.con.insert(name, expr.select(*TABLES[name].names))

    def next_ingest_id(self) -> int:
        """A new ingest id: from a sequence on PostgreSQL; the next after the largest on DuckDB (one writer)."""
        if self.spark is not None:  # one writer (docs/scale.md)
            return int(self.table("ingest_run").ingest_id.max().to_pyarrow().as_py() or 0) + 1
        if self.backend == "postgres":
            return int(self._execute(f"SELECT nextval('\"{INGEST_SEQUENCE}\"')")[0][0])
        return int(self._execute("SELECT COALESCE(MAX(ingest_id), 0) + 1 FROM ingest_run")[0][0])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside happen together or not at all; a transaction opened inside another joins it."""
        if self.spark is not None:
            with self.spark.transaction():
                yield
            return
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        raw = self.con.con
        self._depth = 1
        try:
            if self.backend == "duckdb":
                raw.begin()
                try:
                    yield
                except BaseException:
                    with suppress(Exception):  # after a fatal I/O error DuckDB has nothing left to roll back
                        raw.rollback()
                    raise
                raw.commit()
            elif self.backend == "postgres":
                with raw.transaction():
                    yield
            else:  # pragma: no cover - other backends are not supported for writing
                raise StoreError(f"Kho dữ liệu {self.backend} chưa hỗ trợ ghi", detail=self.backend)
        except ChisoError:
            raise
        except Exception as exc:
            if disk_full(exc):
                raise _disk_full_error(self.label, exc) from exc
            raise
        finally:
            self._depth = 0
            self._pg_locked = False
            if self._held is not None:
                self._held.release()
                self._held = None

    def lock_writes(self) -> None:
        """Hold the writers' lock until the current transaction ends: other chiso writers of the store wait.

        PostgreSQL: a transaction-level advisory lock (other processes and servers); DuckDB: a lock shared by the
        connections of this process (DuckDB lets only one process open the file).
        """
        if self.spark is not None:  # a Spark store expects one writer (docs/scale.md)
            return
        if not self._depth:
            raise RuntimeError("lock_writes() outside a transaction")
        if self.backend == "postgres":
            if self._pg_locked:
                return
            if not self._execute("SELECT pg_try_advisory_xact_lock(%s)", [WRITE_LOCK_KEY])[0][0]:
                log.warning("Một tiến trình chiso khác đang ghi vào kho %s; đang chờ nó xong…", self.label)
                self._execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK_KEY])
            self._pg_locked = True
        elif self._held is None:
            key = str(Path(self.target.removeprefix("duckdb://")).resolve()) if self.target != ":memory:" else ""
            with _PROCESS_LOCKS_GUARD:
                lock = _PROCESS_LOCKS.setdefault(key or f"memory:{id(self)}", threading.RLock())
            lock.acquire()
            self._held = lock

    def checkpoint(self) -> None:
        """Write DuckDB's log into the file after a large ingest, so that the next open does not replay it.

        The data are already safe in the log: a failure here (a full disk) is only reported.
        """
        if self.backend == "duckdb":
            try:
                self.con.con.execute("CHECKPOINT")
            except Exception as exc:
                log.warning("Chưa gộp được nhật ký ghi vào tệp kho (%s); dữ liệu vẫn an toàn trong nhật ký.", exc)

    def close(self) -> None:
        if self.spark is not None:
            self.spark.close()
            return
        self.con.disconnect()
