"""PostgreSQL bulk loading (COPY from Arrow's CSV) against the plain path: DuckDB's insert of the same rows.

Text with quotes, commas, line breaks and Vietnamese letters, empty text versus NULL, instants to the microsecond
with their time zone, decimals at their four places, booleans and small integers must come back unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chiso.store import Store
from chiso.store.tables import TABLES
from tests.store_support import pg_databases

pytestmark = pytest.mark.postgres

TEXT = st.one_of(
    st.none(),
    st.just(""),
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30),  # no NUL in PG text
    st.sampled_from(['a,"b"\nc', "\\.", "Phí, lệ phí", "Đăng ký khai sinh", "\r\n", "NULL", '""']),
)
INSTANT = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(1900, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=7))]),
    ),
)
AMOUNT = st.one_of(st.none(), st.decimals(min_value=-(10**13), max_value=10**13, places=4, allow_nan=False))
ROW = st.fixed_dictionaries(
    {
        "dossier_code": TEXT,
        "procedure_name": TEXT,
        "received_at": INSTANT,
        "finished_at": INSTANT,
        "status": st.one_of(st.none(), st.integers(-128, 127)),
        "supplement_count": st.one_of(st.none(), st.integers(-32768, 32767)),
        "paused_seconds": st.one_of(st.none(), st.integers(-(2**62), 2**62)),
        "digitised": st.one_of(st.none(), st.booleans()),
        "fee_total": AMOUNT,
    }
)


class _RollbackError(Exception):
    """Raised to end a transaction without keeping its rows."""


def _value(v: object) -> object:
    if isinstance(v, datetime):
        assert v.utcoffset() is not None
        return v.astimezone(UTC).isoformat()  # the same instant, whatever zone object the driver returns
    if isinstance(v, Decimal):
        return str(v.quantize(Decimal("0.0001")))
    return v


def _canonical(rows: list[dict]) -> list[tuple]:
    return sorted((tuple((k, _value(r[k])) for k in sorted(r)) for r in rows), key=repr)


def _round_trip(store: Store, rows: list[dict]) -> list[dict]:
    """Insert in a transaction, read back inside it, roll back (the table stays empty for the next example)."""
    schema = TABLES["dossier_version"].to_pyarrow()
    table = pa.table({name: pa.array([r[name] for r in rows], schema.field(name).type) for name in rows[0]})
    got: list[tuple] = []
    try:
        with store.transaction():
            store.insert_arrow("dossier_version", table)
            got = _canonical(store.table("dossier_version").select(*rows[0]).to_pyarrow().to_pylist())
            raise _RollbackError
    except _RollbackError:
        pass
    assert store.table("dossier_version").count().to_pyarrow().as_py() == 0  # rolled back
    return got


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Store]]:
    with pg_databases() as dbs:
        pg, duck = Store(dbs.create()), Store(tmp_path_factory.mktemp("copy") / "plain.duckdb")
        yield pg, duck
        pg.close()
        duck.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, min_size=1, max_size=30))
def test_copy_stores_what_the_plain_insert_stores(stores, rows):
    pg, duck = stores
    copied, plain = _round_trip(pg, rows), _round_trip(duck, rows)
    assert copied == plain
    assert copied == _canonical(rows)  # and what was given: the same instants, empty text apart from NULL
