"""Spark store (store/spark.py): the URL forms, the same figures as DuckDB on a small data set, and crash
consistency through chiso's commit log. Spark runs in local mode in this process (needs Java and pyspark)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from chiso.domain.periods import Period
from chiso.errors import StoreError
from chiso.generate import GenerateSpec
from chiso.store import Store
from chiso.store.spark import parse_target
from tests.backend_support import assert_same, data_files, observe, workspace
from tests.conftest import need

PERIOD = Period.parse("2023-05")
AS_OF = datetime(2023, 5, 31, 10, 0, tzinfo=UTC)


def _spark_available() -> None:
    need(shutil.which("java") is not None, "java is not installed (apt-get install default-jre-headless)")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        need(False, "pyspark is not installed (pip install 'chiso[spark]')")


def spark_url(folder: Path) -> str:
    return f"spark://local[2]?warehouse={folder}"


@pytest.mark.parametrize(
    ("url", "mode", "address"),
    [
        ("spark://local[*]?warehouse=/w", "local", "local[*]"),
        ("spark://local[2]?warehouse=/w&memory=8g", "local", "local[2]"),
        ("pyspark://local?warehouse=/w", "local", "local[*]"),
        ("spark://master.example:7077?warehouse=hdfs://nn/chiso", "master", "spark://master.example:7077"),
        ("sc://connect.example:15002?warehouse=s3a://bucket/chiso", "connect", "sc://connect.example:15002"),
        ("spark://default?warehouse=hdfs://nn/chiso", "default", ""),
    ],
)
def test_spark_urls(url: str, mode: str, address: str) -> None:
    target = parse_target(url)
    assert (target.mode, target.address if mode != "default" else "") == (mode, address)
    assert target.database == "chiso"
    assert target.local_path is not None if mode == "local" else target.local_path is None


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("sc://connect.example:15002", "warehouse"),  # a cluster needs a shared directory
        ("spark://master.example", "cổng"),  # a standalone master needs its port
        ("spark://local[*]?wharehouse=/w", "wharehouse"),  # a misspelt parameter is named
    ],
)
def test_spark_urls_refused(url: str, words: str) -> None:
    with pytest.raises(StoreError) as caught:
        parse_target(url)
    assert words in caught.value.message + (caught.value.hint or "")


@pytest.mark.parametrize("url", ["foo://x", "pyspork://local", "mysql://u@h/db"])
def test_unknown_scheme_is_refused_and_creates_nothing(url: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError) as caught:
        Store(url)
    assert "Không nhận ra loại kho dữ liệu" in caught.value.message
    assert "spark://" in (caught.value.hint or "")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_spark_equals_duckdb(tmp_path: Path) -> None:
    """Every metric input of every unit, the period's list and two gap lists, the due list: equal to DuckDB's."""
    _spark_available()
    files = data_files(GenerateSpec(preset="go-dau-2023", dossiers=600, seed=5, steps=True), tmp_path / "data")
    duck = workspace(tmp_path / "t.duckdb", "portal")
    duck_reports = duck.ingest(files)
    shown = (None, "PAY_DOSSIERS")  # and ON_TIME's whole denominator: three drill-down lists (Spark is slow)
    want = observe(duck, PERIOD, AS_OF, "portal", list_units=0, metrics=shown)
    duck.close()
    spark = workspace(spark_url(tmp_path / "warehouse"), "portal")
    try:
        reports = spark.ingest(files)
        assert [(r.file_name, r.rows_stored, r.rows_rejected) for r in reports] == [
            (r.file_name, r.rows_stored, r.rows_rejected) for r in duck_reports
        ]
        got = observe(spark, PERIOD, AS_OF, "portal", list_units=0, metrics=shown)
    finally:
        spark.close()
    assert len(want["inputs"]) > 200 and any(rows for _, rows in want["lists"].values()) and want["due"]
    assert_same(got, want, "spark")
    # a new session on the same warehouse sees what was committed, and the stored run can be written
    again = workspace(spark_url(tmp_path / "warehouse"), "portal")
    try:
        assert again.compute(PERIOD, as_of=AS_OF).units
        assert again.store.table("local_run").count().to_pyarrow().as_py() == 1
    finally:
        again.close()


def _rows(store: Store, name: str) -> int:
    return int(store.table(name).count().to_pyarrow().as_py())


def _calendar_rows(days: int) -> pa.Table:
    from datetime import date, timedelta

    return pa.table({"day": [date(2025, 1, 1) + timedelta(days=i) for i in range(days)], "kind": ["off"] * days,
                     "note": ["x"] * days})  # fmt: skip


@pytest.mark.slow
def test_spark_transaction_all_or_nothing(tmp_path: Path, monkeypatch) -> None:
    """A failure inside a transaction, or a crash before its log file is written, leaves none of its rows."""
    _spark_available()
    url = spark_url(tmp_path / "warehouse")
    store = Store(url)
    with store.transaction():
        store.insert_arrow("calendar_override", _calendar_rows(3))
    assert _rows(store, "calendar_override") == 3

    def failing_write() -> None:
        with store.transaction():
            store.insert_arrow("calendar_override", _calendar_rows(5))
            assert _rows(store, "calendar_override") == 8  # the writer sees its own pending rows
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):  # an error after a write: rolled back in this session
        failing_write()
    assert _rows(store, "calendar_override") == 3

    def crash(entries: list[dict]) -> None:  # the process dies after writing the parts, before the log file
        raise SystemExit("killed")

    def two_tables() -> None:
        with store.transaction():
            store.insert_arrow("calendar_override", _calendar_rows(7))
            store.insert_arrow("ingest_reject", pa.table({"row": [1], "field": ["f"], "value": ["v"], "reason": ["r"]}))

    monkeypatch.setattr(store.spark, "_commit", crash)
    with pytest.raises(SystemExit):
        two_tables()
    monkeypatch.undo()
    assert _rows(store, "calendar_override") == 3  # a failed commit is rolled back in the writing session too
    parts = list((tmp_path / "warehouse" / "chiso" / "calendar_override").iterdir())
    assert len(parts) == 3  # the parts were written …
    reopened = Store(url)  # … but a new session does not read what no log file names
    assert _rows(reopened, "calendar_override") == 3
    assert _rows(reopened, "ingest_reject") == 0
    reopened.close()
    store.close()


def test_cli_refuses_an_unknown_scheme(tmp_path: Path, monkeypatch) -> None:
    """`chiso --db pyspork://local units`: a Vietnamese message and exit code, no traceback, no file."""
    from typer.testing import CliRunner

    from chiso.cli.app import app

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["--db", "pyspork://local", "units"])
    assert result.exit_code != 0
    assert "Không nhận ra loại kho dữ liệu 'pyspork://'" in result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []
