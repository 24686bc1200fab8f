"""Table schemas (Ibis) and their creation. One place lists every table the store holds.

Numbers the portal publishes are stored as DECIMAL(18, 4) so that figures keep their published digits; times
are UTC instants (shown in Vietnam time, UTC+7).
"""

from __future__ import annotations

import ibis
from ibis.expr.schema import Schema

SCHEMA_VERSION = 1

NUM = "decimal(18, 4)"
TS = "timestamp('UTC')"

TABLES: dict[str, Schema] = {
    "schema_info": ibis.schema({"version": "int32", "created_at": TS}),
    # official layer ----------------------------------------------------------------------------------------
    "official_file": ibis.schema(
        {
            "file_id": "string",  # SHA-256 of the file's bytes
            "file_name": "string",
            "file_path": "string",
            "size": "int64",
            "shape": "string",
            "imported_at": TS,
            "snapshots": "int32",
            "units": "int32",
        }
    ),
    "official_snapshot": ibis.schema(
        {
            "snapshot_id": "string",
            "file_id": "string",
            "sheet": "string",
            "label": "string",
            "shape": "string",
            "scope": "string",  # the parent whose units the snapshot lists (province code, or VN)
            "period": "string",  # Period.key
            "period_kind": "string",
            "period_start": "date",
            "period_end": "date",
            "captured_at": TS,
            "captured_basis": "string",  # file | workbook | file-name | user | import
            "methodology": "string",
            "units": "int32",
        }
    ),
    "official_unit": ibis.schema(
        {
            "snapshot_id": "string",
            "unit_code": "string",
            "unit_name": "string",
            "kind": "string",
            "parent_code": "string",
            "total": NUM,
            "portal_rank": "int32",  # rank / ROW_STT as published
            "portal_group_rank": "int32",
            "score_delta": NUM,
            "itemised": "boolean",
            "record": "int32",  # position in the file (row or record number) for traceability
        }
    ),
    "official_group": ibis.schema(
        {
            "snapshot_id": "string",
            "unit_code": "string",
            "group_code": "string",
            "score": NUM,
            "max": NUM,
            "ratio": NUM,
        }
    ),
    "official_metric": ibis.schema(
        {
            "snapshot_id": "string",
            "unit_code": "string",
            "group_code": "string",
            "metric_code": "string",
            "metric_name": "string",
            "numerator": NUM,
            "denominator": NUM,
            "ratio": NUM,
            "score": NUM,
            "max": NUM,
            "data_quality": "string",
            "data_quality_message": "string",
            "source_field": "string",
        }
    ),
}


def register_tables(schemas: dict[str, Schema]) -> None:
    """Add the tables of another module (e.g. accounts) to the registry; names must not collide."""
    for name, schema in schemas.items():
        if name in TABLES and TABLES[name] != schema:
            raise ValueError(f"table {name} registered twice with different schemas")
        TABLES[name] = schema


def ensure_tables(con: ibis.BaseBackend) -> None:
    """Create the registered tables that do not exist yet; record the schema version once."""
    existing = set(con.list_tables())
    for name, schema in TABLES.items():
        if name not in existing:
            con.create_table(name, schema=schema)
    if "schema_info" not in existing:
        import datetime as dt

        import pyarrow as pa

        con.insert(
            "schema_info",
            ibis.memtable(
                pa.table(
                    {"version": [SCHEMA_VERSION], "created_at": [dt.datetime.now(dt.UTC)]},
                    schema=TABLES["schema_info"].to_pyarrow(),
                )
            ),
        )
