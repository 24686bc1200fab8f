"""A store on Spark (a national year: 100M+ dossiers): tables as Parquet parts under a warehouse directory, made
visible by a commit log written last (decision 0012, docs/scale.md).

Spark has no transactions, so chiso keeps its own, in the warehouse:

* every write goes to a new directory ``<warehouse>/<database>/<table>/part=<txid>-<n>/`` that nothing reads yet;
* a transaction ends by writing one small Parquet file, ``_log/tx=<txid>/``, that lists the parts it wrote and
  whether each one is appended to its table or replaces it (derived tables are rebuilt into a new part and the
  log switches to it);
* a table is read as the parts that committed log entries name, newest replacement first, then the appends
  after it. A write that dies before its log file exists leaves directories that no one reads: after a crash at
  any moment the store shows all of a transaction or none of it.

The Ibis backend is ``ibis.pyspark``; each table is a temporary view over its committed parts, declared with the
schema of ``store/tables.py``, so the engine's expressions compile unchanged. Within a transaction the writing
session sees its own writes (a rebuild reads the table it has just written); other sessions see them once the
log file exists. Writers are expected one at a time (an ingest or a rebuild), like the DuckDB file.

URLs (``--db``): ``spark://local[*]`` / ``spark://local[N]`` / ``pyspark://local`` (local mode), ``spark://HOST:PORT``
(a standalone cluster), ``spark://default`` (the session that ``spark-defaults.conf``, ``spark-submit`` or
``SPARK_REMOTE`` configures), ``sc://HOST:PORT`` (Spark Connect). Query parameters: ``warehouse`` (directory or
URI shared by driver and executors; default ``./chiso-spark`` in local mode, required otherwise), ``database``
(sub-directory, default ``chiso``), ``memory`` (driver memory in local mode, default ``4g``).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pyarrow as pa

from chiso.errors import StoreError
from chiso.store.tables import DERIVED_TABLES, TABLES

SCHEMES = ("spark", "pyspark", "sc")
LOG_SCHEMA = pa.schema(
    [
        ("seq", pa.int32()),
        ("table_name", pa.string()),
        ("action", pa.string()),  # append | replace
        ("part", pa.string()),  # directory name under the table's directory
        ("columns", pa.string()),  # the declared columns when written (a derived table is rebuilt when they change)
        ("rows", pa.int64()),
        ("committed_at", pa.timestamp("us", tz="UTC")),
    ]
)
_SESSIONS: dict[str, Any] = {}  # one Spark session per master/remote in a process (tests open many stores)


@dataclass(frozen=True)
class SparkTarget:
    """A parsed Spark URL."""

    mode: str  # local | master | default | connect
    address: str  # the master (local[*], spark://h:p), or the Spark Connect URL
    warehouse: str
    database: str
    memory: str

    @property
    def root(self) -> str:
        return f"{self.warehouse.rstrip('/')}/{self.database}"

    @property
    def local_path(self) -> Path | None:
        """The warehouse as a local directory, when it is one (then Python writes Parquet files itself)."""
        if self.mode != "local":
            return None
        return Path(self.root.removeprefix("file://"))


def is_spark_url(target: str) -> bool:
    return target.split("://", 1)[0].lower() in SCHEMES if "://" in target else False


def parse_target(target: str) -> SparkTarget:
    """Read a Spark URL; a missing or unusable part raises StoreError with a Vietnamese message."""
    scheme, rest = target.split("://", 1)
    scheme = scheme.lower()
    address, _, query = rest.partition("?")
    params = dict(parse_qsl(query))
    unknown = sorted(set(params) - {"warehouse", "database", "memory"})
    if unknown:
        raise StoreError(
            f"Tham số không hợp lệ trong địa chỉ kho Spark: {', '.join(unknown)}",
            detail=target,
            hint="Chỉ dùng warehouse=THƯ_MỤC, database=TÊN, memory=4g, ví dụ spark://local[*]?warehouse=/data/chiso",
        )
    if scheme == "sc":
        mode, address = "connect", f"sc://{address}"
    elif address.startswith("local") or (scheme == "pyspark" and address in ("", "local")):
        mode, address = "local", address if address.startswith("local[") else "local[*]"
    elif address in ("", "default"):
        mode = "default"
    else:
        mode, address = "master", f"spark://{address}"
        if urlsplit(address).port is None:
            raise StoreError(
                f"Địa chỉ cụm Spark thiếu cổng: {target}",
                hint="Ví dụ spark://may-chu:7077?warehouse=hdfs://…; chạy trên máy này: spark://local[*]",
            )
    warehouse = params.get("warehouse")
    if warehouse is None:
        if mode != "local":
            raise StoreError(
                "Kho Spark trên cụm máy cần thư mục dữ liệu dùng chung (warehouse=…)",
                detail=target,
                hint="Thêm ?warehouse=hdfs://… (hoặc s3a://…, một thư mục mọi máy của cụm cùng thấy).",
            )
        warehouse = str(Path("chiso-spark").absolute())
    elif mode == "local" and "://" not in warehouse:
        warehouse = str(Path(warehouse).absolute())
    return SparkTarget(mode, address, warehouse, params.get("database", "chiso"), params.get("memory", "4g"))


def _session(target: SparkTarget) -> Any:
    key = f"{target.mode}:{target.address}"
    session = _SESSIONS.get(key)
    if session is not None:
        return session
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("chiso")
    if target.mode == "connect":
        builder = builder.remote(target.address)
    else:
        if target.mode != "default":
            builder = builder.master(target.address)
        builder = builder.config("spark.sql.session.timeZone", "UTC").config("spark.ui.showConsoleProgress", "false")
        if target.mode == "local":
            builder = (
                builder.config("spark.driver.memory", target.memory)
                .config("spark.ui.enabled", "false")
                .config("spark.sql.warehouse.dir", target.warehouse)
                .config("spark.sql.shuffle.partitions", "8")
            )
    session = builder.getOrCreate()
    if target.mode != "connect":
        session.sparkContext.setLogLevel("ERROR")
    _SESSIONS[key] = session
    return session


def _spark_schema(name: str) -> Any:
    from ibis.backends.pyspark.datatypes import PySparkSchema

    return PySparkSchema.from_ibis(TABLES[name])


def _txid() -> str:
    return f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"


class SparkStore:
    """Tables of ``store/tables.py`` on Spark, with chiso's own commit log (see the module's docstring)."""

    def __init__(self, target: str) -> None:
        self.target = parse_target(target)
        try:
            self.session = _session(self.target)
            self.con = ibis.pyspark.connect(self.session)
        except Exception as exc:  # the JVM, the cluster or the Connect server refused: say so in Vietnamese
            raise StoreError(
                f"Không kết nối được Spark ({self.target.address})",
                detail=f"{type(exc).__name__}: {exc}",
                hint="Kiểm tra Java (java -version), gói pyspark (pip install 'chiso[spark]') và địa chỉ cụm Spark.",
            ) from exc
        self.view_prefix = f"chiso_{uuid.uuid4().hex[:8]}_"
        self._committed: dict[str, list[str]] = {}  # table -> part directories, as the log says
        self._columns: dict[str, str] = {}  # derived table -> columns of its current part
        self._pending: list[dict] | None = None
        self._visible: dict[str, list[str]] = {}  # what this session reads (committed + its own pending writes)
        self._views: set[str] = set()  # tables with a view in the session (made when first read)
        self._load_log()

    # -- paths and the log ---------------------------------------------------------------------------------
    def _path(self, *parts: str) -> str:
        return "/".join((self.target.root, *parts))

    def _load_log(self) -> None:
        committed: dict[str, list[str]] = {name: [] for name in TABLES}
        columns: dict[str, str] = {}
        for entry in self._log_entries():
            name = entry["table_name"]
            if entry["action"] == "replace":
                committed[name] = [entry["part"]]
                columns[name] = entry["columns"]
            else:
                committed.setdefault(name, []).append(entry["part"])
        self._committed, self._columns = committed, columns
        self._visible = {name: list(parts) for name, parts in committed.items()}

    def _log_entries(self) -> list[dict]:
        from pyspark.sql.utils import AnalysisException

        try:
            log = self.session.read.parquet(self._path("_log"))
        except AnalysisException:  # no log yet: an empty store
            return []
        rows = [r.asDict() for r in log.select("tx", "seq", "table_name", "action", "part", "columns").collect()]
        return sorted(rows, key=lambda r: (r["tx"], r["seq"]))

    def _register(self, name: str) -> None:
        """Point the view of ``name`` at its visible parts (expressions built earlier then read the new rows)."""
        if name in self._views:
            self._make_view(name)

    def _make_view(self, name: str) -> None:
        parts = self._visible.get(name, [])
        schema = _spark_schema(name)
        if parts:
            df = self.session.read.schema(schema).parquet(*(self._path(name, p) for p in parts))
        else:
            df = self.session.createDataFrame([], schema)
        df.createOrReplaceTempView(self.view_prefix + name)
        self._views.add(name)

    def table(self, name: str) -> ir.Table:
        """The committed rows of ``name`` (and this session's pending writes), typed as declared in tables.py."""
        if name not in self._views:
            self._make_view(name)
        op = ops.DatabaseTable(self.view_prefix + name, TABLES[name], self.con, ops.Namespace())
        return op.to_expr()

    def ensure_tables(self) -> list[str]:
        """Tables need no creation; a derived table whose declared columns changed is emptied, to be rebuilt."""
        stale = [name for name in DERIVED_TABLES if self._columns.get(name) != ",".join(TABLES[name].names)]
        for name in stale:
            self._visible[name] = []
            self._register(name)
        for name in TABLES:
            self._visible.setdefault(name, [])
        missing_schema_info = not self._visible.get("schema_info")
        if missing_schema_info:
            from chiso.store.tables import SCHEMA_VERSION

            row = {"version": [SCHEMA_VERSION], "created_at": [dt.datetime.now(dt.UTC)]}
            self.append_arrow("schema_info", pa.table(row, schema=TABLES["schema_info"].to_pyarrow()))
        return stale

    # -- writes ---------------------------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._pending is not None:  # nested: part of the outer transaction
            yield
            return
        self._pending = []
        try:
            yield
            self._commit(self._pending)
        except BaseException:
            written = {p["table_name"] for p in self._pending}
            self._visible = {name: list(parts) for name, parts in self._committed.items()}
            for name in written:
                self._register(name)
            raise
        finally:
            self._pending = None

    def _record(self, name: str, action: str, part: str, rows: int) -> None:
        entry = {"table_name": name, "action": action, "part": part, "columns": ",".join(TABLES[name].names),
                 "rows": rows}  # fmt: skip
        if action == "replace":
            self._visible[name] = [part]
        else:
            self._visible.setdefault(name, []).append(part)
        self._register(name)
        if self._pending is None:
            self._commit([entry])
        else:
            self._pending.append(entry)

    def _commit(self, entries: list[dict]) -> None:
        """Write the log file that publishes ``entries`` (the last write of a transaction)."""
        if not entries:
            return
        now = dt.datetime.now(dt.UTC)
        log = pa.table(
            {
                "seq": pa.array(range(len(entries)), pa.int32()),
                "table_name": [e["table_name"] for e in entries],
                "action": [e["action"] for e in entries],
                "part": [e["part"] for e in entries],
                "columns": [e["columns"] for e in entries],
                "rows": pa.array([e["rows"] for e in entries], pa.int64()),
                "committed_at": pa.array([now] * len(entries), pa.timestamp("us", tz="UTC")),
            },
            schema=LOG_SCHEMA,
        )
        self._write(log, self._path("_log", f"tx={_txid()}"))
        for e in entries:
            if e["action"] == "replace":
                self._committed[e["table_name"]] = [e["part"]]
                self._columns[e["table_name"]] = e["columns"]
            else:
                self._committed.setdefault(e["table_name"], []).append(e["part"])

    def _write(self, table: pa.Table, path: str) -> None:
        """One Parquet directory (a single file when written here, Spark's files otherwise)."""
        local = self.target.local_path
        if local is not None:
            import pyarrow.parquet as pq

            folder = Path(path.removeprefix("file://"))
            folder.mkdir(parents=True, exist_ok=True)
            temporary = folder / "_part.parquet.tmp"  # hidden from readers until renamed
            pq.write_table(table, temporary, compression="zstd")
            temporary.rename(folder / "part-0.parquet")
            return
        df = self.session.createDataFrame(table)
        df.coalesce(1).write.mode("errorifexists").parquet(path)

    def append_arrow(self, name: str, table: pa.Table) -> int:
        part = f"part={_txid()}"
        self._write(table, self._path(name, part))
        self._record(name, "append", part, table.num_rows)
        return table.num_rows

    def clear(self, name: str) -> None:
        """Switch table ``name`` to an empty part (published with the transaction's log)."""
        part = f"part={_txid()}"
        self._write(TABLES[name].to_pyarrow().empty_table(), self._path(name, part))
        self._record(name, "replace", part, 0)

    def replace_rows(self, name: str, expr: ir.Table) -> None:
        """Write the rows of ``expr`` as a new part of ``name`` and switch the table to it."""
        from pyspark.sql import functions

        schema = _spark_schema(name)
        expr = expr.select(*TABLES[name].names)
        self.con._run_pre_execute_hooks(expr)  # registers the in-memory tables the expression uses (Ibis 10–12)
        df = self.session.sql(self.con.compile(expr))
        df = df.select(*(functions.col(f.name).cast(f.dataType).alias(f.name) for f in schema.fields))
        part = f"part={_txid()}"
        df.write.mode("errorifexists").parquet(self._path(name, part))
        self._record(name, "replace", part, -1)

    def close(self) -> None:
        """Forget this store's views; the session stays for the process (the JVM is slow to start)."""
        for name in self._views:
            self.session.catalog.dropTempView(self.view_prefix + name)
