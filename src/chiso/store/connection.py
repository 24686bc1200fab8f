"""Open the store: a DuckDB file (default ``./chiso.duckdb``), a PostgreSQL URL or a Spark URL, through Ibis."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from chiso.errors import StoreError
from chiso.store.spark import SparkStore, is_spark_url
from chiso.store.tables import TABLES, ensure_tables

DEFAULT_DB = "chiso.duckdb"


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


def _tune_postgres(con: ibis.BaseBackend) -> None:
    """Session settings for chiso's queries (docs/scale.md).

    Ibis reads results through a server-side cursor, for which PostgreSQL by default plans for the first 10 % of
    the rows (``cursor_tuple_fraction``): the engine's aggregates then got nested loops, 26× slower than DuckDB.
    chiso always reads every row, so the planner is told so.
    """
    with con.con.cursor() as cur:  # type: ignore[attr-defined]
        cur.execute("SET cursor_tuple_fraction = 1.0")


class Store:
    """A connection plus the few write operations chiso needs (insert rows, transactions)."""

    def __init__(self, target: str | Path = DEFAULT_DB) -> None:
        self.target = str(target)
        _refuse_unknown_scheme(self.target)
        self.spark: SparkStore | None = None
        if is_spark_url(self.target):  # Spark: chiso's own commit log over Parquet parts (store/spark.py)
            self.spark = SparkStore(self.target)
            self.con = self.spark.con
            self.backend = "pyspark"
            self.derived_created = self.spark.ensure_tables()
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
            raise StoreError(
                f"Không mở được kho dữ liệu {self.target}",
                detail=f"{type(exc).__name__}: {exc}",
                hint="Kiểm tra đường dẫn --db (hoặc biến CHISO_DB) và quyền ghi thư mục.",
            ) from exc
        self.backend = self.con.name
        if self.backend == "postgres":
            _tune_postgres(self.con)
        # derived tables (re-)created empty: the workspace rebuilds them from the stored versions
        self.derived_created = ensure_tables(self.con)

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

    def insert(self, name: str, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert rows (dicts keyed by column) into table ``name``; columns follow the declared schema."""
        if not rows:
            return 0
        schema = TABLES[name]
        arrow_schema = schema.to_pyarrow()
        columns = {col: [row.get(col) for row in rows] for col in schema.names}
        table = pa.table(columns, schema=arrow_schema)
        if self.spark is not None:
            return self.spark.append_arrow(name, table)
        self.con.insert(name, ibis.memtable(table))
        return len(rows)

    def insert_arrow(self, name: str, table: pa.Table) -> int:
        """Insert an Arrow table (columns named as the declared schema; missing ones become NULL)."""
        if table.num_rows == 0:
            return 0
        schema = TABLES[name].to_pyarrow()
        columns = [
            table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
            for f in schema
        ]
        if self.spark is not None:
            return self.spark.append_arrow(name, pa.Table.from_arrays(columns, schema=schema))
        self.con.insert(name, ibis.memtable(pa.Table.from_arrays(columns, schema=schema)))
        return table.num_rows

    def replace_rows(self, name: str, expr: ir.Table) -> None:
        """Empty table ``name`` and fill it from an expression of the same backend (a rebuilt current view)."""
        if self.spark is not None:
            self.spark.replace_rows(name, expr)
            return
        self.con.truncate_table(name)
        self.con.insert(name, expr.select(*TABLES[name].names))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside happen together or not at all."""
        if self.spark is not None:
            with self.spark.transaction():
                yield
            return
        raw = self.con.con
        if self.backend == "duckdb":
            raw.begin()
            try:
                yield
            except BaseException:
                raw.rollback()
                raise
            raw.commit()
        elif self.backend == "postgres":
            with raw.transaction():
                yield
        else:  # pragma: no cover - other backends are not supported for writing
            raise StoreError(f"Kho dữ liệu {self.backend} chưa hỗ trợ ghi", detail=self.backend)

    def checkpoint(self) -> None:
        """Write DuckDB's log into the file after a large ingest, so that the next open does not replay it."""
        if self.backend == "duckdb":
            self.con.con.execute("CHECKPOINT")

    def close(self) -> None:
        if self.spark is not None:
            self.spark.close()
            return
        self.con.disconnect()
