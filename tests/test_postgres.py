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


@pytest.mark.slow
def test_a_fetch_on_postgres_keeps_raw_responses_and_publishes_once(pg_ws):
    """The portal tables (a binary column for the compressed bodies) and a capture's one transaction."""
    import random
    from datetime import UTC, datetime, timedelta

    from chiso.official.api_store import captures, decompress
    from chiso.portal.client import PortalClient
    from tests.fake_portal import FakePortal, FakeTime, serve

    portal = FakePortal()
    statuses = []
    for day in (0, 1):
        ft = FakeTime(datetime(2026, 9, 26, 11, 20, tzinfo=UTC) + timedelta(days=day))
        with serve(portal) as base:
            c = PortalClient(base, sleep=ft.sleep, clock=ft.clock, now=ft.now, rng=random.Random(1))
            statuses.append(pg_ws.fetch_portal("H44", client=c, now=ft.now(), national=True).status)
    assert statuses == ["published", "unchanged"]
    rows = pg_ws.store.table("portal_response").to_pyarrow().to_pylist()
    assert sorted(decompress(r["body"]) for r in rows) == sorted(raw for _, raw in portal.served[:8])
    assert [c["status"] for c in captures(pg_ws.store)] == ["unchanged", "published"]
    assert pg_ws.verify().verification.mismatches == []
    r = pg_ws.ranking(period=Period.year(2026), parent="H44", kind="agency")
    assert r.tables[0].checked_at is not None and len(r.tables[0].rows) > 10
