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

# -- local layer: what the one-stop system's files hold (docs/ingest-formats.md) -----------------------------
DOSSIER_COLUMNS = {
    "dossier_code": "string",
    "unit_code": "string",
    "procedure_code": "string",
    "procedure_name": "string",
    "field_code": "string",
    "channel": "int8",
    "applicant_type": "int8",
    "submitted_at": TS,
    "received_at": TS,
    "due_at": TS,
    "finished_at": TS,
    "returned_at": TS,
    "rejected_at": TS,
    "status": "int8",
    "supplement_count": "int16",
    "supplement_first_at": TS,
    "paused_seconds": "int64",
    "digitised": "boolean",
    "reused": "boolean",
    "from_personal_store": "boolean",
    "result_to_personal_store": "boolean",
    "vneid": "boolean",
    "citizen_db": "boolean",
    "paid_online": "int8",
    "fee_total": NUM,
    "fee_items": "int16",
    "e_result": "boolean",
    "synced": "boolean",
    "certified_copy": "boolean",
    "e_certified": "boolean",
    "dissatisfied": "boolean",
    # provenance of the row
    "state_at": TS,  # the newest time the row knows about: which version is newest
    "ingest_id": "int64",
    "source_row": "int64",
}

# Period-independent flags and epoch seconds of a dossier, stored beside it (docs/local-metrics.md).
DOSSIER_FLAGS = {
    "received_s": "int64",
    "due_s": "int64",
    "end_s": "int64",
    "supplement_first_s": "int64",
    **dict.fromkeys(
        (
            "paper", "online", "channel2", "fee_bearing", "paid", "fee_synced", "citizen_data", "personal_store",
            "digitised_ok", "e_result_ok", "e_certified_copy", "known_personal_store", "known_citizen_data",
        ),
        "boolean",
    ),
}
# Tables rebuilt from the others (ingest/current.py): when their declared columns change they are re-created
# empty when the store opens, and the workspace rebuilds them.
DERIVED_TABLES = ("dossier", "dossier_pair")
# The durable record of what the derived tables were built from (docs/guarantees.md): one row, written in the
# rebuild's transaction; the store is stale when it is missing (with ingests stored) or names an older ingest.
DERIVED_STATE = "derived_state"
# Keys that concurrent writers must not break (PostgreSQL; harmless on DuckDB's single writer): a file is stored
# once per kind, an official file once.
UNIQUE_KEYS = {
    "chiso_ingest_run_file": ("ingest_run", ("file_id", "kind")),
    "chiso_official_file_id": ("official_file", ("file_id",)),
}
INGEST_SEQUENCE = "chiso_ingest_id"  # PostgreSQL: ingest ids (DuckDB, one writer: the next after the largest)

TABLES.update(
    {
        DERIVED_STATE: ibis.schema({"ingest_high": "int64", "built_at": TS}),
        "ingest_run": ibis.schema(
            {
                "ingest_id": "int64",
                "file_name": "string",
                "file_path": "string",
                "file_id": "string",  # SHA-256 of the bytes
                "kind": "string",  # dossiers | steps | procedures | units | petitions
                "format": "string",
                "rows_read": "int64",
                "rows_stored": "int64",
                "rows_rejected": "int64",
                "started_at": TS,
                "finished_at": TS,
                "warnings": "string",
            }
        ),
        "ingest_reject": ibis.schema(
            {
                "ingest_id": "int64",
                "file_name": "string",
                "row": "int64",
                "field": "string",
                "value": "string",
                "reason": "string",
            }
        ),
        "dossier_version": ibis.schema(DOSSIER_COLUMNS),  # every state ever ingested
        # derived (DERIVED_TABLES): the newest state of each dossier, with its end of processing, where its
        # deadline came from, and its period-independent flags (engine/predicates.py static_flags)
        "dossier": ibis.schema({**DOSSIER_COLUMNS, "end_at": TS, "due_computed": "boolean", **DOSSIER_FLAGS}),
        # derived: (unit, procedure) pairs seen in dossiers, with their count and first reception
        "dossier_pair": ibis.schema(
            {"unit_code": "string", "procedure_code": "string", "dossiers": "int64", "first_received_at": TS}
        ),
        "dossier_step": ibis.schema(
            {
                "dossier_code": "string",
                "status": "int8",
                "at": TS,
                "department": "string",
                "ingest_id": "int64",
                "source_row": "int64",
            }
        ),
        "procedure_version": ibis.schema(
            {
                "procedure_code": "string",
                "name": "string",
                "field_code": "string",
                "field_name": "string",
                "levels": "string",  # '#'-separated: tinh, huyen, xa
                "online_level": "int8",  # 4 toàn trình, 3 một phần, 2 không
                "full_online_eligible": "boolean",
                "has_fee": "boolean",
                "fee_amount": NUM,
                "paper_result": "boolean",
                "processing_time": NUM,
                "time_unit": "string",
                "citizen_target": "boolean",
                "ingest_id": "int64",
            }
        ),
        "unit_version": ibis.schema(
            {
                "unit_code": "string",
                "unit_name": "string",
                "kind": "string",
                "parent_code": "string",
                "source": "string",  # seed:<set> | file
                "ingest_id": "int64",
            }
        ),
        "petition_version": ibis.schema(
            {
                "petition_code": "string",
                "unit_code": "string",
                "received_at": TS,
                "due_at": TS,
                "handled_at": TS,
                "status": "string",  # open | handled | rejected
                "category": "string",  # tthc | staff | other
                "likes": "int32",
                "dislikes": "int32",
                "reraised": "boolean",
                "ingest_id": "int64",
                "source_row": "int64",
            }
        ),
        "calendar_override": ibis.schema({"day": "date", "kind": "string", "note": "string"}),
        # local results: one run per (period, computation); never overwritten
        "local_run": ibis.schema(
            {
                "run_id": "string",
                "period": "string",
                "period_start": "date",
                "period_end": "date",
                "computed_at": TS,
                "cutoff": TS,  # newest dossier state used
                "methodology": "string",
                "ingest_high": "int64",  # newest ingest_id included: stale when a newer ingest exists
                "on_time_rule": "string",
            }
        ),
        "local_unit": ibis.schema(
            {
                "run_id": "string",
                "unit_code": "string",
                "unit_name": "string",
                "kind": "string",
                "parent_code": "string",
                "total": NUM,
                "scored_max": NUM,
                "complete": "boolean",
            }
        ),
        "local_metric": ibis.schema(
            {
                "run_id": "string",
                "unit_code": "string",
                "group_code": "string",
                "metric_code": "string",
                "numerator": NUM,
                "denominator": NUM,
                "ratio": NUM,
                "score": NUM,
                "max": NUM,
                "status": "string",
                "note": "string",
            }
        ),
    }
)

# -- portal connector: raw responses of the evaluation API and the captures they form (docs/portal.md) ------
TABLES.update(
    {
        # one row per fetch run or import of raw responses: what it asked for and how it ended (never updated)
        "portal_capture": ibis.schema(
            {
                "capture_id": "string",
                "source": "string",  # fetch | import
                "scope": "string",  # the province asked for (its code), VN for the national list only
                "period": "string",  # Period.key
                "started_at": TS,
                "captured_at": TS,  # when the figures were taken (the request's time, or --captured-at)
                "finished_at": TS,
                "status": "string",  # published | unchanged | incomplete | failed | stored (raw only)
                "file_id": "string",  # official_file holding the snapshots (for unchanged: the earlier one)
                "snapshot_ids": "string",  # comma-separated
                "fingerprints": "string",  # scope=digest of the figures, comma-separated
                "responses": "int32",
                "missing": "string",  # what was missing or failed, one Vietnamese line each
                "warnings": "string",
                "base_url": "string",
            }
        ),
        # every raw response, compressed, with its request (the store keeps what the portal said)
        "portal_response": ibis.schema(
            {
                "capture_id": "string",
                "seq": "int32",
                "endpoint": "string",
                "url": "string",
                "request_body": "string",  # JSON
                "page": "int32",
                "status": "int32",
                "content_type": "string",
                "received_at": TS,
                "elapsed_ms": "int64",
                "attempts": "int32",
                "size": "int64",  # bytes before compression
                "sha256": "string",
                "body": "binary",  # zlib-compressed bytes as received
                "source_name": "string",  # the file name for an import
                "error": "string",
            }
        ),
        # a snapshot replaced by a fuller one of the same capture (more of its raw responses imported later)
        "official_superseded": ibis.schema({"snapshot_id": "string", "by_snapshot_id": "string", "at": TS}),
        # departmentId → unit code, as responses that carry both showed them (joins transparency, satisfaction)
        "portal_department": ibis.schema(
            {
                "department_id": "string",
                "unit_code": "string",
                "unit_name": "string",
                "kind": "string",
                "seen_at": TS,
                "capture_id": "string",
            }
        ),
    }
)

# -- web sessions (chiso.accounts): one row per login, one per end (logout, password change, disabling) ---------
TABLES.update(
    {
        "web_session": ibis.schema(
            {"session_id": "string", "username": "string", "created_at": TS, "client": "string"}  # id: SHA-256
        ),
        "web_session_end": ibis.schema(  # session_id NULL: every session of the user begun before ended_at
            {"session_id": "string", "username": "string", "ended_at": TS, "reason": "string"}
        ),
    }
)


# -- notifications (chiso/notify, docs/notify.md): subscriptions, the send ledger, rotated channel tokens -------
TABLES.update(
    {
        # versions of a subscription (never updated: the newest version of a sub_id counts; removal = inactive)
        "notify_subscription": ibis.schema(
            {
                "sub_id": "string",
                "channel": "string",  # telegram | zalo | email | webhook
                "address": "string",  # chat id, Zalo user id, e-mail address(es), webhook URL
                "unit_code": "string",  # whose figures and dossiers the messages are about (with its sub-units)
                "jobs": "string",  # comma-separated job kinds: brief, alerts, letter
                "source": "string",  # auto | official | local
                "username": "string",  # the web user it belongs to (scope checks); NULL: the office
                "label": "string",  # who the recipient is, in words
                "active": "boolean",
                "created_at": TS,
                "changed_at": TS,
                "changed_by": "string",
            }
        ),
        # one row per step of a send: 'sending' before the call, then its result; the newest row of a key counts
        "notify_send": ibis.schema(
            {
                "send_key": "string",  # idempotency key: event + recipient
                "event_key": "string",  # job:unit:occurrence
                "job": "string",
                "unit_code": "string",
                "occurrence": "string",
                "sub_id": "string",
                "channel": "string",
                "recipient": "string",  # shown to people (no secret: a webhook URL without its query)
                "attempt": "int32",
                "status": "string",  # sending | sent | failed | gave_up | unknown | skipped | refused
                "at": TS,
                "retry_at": TS,
                "error": "string",  # what failed, in Vietnamese (secrets removed)
                "detail": "string",  # technical detail (secrets removed)
                "reference": "string",  # the provider's message id
                "summary": "string",  # the message's title
            }
        ),
        "notify_secret": ibis.schema({"name": "string", "value": "string", "created_at": TS}),
    }
)

# Indexes for PostgreSQL (a row store: without them every drill-down list and due list reads the whole table).
# DuckDB and Spark read columns and row-group statistics instead; they get none. Names: ix_<table>_<columns>.
PG_INDEXES: dict[str, tuple[tuple[str, ...], ...]] = {
    "dossier": (("unit_code", "received_at"), ("unit_code", "due_at")),
    "dossier_version": (("dossier_code",),),
    "dossier_step": (("dossier_code",),),
    "ingest_reject": (("ingest_id",),),
}


def pg_index_names() -> list[str]:
    return [f"ix_{table}_{'_'.join(columns)}" for table, indexes in PG_INDEXES.items() for columns in indexes]


def ensure_pg_indexes(con: ibis.BaseBackend) -> None:
    """Create the PostgreSQL indexes that do not exist yet (idempotent)."""
    for table, indexes in PG_INDEXES.items():
        for columns in indexes:
            name = f"ix_{table}_{'_'.join(columns)}"
            cols = ", ".join(f'"{c}"' for c in columns)
            con.raw_sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({cols})').close()  # type: ignore[attr-defined]

# -- the unit tree's mapping file (docs/units.md): every line ever saved; the newest per key is in force ------
TABLES.update(
    {
        "unit_link": ibis.schema(
            {
                "code": "string",  # the portal's code (or any code)
                "other": "string",  # a one-stop identifier of the same unit
                "same": "boolean",  # true: one unit; false: never the same; null: back to automatic matching
                "changed_at": TS,
                "changed_by": "string",
                "source": "string",  # the mapping file's name, 'web' or 'cli'
            }
        ),
        "unit_override": ibis.schema(
            {
                "unit_code": "string",
                "kind": "string",  # UnitKind, or null: the kind the data say
                "parent_code": "string",  # or null: the parent the data say
                "changed_at": TS,
                "changed_by": "string",
                "source": "string",
            }
        ),
    }
)


def register_tables(schemas: dict[str, Schema]) -> None:
    """Add the tables of another module (e.g. accounts) to the registry; names must not collide."""
    for name, schema in schemas.items():
        if name in TABLES and TABLES[name] != schema:
            raise ValueError(f"table {name} registered twice with different schemas")
        TABLES[name] = schema


def _run(con: ibis.BaseBackend, sql: str) -> None:
    result = con.raw_sql(sql)  # type: ignore[attr-defined]
    if con.name == "postgres":
        result.close()


def _drop_table(con: ibis.BaseBackend, name: str) -> None:
    # plain SQL: ibis 12's drop_table renders an empty statement with sqlglot 30
    _run(con, f'DROP TABLE "{name}"')


def outdated_derived(con: ibis.BaseBackend, existing: set[str]) -> list[str]:
    """Derived tables whose columns differ from the declared ones (to be re-created and rebuilt)."""
    # names only: a backend may map a declared type to a wider one (PostgreSQL has no 1-byte integer)
    return [n for n in DERIVED_TABLES if n in existing and list(con.table(n).columns) != list(TABLES[n].names)]


def tables_ready(con: ibis.BaseBackend) -> bool:
    """Every registered table exists with its declared columns (a cheap check before taking the write lock)."""
    existing = set(con.list_tables())
    return set(TABLES) <= existing and not outdated_derived(con, existing)


def ensure_tables(con: ibis.BaseBackend) -> list[str]:
    """Create the registered tables that do not exist yet; record the schema version once.

    Returns the derived tables that were (re-)created. Re-creating one clears ``derived_state`` in the same
    transaction (when the caller holds one), so the store reads as stale until they are rebuilt.
    """
    existing = set(con.list_tables())
    created: list[str] = []
    for name in outdated_derived(con, existing):
        if DERIVED_STATE in existing:  # rebuilt empty: the marker goes with them, so a crash leaves them stale
            _run(con, f'DELETE FROM "{DERIVED_STATE}"')
        _drop_table(con, name)
        existing.discard(name)
    for name, schema in TABLES.items():
        if name not in existing:
            con.create_table(name, schema=schema)
            if name in DERIVED_TABLES:
                created.append(name)
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
    if con.name == "postgres":
        ensure_pg_indexes(con)
    return created
