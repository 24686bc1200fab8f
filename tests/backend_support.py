"""Helpers for cross-backend tests: fresh PostgreSQL databases, and everything a user can see of the local layer
gathered into one comparable value (every unit's every metric input, drill-down lists, due lists)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from chiso.domain.periods import Period
from chiso.engine.drill import DRILLABLE
from chiso.generate import GenerateSpec, generate, write
from chiso.settings import load_settings
from chiso.workspace import Workspace
from tests.conftest import need


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A new, empty PostgreSQL database on CHISO_TEST_PG_URL's server; its URL. Dropped afterwards."""
    url = os.environ.get("CHISO_TEST_PG_URL")
    need(bool(url), "CHISO_TEST_PG_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    try:
        import psycopg
    except ImportError:
        need(False, "psycopg is not installed (pip install 'chiso[postgres]')")
    assert url is not None
    base, _, _ = url.rpartition("/")
    name = f"chiso_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def data_files(spec: GenerateSpec, folder: Path) -> list[Path]:
    """Generated one-stop files (units, procedures, dossiers, steps, petitions) ready for ``Workspace.ingest``."""
    written = [Path(f.path) for f in write(generate(spec), folder, "csv")]
    return [f for f in written if f.suffix in (".csv", ".json") and f.name != "manifest.json"]


def workspace(db: str | Path, rule: str) -> Workspace:
    return Workspace(settings=load_settings(db=str(db), on_time_rule=rule))


def _roots(run_units: list) -> list[str]:
    codes = {u.code for u in run_units}
    return [u.code for u in run_units if u.parent not in codes]


def observe(ws: Workspace, period: Period, as_of: datetime, rule: str, *, list_units: int = 3,
            metrics: tuple[str | None, ...] = (None, *DRILLABLE)) -> dict:  # fmt: skip
    """What users see of the local layer for one period, as plain comparable values.

    Every unit's every metric input (numerator, denominator, ratio, note) and extra measure; for the top units, the
    drill-down list of each of ``metrics`` (the gap; None: the period's dossiers) and the whole denominator of
    ON_TIME; the period's list and ON_TIME's gap for ``list_units`` other units; the due list of the top units.
    """
    run = ws.local_run(period, as_of=as_of, rule=rule)
    inputs = {
        (u.code, code): (given.numerator, given.denominator, given.ratio_percent, given.note)
        for u in run.units
        for code, given in u.inputs.items()
    }
    extras = {(u.code, code): (m.numerator, m.denominator) for u in run.units for code, m in u.measures.items()}
    roots = _roots(run.units)
    others = [u.code for u in run.units if u.code not in roots]
    lists: dict[tuple, tuple[int, list[dict]]] = {}
    wanted = [(unit, metric, True) for unit in roots for metric in metrics]
    wanted += [(unit, "ON_TIME", False) for unit in roots]
    wanted += [(unit, metric, True) for unit in others[:: max(1, len(others) // max(1, list_units))][:list_units]
               for metric in (None, "ON_TIME")]  # fmt: skip
    for unit, metric, gap_only in wanted:
        page = ws.dossiers(unit, period=period, metric=metric, gap_only=gap_only, page_size=None, as_of=as_of)
        lists[(unit, metric, gap_only)] = (page.total, page.rows)
    due = {unit: ws.due_soon(unit, now=as_of, within_hours=24) for unit in roots}
    return {
        "units": [(u.code, u.name, u.kind, u.parent, u.score.total) for u in run.units],
        "inputs": inputs,
        "extras": extras,
        "cutoff": run.cutoff,
        "lists": lists,
        "due": due,
        "status": ws.local_status(),
    }


def assert_same(got: dict, want: dict, label: str) -> None:
    """Equal observations, reported key by key so that a failure names the unit and metric."""
    assert got.keys() == want.keys()
    for part in want:
        if isinstance(want[part], dict):
            assert got[part].keys() == want[part].keys(), (label, part)
            for key, value in want[part].items():
                assert got[part][key] == value, (label, part, key)
        else:
            assert got[part] == want[part], (label, part)
