"""The same import, verification and ranking on PostgreSQL (server deployments). Needs CHISO_TEST_PG_URL."""

from collections.abc import Iterator

import pytest

from chiso.domain.periods import Period
from chiso.workspace import Workspace
from tests.backend_support import fresh_pg_database
from tests.conftest import REAL_FILES

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_ws() -> Iterator[Workspace]:
    with fresh_pg_database() as url:
        w = Workspace(db=url)
        try:
            yield w
        finally:
            w.close()


def test_same_results_on_postgres(pg_ws, real_ws):
    outcomes = pg_ws.import_official(REAL_FILES)
    assert all(o.error is None for o in outcomes)
    pg_v, duck_v = pg_ws.verify().verification, real_ws.verify().verification
    assert (pg_v.checked, len(pg_v.mismatches), len(pg_v.unchecked)) == (
        duck_v.checked, len(duck_v.mismatches), len(duck_v.unchecked),
    )  # fmt: skip
    p = Period.parse("2025")
    pg_rows = [(r.unit, r.rank, r.total) for r in pg_ws.ranking(period=p, parent="H01", kind="commune").tables[0].rows]
    duck_rows = [
        (r.unit, r.rank, r.total) for r in real_ws.ranking(period=p, parent="H01", kind="commune").tables[0].rows
    ]
    assert pg_rows == duck_rows
    again = pg_ws.import_official(REAL_FILES)
    assert all(o.report.status == "duplicate" for o in again)
