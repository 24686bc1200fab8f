"""What the store says about units, as :class:`UnitRecord` s for the unit tree, and a cheap data version.

Sources: the newest published row of every code (``official_unit``), the one-stop system's unit files (current
``unit_version``), the codes seen on dossiers (``dossier_pair``), and the names of provinces from chiso's seed
lists (used only for parents the files name without describing them).
"""

from __future__ import annotations

from functools import cache

from chiso.domain.codes import NATIONAL
from chiso.domain.units import UnitKind
from chiso.domain.unittree import UnitRecord, UnitSource
from chiso.ingest import current
from chiso.store import queries as q
from chiso.store.connection import Store


def _kind(value: object) -> UnitKind | None:
    text = str(value or "").strip()
    return UnitKind(text) if text in UnitKind._value2member_map_ else None


def official_records(store: Store) -> list[UnitRecord]:
    out = []
    for r in q.known_units(store):
        code, kind, day = r["unit_code"], _kind(r["kind"]), r["period_end"]
        out.append(UnitRecord(code, UnitSource.OFFICIAL, r["unit_name"], kind, r["parent_code"], day))
    return out


def local_records(store: Store) -> list[UnitRecord]:
    rows = current.units(store).select("unit_code", "unit_name", "kind", "parent_code").to_pyarrow().to_pylist()
    out = [
        UnitRecord(r["unit_code"], UnitSource.UNIT_FILE, r["unit_name"], _kind(r["kind"]), r["parent_code"] or None)
        for r in rows
        if r["unit_code"]
    ]
    pairs = store.table("dossier_pair")
    seen = pairs.select("unit_code").distinct().to_pyarrow().column(0).to_pylist()
    out += [UnitRecord(str(c), UnitSource.DOSSIER) for c in sorted(c for c in seen if c)]
    return out


@cache
def seed_records() -> tuple[UnitRecord, ...]:
    """Provinces of the seed lists (2025's 34, and Tây Ninh before the reform), for names of referred parents."""
    from chiso.seeds import province_names

    return tuple(UnitRecord(c, UnitSource.SEED, n, UnitKind.PROVINCE, NATIONAL) for c, n in province_names())


def records(store: Store) -> list[UnitRecord]:
    return [*official_records(store), *local_records(store), *seed_records()]


_VERSION_SQL = (
    "SELECT (SELECT count(*) FROM official_file), (SELECT max(ingest_id) FROM ingest_run), "
    "(SELECT count(*) FROM dossier_pair), (SELECT count(*) FROM unit_link), (SELECT count(*) FROM unit_override)"
)


def data_version(store: Store) -> tuple[int, ...]:
    """Changes whenever a source of the tree changes: imports, ingests (and rebuilds), mapping lines. One small
    query (it runs before every use of the cached tree); on Spark, whose tables are views chiso names itself, five
    Ibis aggregates."""
    if store.spark is not None:
        scalars = [store.table("official_file").count(), store.table("ingest_run").ingest_id.max(),
                   store.table("dossier_pair").count(), store.table("unit_link").count(),
                   store.table("unit_override").count()]  # fmt: skip
        return tuple(int(x.to_pyarrow().as_py() or 0) for x in scalars)
    cursor = store.con.raw_sql(_VERSION_SQL)  # type: ignore[attr-defined]
    try:
        row = cursor.fetchone()
    finally:
        if store.backend == "postgres":
            cursor.close()
    return tuple(int(x or 0) for x in row)
