"""Hand-checked cases for the pandas reference of the local metrics (tests/reference/pandas_metrics.py).

Every expected figure below is worked out by hand from docs/local-metrics.md; the comments show the working.

The tree:

    P (province)
    ├── P.AG  (agency)
    ├── P.AG2 (agency, no dossiers at all)
    └── P.D1  (district)
        ├── P.D1.C1 (commune)
        └── P.D1.C2 (commune)

Period: March 2025, Vietnam time: [2025-03-01 00:00, 2025-04-01 00:00) UTC+7. as_of is 2025-04-10, so R = E.
All times in the fixture are written in Vietnam time (`vn(...)`) and stored as UTC instants.

Readings of the spec enshrined here (see the module docstring of the reference for the full list):
- a rejected petition is neither "handled" nor "open", so never on time (petition p8);
- a non-commune unit's procedures A(u) include those of dossiers received before S (d13, d17), and exclude those
  received on or after E (d18);
- ELECTRONIC_CERTIFIED_COPY is ("FULL", None) for a unit without communes even with no dossier data at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pandas as pd
import pytest

from chiso.store.tables import DOSSIER_COLUMNS
from tests.reference import ALL_METRICS, reference_counts

VN = timezone(timedelta(hours=7))


def vn(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2025) -> datetime:
    """A Vietnam wall-clock time, as a UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=VN).astimezone(UTC)


S = vn(3, 1)
E = vn(4, 1)
AS_OF = vn(4, 10)

# -- frames with the store's column types ------------------------------------------------------------------------
_DTYPES = {
    "string": "string",
    "int8": "Int8",
    "int16": "Int16",
    "int32": "Int32",
    "int64": "Int64",
    "boolean": "boolean",
}


def typed_frame(rows: list[dict[str, Any]], schema: Mapping[str, str]) -> pd.DataFrame:
    data: dict[str, Any] = {}
    for column, kind in schema.items():
        values = [row.get(column) for row in rows]
        if kind.startswith("timestamp"):
            data[column] = pd.Series(pd.to_datetime(values, utc=True), dtype="datetime64[ns, UTC]")
        elif kind.startswith("decimal"):
            data[column] = pd.Series(values, dtype=object)
        else:
            data[column] = pd.Series(values, dtype=_DTYPES[kind])
    return pd.DataFrame(data)


DOSSIER_SCHEMA = {**DOSSIER_COLUMNS, "end_at": "timestamp('UTC')", "due_computed": "boolean"}
PROCEDURE_SCHEMA = {
    "procedure_code": "string",
    "levels": "string",
    "online_level": "int8",
    "full_online_eligible": "boolean",
    "has_fee": "boolean",
    "paper_result": "boolean",
    "citizen_target": "boolean",
}
UNIT_SCHEMA = {"unit_code": "string", "unit_name": "string", "kind": "string", "parent_code": "string"}
PETITION_SCHEMA = {
    "petition_code": "string",
    "unit_code": "string",
    "received_at": "timestamp('UTC')",
    "due_at": "timestamp('UTC')",
    "handled_at": "timestamp('UTC')",
    "status": "string",
    "category": "string",
    "likes": "int32",
    "dislikes": "int32",
    "reraised": "boolean",
}

BOOLEAN_FLAGS = [c for c, kind in DOSSIER_COLUMNS.items() if kind == "boolean"]


def dossier(code: str, unit: str, procedure: str, **fields: Any) -> dict[str, Any]:
    """A dossier whose flags are all carried and false unless given (so no 'never carried' rule applies)."""
    row: dict[str, Any] = dict.fromkeys(BOOLEAN_FLAGS, False)
    row.update(
        dossier_code=code,
        unit_code=unit,
        procedure_code=procedure,
        channel=1,
        status=10,
        supplement_count=0,
        paused_seconds=0,
        paid_online=0,
        due_computed=False,
    )
    row.update(fields)
    return row


# -- units and catalogue -----------------------------------------------------------------------------------------
P, AG, AG2, D1, C1, C2 = "P", "P.AG", "P.AG2", "P.D1", "P.D1.C1", "P.D1.C2"
UNIT_ROWS = [
    {"unit_code": P, "unit_name": "Tỉnh P", "kind": "province", "parent_code": None},
    {"unit_code": AG, "unit_name": "Sở A", "kind": "agency", "parent_code": P},
    {"unit_code": AG2, "unit_name": "Sở B", "kind": "agency", "parent_code": P},
    {"unit_code": D1, "unit_name": "Huyện D", "kind": "district", "parent_code": P},
    {"unit_code": C1, "unit_name": "Xã 1", "kind": "commune", "parent_code": D1},
    {"unit_code": C2, "unit_name": "Xã 2", "kind": "commune", "parent_code": D1},
]

# code   levels      online  eligible fee    paper  citizen
# 1.001  xa          4       T        T      T      T
# 1.002  huyen#xa    3       T        F      F      null (⇒ true)
# 1.003  tinh        2       F        T      null   F        (paper null ⇒ true)
# 1.004  tinh#huyen  4       T        F      T      T
PROCEDURE_ROWS = [
    {"procedure_code": "1.001", "levels": "xa", "online_level": 4, "full_online_eligible": True, "has_fee": True,
     "paper_result": True, "citizen_target": True},
    {"procedure_code": "1.002", "levels": "huyen#xa", "online_level": 3, "full_online_eligible": True,
     "has_fee": False, "paper_result": False, "citizen_target": None},
    {"procedure_code": "1.003", "levels": "tinh", "online_level": 2, "full_online_eligible": False, "has_fee": True,
     "paper_result": None, "citizen_target": False},
    {"procedure_code": "1.004", "levels": "tinh#huyen", "online_level": 4, "full_online_eligible": True,
     "has_fee": False, "paper_result": True, "citizen_target": True},
]  # fmt: skip

# -- dossiers ----------------------------------------------------------------------------------------------------
DOSSIER_ROWS = [
    # C1 ---------------------------------------------------------------------------------------------------------
    # d01: on time (end 07/03 10:00 ≤ due 10/03 17:00); online (ch 2, e-result); fee 50 000 paid (1) ⇒ paid;
    #      citizen (vneid); completed, 4 d 2 h; paper with e-result; digitised ⇒ số hóa; reused; personal store
    #      (result link); certified copy done electronically.
    dossier("d01", C1, "1.001", channel=2, received_at=vn(3, 3, 8), due_at=vn(3, 10, 17), end_at=vn(3, 7, 10),
            e_result=True, synced=True, fee_total=Decimal(50000), paid_online=1, digitised=True, reused=True,
            vneid=True, result_to_personal_store=True, certified_copy=True, e_certified=True),
    # d02: 2 supplement requests ⇒ late although it ended before its due time; ch 2 but paper result without
    #      e-result ⇒ not online; fee null + catalogue has_fee ⇒ fee-bearing, not paid; completed, 4 d 1 h;
    #      digitised but no e-result on a paper procedure ⇒ not số hóa.
    dossier("d02", C1, "1.001", channel=2, received_at=vn(3, 4, 9), due_at=vn(3, 11, 17), end_at=vn(3, 8, 10),
            supplement_count=2, supplement_first_at=vn(3, 5, 9), synced=True, digitised=True),
    # d03: unfinished (status 5), one pending supplement request at 06/03 10:00 ⇒ that is its end ⇒ on time
    #      (judged at R it would be late); ch 2 on a non-paper procedure ⇒ online; not synced; citizen (citizen_db).
    dossier("d03", C1, "1.002", channel=2, status=5, received_at=vn(3, 5, 8), due_at=vn(3, 12, 17),
            supplement_count=1, supplement_first_at=vn(3, 6, 10), citizen_db=True),
    # d04: ended 17/03 10:00 after due 14/03 17:00, but 4 days paused ⇒ effective end 13/03 10:00 ⇒ on time;
    #      fee_total 0 ⇒ not fee-bearing (so paid_online 1 does not make it paid); completed, 7 d 2 h (the pause is
    #      not taken off AVG_DAYS: end_at − received_at); paper with e-result; reused.
    dossier("d04", C1, "1.001", received_at=vn(3, 10, 8), due_at=vn(3, 14, 17), end_at=vn(3, 17, 10),
            paused_seconds=4 * 86400, synced=True, fee_total=Decimal(0), paid_online=1, e_result=True, reused=True),
    # d05: status 3 (refused at reception) ⇒ not counted.   d06: no reception time ⇒ not counted.
    # d07: received before S ⇒ not counted.
    dossier("d05", C1, "1.001", status=3, received_at=vn(3, 10, 8), synced=True, e_certified=True),
    dossier("d06", C1, "1.001", received_at=None, end_at=vn(3, 12, 8), synced=True),
    dossier("d07", C1, "1.001", received_at=vn(2, 20, 8), end_at=vn(2, 25, 8), synced=True),
    # C2 ---------------------------------------------------------------------------------------------------------
    # d08: due 25/03 10:00, ended 25/03 15:00 ⇒ late by the portal rule, on time by the date rule; online; fee 30 000
    #      paid (2); completed, 5 d 7 h; digitised + e-result ⇒ số hóa; from personal store ⇒ personal store AND
    #      citizen data; certified copy NOT done electronically.
    dossier("d08", C2, "1.001", channel=2, received_at=vn(3, 20, 8), due_at=vn(3, 25, 10), end_at=vn(3, 25, 15),
            e_result=True, synced=True, fee_total=Decimal(30000), paid_online=2, digitised=True,
            from_personal_store=True, certified_copy=True),
    # d09: unfinished, judged at R = 01/04 00:00 ≤ due 05/04 17:00 ⇒ on time.
    dossier("d09", C2, "1.002", status=4, received_at=vn(3, 28, 8), due_at=vn(4, 5, 17), synced=True),
    # d10: unfinished, due 31/03 10:00 < R ⇒ late (with as_of 30/03 12:00, R = as_of ⇒ on time); not synced.
    dossier("d10", C2, "1.002", status=4, received_at=vn(3, 2, 8), due_at=vn(3, 31, 10)),
    # d11: on time, completed (status 9), 2 d 1 h, but dissatisfied.
    dossier("d11", C2, "1.002", status=9, received_at=vn(3, 3, 8), due_at=vn(3, 10, 17), end_at=vn(3, 5, 9),
            synced=True, dissatisfied=True),
    # d19: received before S with an electronic certified copy ⇒ not counted, so C2 still provides none.
    dossier("d19", C2, "1.001", received_at=vn(2, 10, 8), end_at=vn(2, 12, 8), certified_copy=True,
            e_certified=True),
    # D1 own -----------------------------------------------------------------------------------------------------
    # d12: on time; ch 2 but paper result without e-result ⇒ not online; completed, 3 d 2 h; digitised without
    #      e-result on a paper procedure ⇒ not số hóa.
    dossier("d12", D1, "1.004", channel=2, received_at=vn(3, 15, 8), due_at=vn(3, 20, 17), end_at=vn(3, 18, 10),
            synced=True, digitised=True),
    # d13: received before S ⇒ not counted, but it puts 1.002 in A(D1).
    dossier("d13", D1, "1.002", received_at=vn(1, 10, 8), end_at=vn(1, 15, 8)),
    # d14: procedure not in the catalogue ⇒ paper (so ch 2 without e-result is not online) and no fee; no due ⇒ on
    #      time; unfinished (status 2).
    dossier("d14", D1, "9.999", channel=2, status=2, received_at=vn(3, 16, 8)),
    # AG ---------------------------------------------------------------------------------------------------------
    # d15: one supplement, but finished ⇒ end = end_at 06/03 11:00 − 2 h paused = 09:00 ≤ due 09:00 ⇒ on time (the
    #      boundary); paper (null ⇒ true) with e-result, ch 2 ⇒ online; fee 100 000, paid_online 3 ⇒ not paid;
    #      citizen_db; completed, 1 d 3 h = 1.125 d ⇒ AVG 1.13 (half-up); digitised.
    dossier("d15", AG, "1.003", channel=2, received_at=vn(3, 5, 8), due_at=vn(3, 6, 9), end_at=vn(3, 6, 11),
            supplement_count=1, supplement_first_at=vn(3, 5, 15), paused_seconds=7200, e_result=True, synced=True,
            fee_total=Decimal(100000), paid_online=3, citizen_db=True, digitised=True),
    # d16: status 1 without reception ⇒ neither counted nor in A(AG).
    dossier("d16", AG, "1.004", status=1, received_at=None),
    # d17: received before S ⇒ not counted; puts 1.004 in A(AG).
    dossier("d17", AG, "1.004", received_at=vn(2, 15, 8), end_at=vn(2, 20, 8)),
    # d18: received after E ⇒ not counted and 1.001 is NOT in A(AG).
    dossier("d18", AG, "1.001", status=2, received_at=vn(4, 2, 8)),
]  # fmt: skip

# -- petitions ---------------------------------------------------------------------------------------------------
PETITION_ROWS = [
    # p1 C1: handled 10/03 ≤ due 20/03 ⇒ on time; 1 like ⇒ satisfied.  TTHC.
    {"petition_code": "p1", "unit_code": C1, "received_at": vn(3, 5, 9), "due_at": vn(3, 20, 17),
     "handled_at": vn(3, 10, 10), "status": "handled", "category": "tthc", "likes": 1, "dislikes": 0,
     "reraised": False},
    # p2 C1: handled 12/03 > due 10/03 ⇒ late ⇒ not satisfied.  staff.
    {"petition_code": "p2", "unit_code": C1, "received_at": vn(3, 6, 9), "due_at": vn(3, 10, 17),
     "handled_at": vn(3, 12, 10), "status": "handled", "category": "staff", "likes": 0, "dislikes": 0,
     "reraised": False},
    # p3 C1: open, R = 01/04 ≤ due 10/04 ⇒ on time; 2 dislikes > 1 like ⇒ dissatisfied.  other.
    {"petition_code": "p3", "unit_code": C1, "received_at": vn(3, 25, 9), "due_at": vn(4, 10, 17),
     "handled_at": None, "status": "open", "category": "other", "likes": 1, "dislikes": 2, "reraised": False},
    # p4 AG: open, R > due 20/03 ⇒ late.  TTHC.
    {"petition_code": "p4", "unit_code": AG, "received_at": vn(3, 1, 10), "due_at": vn(3, 20, 17),
     "handled_at": None, "status": "open", "category": "tthc", "likes": None, "dislikes": None, "reraised": None},
    # p5 AG: handled on time but re-raised ⇒ not satisfied.  TTHC.
    {"petition_code": "p5", "unit_code": AG, "received_at": vn(3, 2, 10), "due_at": vn(3, 20, 17),
     "handled_at": vn(3, 15, 10), "status": "handled", "category": "tthc", "likes": 3, "dislikes": 0,
     "reraised": True},
    # p6 AG: received before S ⇒ not counted.
    {"petition_code": "p6", "unit_code": AG, "received_at": vn(2, 20, 10), "due_at": vn(3, 5, 17),
     "handled_at": vn(3, 1, 10), "status": "handled", "category": "tthc", "likes": 0, "dislikes": 0,
     "reraised": False},
    # p8 D1: rejected ⇒ (reading) neither handled nor open ⇒ not on time ⇒ not satisfied.  other.
    {"petition_code": "p8", "unit_code": D1, "received_at": vn(3, 10, 10), "due_at": vn(3, 25, 17),
     "handled_at": vn(3, 20, 10), "status": "rejected", "category": "other", "likes": 0, "dislikes": 0,
     "reraised": False},
]  # fmt: skip

OFFICIAL = {"P": {"PUBLISH_ON_TIME": (Decimal(0), Decimal(79)), "PUBLIC_UPDATE_ON_TIME": (Decimal(65), Decimal(80))}}


def frames() -> dict[str, pd.DataFrame]:
    return {
        "dossiers": typed_frame(DOSSIER_ROWS, DOSSIER_SCHEMA),
        "procedures": typed_frame(PROCEDURE_ROWS, PROCEDURE_SCHEMA),
        "units": typed_frame(UNIT_ROWS, UNIT_SCHEMA),
        "petitions": typed_frame(PETITION_ROWS, PETITION_SCHEMA),
    }


def compute(**overrides: Any) -> dict[tuple[str, str], Any]:
    args: dict[str, Any] = {
        **frames(),
        "start": S,
        "end": E,
        "as_of": AS_OF,
        "province_official": OFFICIAL,
        "rule": "portal",
    }
    args.update(overrides)
    return reference_counts(**args)


# -- expected figures, portal rule -------------------------------------------------------------------------------
INHERITED = {
    "PUBLISH_ON_TIME": (Decimal(0), Decimal(79)),
    "PUBLIC_UPDATE_ON_TIME": (Decimal(65), Decimal(80)),
    "PUBLIC_CONTENT_FULL": (None, None),  # not in the province's snapshot
}

EXPECTED: dict[str, dict[str, Any]] = {
    # C1: D = d01 d02 d03 d04 (4).
    C1: {
        **INHERITED,
        "DOSSIER_SYNC": (3, 4),  # d01 d02 d04
        "ON_TIME": (3, 4),  # d01 d03 d04 (d02: 2 supplements)
        "AVG_DAYS": (Decimal("5.07"), None),  # (4d2h + 4d1h + 7d2h) / 3 = 15.2083 / 3 = 5.0694
        "RECEIVED": (4, None),
        "COMPLETED": (3, None),  # d01 d02 d04
        "ONLINE_DOSSIERS": (Fraction(3, 2), 4),  # online d01 d03 = 2; synced 3; 2 × 3 / 4
        "ONLINE_ON_TIME": (2, 3),  # ch 2: d01 d02 d03; on time d01 d03
        "PAY_DOSSIERS": (1, 2),  # fee-bearing d01 d02; paid d01
        "DOSSIER_RECEIVING_SATISFACTION": (3, 4),
        "ORIGINAL_RESULT_AVAILABLE": (2, 3),  # paper d01 d02 d04; with e-result d01 d04
        "SO_HOA_GIAY_TO_GIAI_QUYET": (1, 4),  # d01
        "REUSED_DIGITIZED_DATA": (2, 4),  # d01 d04
        "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": (1, 4),  # d01
        "CITIZEN_DATA_CONNECTED_DOSSIER": (2, 4),  # d01 (vneid) d03 (citizen_db)
        "ELECTRONIC_CERTIFIED_COPY": (1, 1),  # d01 e-certified (d05 is not counted)
        "E_CERTIFIED_COPY_SHARE": (1, 1),  # certified copies: d01, done electronically
        # A(C1) = level-xa procedures = {1.001, 1.002}
        "FULL": (1, 2),  # eligible 1.001 1.002; level 4: 1.001
        "HAS_ONLINE": (2, 2),  # level 3/4: both; ch-2 dossiers: 1.001 (d01), 1.002 (d03)
        "PAY_FORMALITIES": (1, 1),  # has_fee: 1.001; paid d01
        "PAY_PROVISION": (1, 1),  # 1.001 has d01 with fee 50 000
        "CITIZEN_DATA_CONNECTED_FORMALITY": (2, 2),  # targets 1.001, 1.002 (null ⇒ true); d01, d03
        "PETITION_CLASSIFICATION_TTHC": (1, 3),  # p1 p2 p3
        "PETITION_CLASSIFICATION_STAFF": (1, 3),
        "PETITION_PROCESSING_ON_TIME": (2, 3),  # p1 p3
        "PETITION_HANDLING_SATISFACTION": (1, 3),  # p1
    },
    # C2: D = d08 d09 d10 d11 (4).
    C2: {
        **INHERITED,
        "DOSSIER_SYNC": (3, 4),  # d08 d09 d11
        "ON_TIME": (2, 4),  # d09 d11 (d08 late by 5 h, d10 unfinished past due)
        "AVG_DAYS": (Decimal("3.67"), None),  # (5d7h + 2d1h) / 2 = 7.3333 / 2
        "RECEIVED": (4, None),
        "COMPLETED": (2, None),  # d08 d11
        "ONLINE_DOSSIERS": (Fraction(3, 4), 4),  # online d08 = 1; synced 3; 1 × 3 / 4
        "ONLINE_ON_TIME": (0, 1),  # ch 2: d08, late
        "PAY_DOSSIERS": (1, 1),  # d08
        "DOSSIER_RECEIVING_SATISFACTION": (1, 4),  # d09 (d11 on time but dissatisfied)
        "ORIGINAL_RESULT_AVAILABLE": (1, 1),  # paper: d08 only
        "SO_HOA_GIAY_TO_GIAI_QUYET": (1, 4),  # d08
        "REUSED_DIGITIZED_DATA": (0, 4),
        "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": (1, 4),  # d08
        "CITIZEN_DATA_CONNECTED_DOSSIER": (1, 4),  # d08 (from personal store)
        "ELECTRONIC_CERTIFIED_COPY": (0, 1),  # d19 is not counted
        "E_CERTIFIED_COPY_SHARE": (0, 1),  # d08 certified copy, not electronic
        "FULL": (1, 2),
        "HAS_ONLINE": (1, 2),  # 1.001 (d08); 1.002 has no ch-2 dossier
        "PAY_FORMALITIES": (1, 1),  # d08
        "PAY_PROVISION": (1, 1),  # d08
        "CITIZEN_DATA_CONNECTED_FORMALITY": (1, 2),  # 1.001 (d08)
        "PETITION_CLASSIFICATION_TTHC": (0, 0),
        "PETITION_CLASSIFICATION_STAFF": (0, 0),
        "PETITION_PROCESSING_ON_TIME": (0, 0),
        "PETITION_HANDLING_SATISFACTION": (0, 0),
    },
    # D1 = own (d12 d14) + C1 + C2: |D| = 10.
    D1: {
        **INHERITED,
        "DOSSIER_SYNC": (7, 10),  # 1 (d12) + 3 + 3
        "ON_TIME": (7, 10),  # 2 (d12 d14) + 3 + 2
        "AVG_DAYS": (Decimal("4.27"), None),  # (15d5h + 7d8h + 3d2h) / 6 = 25.625 / 6 = 4.2708
        "RECEIVED": (10, None),
        "COMPLETED": (6, None),  # 1 + 3 + 2
        "ONLINE_DOSSIERS": (Fraction(21, 10), 10),  # online 0 + 2 + 1 = 3; synced 7; 3 × 7 / 10 (on summed counts)
        "ONLINE_ON_TIME": (4, 6),  # own (2, 2) + (2, 3) + (0, 1)
        "PAY_DOSSIERS": (2, 3),
        "DOSSIER_RECEIVING_SATISFACTION": (6, 10),  # 2 + 3 + 1
        "ORIGINAL_RESULT_AVAILABLE": (3, 6),  # own (0, 2): d12 paper, d14 unknown procedure ⇒ paper
        "SO_HOA_GIAY_TO_GIAI_QUYET": (2, 10),
        "REUSED_DIGITIZED_DATA": (2, 10),
        "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": (2, 10),
        "CITIZEN_DATA_CONNECTED_DOSSIER": (3, 10),
        "ELECTRONIC_CERTIFIED_COPY": (1, 2),  # communes C1 (yes) and C2 (no)
        "E_CERTIFIED_COPY_SHARE": (1, 2),
        # own A(D1) = procedures of its dossiers received before E that are in the catalogue = {1.002 (d13), 1.004};
        # own pairs: FULL (1, 2), HAS_ONLINE (1, 2) (1.004 via d12), PAY_* (0, 0), CITIZEN (0, 2)
        "FULL": (3, 6),
        "HAS_ONLINE": (4, 6),
        "PAY_FORMALITIES": (2, 2),
        "PAY_PROVISION": (2, 2),
        "CITIZEN_DATA_CONNECTED_FORMALITY": (3, 6),
        "PETITION_CLASSIFICATION_TTHC": (1, 4),  # own p8 + C1's three
        "PETITION_CLASSIFICATION_STAFF": (1, 4),
        "PETITION_PROCESSING_ON_TIME": (2, 4),
        "PETITION_HANDLING_SATISFACTION": (1, 4),
    },
    # AG: D = d15 (1).
    AG: {
        **INHERITED,
        "DOSSIER_SYNC": (1, 1),
        "ON_TIME": (1, 1),
        "AVG_DAYS": (Decimal("1.13"), None),  # 1.125 rounded half-up
        "RECEIVED": (1, None),
        "COMPLETED": (1, None),
        "ONLINE_DOSSIERS": (Fraction(1), 1),
        "ONLINE_ON_TIME": (1, 1),
        "PAY_DOSSIERS": (0, 1),
        "DOSSIER_RECEIVING_SATISFACTION": (1, 1),
        "ORIGINAL_RESULT_AVAILABLE": (1, 1),
        "SO_HOA_GIAY_TO_GIAI_QUYET": (1, 1),
        "REUSED_DIGITIZED_DATA": (0, 1),
        "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": (0, 1),
        "CITIZEN_DATA_CONNECTED_DOSSIER": (1, 1),
        "ELECTRONIC_CERTIFIED_COPY": ("FULL", None),  # no commune below an agency
        "E_CERTIFIED_COPY_SHARE": (0, 0),
        # A(AG) = {1.003 (d15), 1.004 (d17)}; 1.001 of d18 (received after E) is not in it
        "FULL": (1, 1),  # eligible: 1.004 only; level 4
        "HAS_ONLINE": (0, 1),  # level 3/4: 1.004 only, no counted dossier (d15's 1.003 is not in the denominator)
        "PAY_FORMALITIES": (0, 1),  # has_fee: 1.003; d15 paid_online 3 ⇒ not paid
        "PAY_PROVISION": (1, 1),  # d15 fee 100 000
        "CITIZEN_DATA_CONNECTED_FORMALITY": (0, 1),  # target: 1.004 only (1.003 false), no citizen dossier for it
        "PETITION_CLASSIFICATION_TTHC": (2, 2),  # p4 p5
        "PETITION_CLASSIFICATION_STAFF": (0, 2),
        "PETITION_PROCESSING_ON_TIME": (1, 2),  # p5
        "PETITION_HANDLING_SATISFACTION": (0, 2),  # p4 late, p5 re-raised
    },
    # AG2: no dossiers (the store has some) ⇒ real zeros.
    AG2: {
        **INHERITED,
        **dict.fromkeys(
            [
                "DOSSIER_SYNC",
                "ON_TIME",
                "ONLINE_ON_TIME",
                "PAY_DOSSIERS",
                "DOSSIER_RECEIVING_SATISFACTION",
                "ORIGINAL_RESULT_AVAILABLE",
                "SO_HOA_GIAY_TO_GIAI_QUYET",
                "REUSED_DIGITIZED_DATA",
                "SYNCED_WITH_DVCQG_PERSONAL_STORAGE",
                "CITIZEN_DATA_CONNECTED_DOSSIER",
                "E_CERTIFIED_COPY_SHARE",
                "FULL",
                "HAS_ONLINE",
                "PAY_FORMALITIES",
                "PAY_PROVISION",
                "CITIZEN_DATA_CONNECTED_FORMALITY",
                "PETITION_CLASSIFICATION_TTHC",
                "PETITION_CLASSIFICATION_STAFF",
                "PETITION_PROCESSING_ON_TIME",
                "PETITION_HANDLING_SATISFACTION",
            ],
            (0, 0),
        ),
        "AVG_DAYS": (None, None),  # nothing completed
        "RECEIVED": (0, None),
        "COMPLETED": (0, None),
        "ONLINE_DOSSIERS": (Fraction(0), 0),
        "ELECTRONIC_CERTIFIED_COPY": ("FULL", None),
    },
    # P = D1 + AG + AG2 (P has no dossiers of its own): |D| = 11.
    P: {
        **INHERITED,
        "DOSSIER_SYNC": (8, 11),
        "ON_TIME": (8, 11),
        "AVG_DAYS": (Decimal("3.82"), None),  # (25.625 + 1.125) / 7 = 3.8214
        "RECEIVED": (11, None),
        "COMPLETED": (7, None),
        "ONLINE_DOSSIERS": (Fraction(32, 11), 11),  # online 3 + 1 = 4; synced 8; 4 × 8 / 11
        "ONLINE_ON_TIME": (5, 7),
        "PAY_DOSSIERS": (2, 4),
        "DOSSIER_RECEIVING_SATISFACTION": (7, 11),
        "ORIGINAL_RESULT_AVAILABLE": (4, 7),
        "SO_HOA_GIAY_TO_GIAI_QUYET": (3, 11),
        "REUSED_DIGITIZED_DATA": (2, 11),
        "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": (2, 11),
        "CITIZEN_DATA_CONNECTED_DOSSIER": (4, 11),
        "ELECTRONIC_CERTIFIED_COPY": (1, 2),
        "E_CERTIFIED_COPY_SHARE": (1, 2),
        "FULL": (4, 7),  # D1 (3, 6) + AG (1, 1)
        "HAS_ONLINE": (4, 7),
        "PAY_FORMALITIES": (2, 3),
        "PAY_PROVISION": (3, 3),
        "CITIZEN_DATA_CONNECTED_FORMALITY": (3, 7),
        "PETITION_CLASSIFICATION_TTHC": (3, 6),
        "PETITION_CLASSIFICATION_STAFF": (1, 6),
        "PETITION_PROCESSING_ON_TIME": (3, 6),
        "PETITION_HANDLING_SATISFACTION": (1, 6),
    },
}


def mismatches(result: Mapping[tuple[str, str], Any], unit: str, expected: Mapping[str, Any]) -> dict[str, Any]:
    return {m: (result.get((unit, m)), want) for m, want in expected.items() if result.get((unit, m)) != want}


# -- tests -------------------------------------------------------------------------------------------------------
def test_every_unit_has_every_metric() -> None:
    result = compute()
    assert set(result) == {(u, m) for u in EXPECTED for m in ALL_METRICS}
    assert all(set(EXPECTED[u]) == set(ALL_METRICS) for u in EXPECTED)


@pytest.mark.parametrize("unit", list(EXPECTED))
def test_hand_computed_figures(unit: str) -> None:
    assert mismatches(compute(), unit, EXPECTED[unit]) == {}


def test_value_types() -> None:
    result = compute()
    for (_unit, metric), (num, den) in result.items():
        if metric == "ONLINE_DOSSIERS":
            assert type(num) is Fraction and type(den) is int
        elif metric == "AVG_DAYS":
            assert num is None or type(num) is Decimal
            assert den is None
        elif metric in ("RECEIVED", "COMPLETED"):
            assert type(num) is int and den is None
        elif metric == "ELECTRONIC_CERTIFIED_COPY" and num == "FULL":
            assert den is None
        elif metric not in ("PUBLISH_ON_TIME", "PUBLIC_UPDATE_ON_TIME", "PUBLIC_CONTENT_FULL"):
            assert type(num) is int and type(den) is int, (metric, num, den)
    assert str(result[(C1, "AVG_DAYS")][0]) == "5.07"


def test_date_rule_compares_vietnam_calendar_dates() -> None:
    # d08 ended 25/03 15:00, due 25/03 10:00: late by date-time, on time by date. Nothing else changes.
    result = compute(rule="date")
    assert result[(C2, "ON_TIME")] == (3, 4)
    assert result[(C2, "ONLINE_ON_TIME")] == (1, 1)
    assert result[(C2, "DOSSIER_RECEIVING_SATISFACTION")] == (2, 4)
    assert result[(D1, "ON_TIME")] == (8, 10)
    assert result[(P, "ON_TIME")] == (9, 11)
    assert result[(C1, "ON_TIME")] == (3, 4)
    # 'session' has the same late / on-time boundary as 'portal'
    assert compute(rule="session") == compute(rule="portal")


def test_date_rule_uses_vietnam_not_utc_dates() -> None:
    # due 23:00 VN on 10/03 (16:00 UTC), ended 01:00 VN on 11/03 (18:00 UTC, still 10/03 in UTC) ⇒ late by VN date
    rows = [dossier("x1", C1, "1.001", received_at=vn(3, 5, 8), due_at=vn(3, 10, 23), end_at=vn(3, 11, 1))]
    result = compute(dossiers=typed_frame(rows, DOSSIER_SCHEMA), rule="date")
    assert result[(C1, "ON_TIME")] == (0, 1)


def test_unfinished_dossiers_judged_at_as_of_inside_the_period() -> None:
    # as_of 30/03 12:00 < E ⇒ R = as_of: d10 (due 31/03 10:00) is still within its deadline.
    result = compute(as_of=vn(3, 30, 12))
    assert result[(C2, "ON_TIME")] == (3, 4)
    assert result[(D1, "ON_TIME")] == (8, 10)
    # a dossier that ends after R is not completed yet
    rows = [dossier("x1", C1, "1.001", received_at=vn(3, 5, 8), due_at=vn(3, 31, 17), end_at=vn(3, 31, 9))]
    result = compute(dossiers=typed_frame(rows, DOSSIER_SCHEMA), as_of=vn(3, 30, 12))
    assert result[(C1, "COMPLETED")] == (0, None)
    assert result[(C1, "AVG_DAYS")] == (None, None)
    assert result[(C1, "ON_TIME")] == (1, 1)  # judged at R = 30/03 12:00 ≤ due


def test_pending_supplement_request_time_is_the_end_without_pause() -> None:
    # one pending request at 06/03 10:00, due 06/03 09:00, 2 h paused: the request time is the end and the pause is
    # not subtracted (it would give 08:00 ≤ 09:00) ⇒ late.
    rows = [
        dossier("x1", C1, "1.002", status=5, received_at=vn(3, 5, 8), due_at=vn(3, 6, 9), supplement_count=1,
                supplement_first_at=vn(3, 6, 10), paused_seconds=7200),
        # the same once finished at 06/03 10:00 ⇒ end_at − pause = 08:00 ≤ 09:00 ⇒ on time
        dossier("x2", C2, "1.002", status=10, received_at=vn(3, 5, 8), due_at=vn(3, 6, 9), supplement_count=1,
                supplement_first_at=vn(3, 5, 12), paused_seconds=7200, end_at=vn(3, 6, 10)),
    ]  # fmt: skip
    result = compute(dossiers=typed_frame(rows, DOSSIER_SCHEMA))
    assert result[(C1, "ON_TIME")] == (0, 1)
    assert result[(C2, "ON_TIME")] == (1, 1)


def test_no_dossier_data_at_all() -> None:
    result = compute(dossiers=typed_frame([], DOSSIER_SCHEMA))
    for unit in EXPECTED:
        for metric in (
            "DOSSIER_SYNC",
            "ON_TIME",
            "AVG_DAYS",
            "RECEIVED",
            "COMPLETED",
            "ONLINE_DOSSIERS",
            "PAY_DOSSIERS",
            "ORIGINAL_RESULT_AVAILABLE",
            "E_CERTIFIED_COPY_SHARE",
        ):
            assert result[(unit, metric)] == (None, None), (unit, metric)
    # communes need dossiers; agencies have no commune ⇒ still 100 %
    assert result[(C1, "ELECTRONIC_CERTIFIED_COPY")] == (None, None)
    assert result[(P, "ELECTRONIC_CERTIFIED_COPY")] == (None, None)
    assert result[(AG, "ELECTRONIC_CERTIFIED_COPY")] == ("FULL", None)
    # pair metrics come from the catalogue: a commune still has its level-xa procedures
    assert result[(C1, "FULL")] == (1, 2)
    assert result[(C1, "HAS_ONLINE")] == (0, 2)
    assert result[(AG, "FULL")] == (0, 0)
    # the other inputs are unaffected
    assert result[(C1, "PETITION_PROCESSING_ON_TIME")] == (2, 3)
    assert result[(C1, "PUBLISH_ON_TIME")] == (Decimal(0), Decimal(79))


def test_no_catalogue_no_petitions_no_official() -> None:
    result = compute(procedures=None, petitions=None, province_official=None)
    for unit in EXPECTED:
        for metric in (
            "FULL",
            "HAS_ONLINE",
            "PAY_FORMALITIES",
            "PAY_PROVISION",
            "CITIZEN_DATA_CONNECTED_FORMALITY",
            "PETITION_CLASSIFICATION_TTHC",
            "PETITION_CLASSIFICATION_STAFF",
            "PETITION_PROCESSING_ON_TIME",
            "PETITION_HANDLING_SATISFACTION",
            "PUBLISH_ON_TIME",
            "PUBLIC_UPDATE_ON_TIME",
            "PUBLIC_CONTENT_FULL",
        ):
            assert result[(unit, metric)] == (None, None), (unit, metric)
    # without a catalogue every procedure is unknown: paper result, no catalogue fee. In C1, d03 (1.002) becomes a
    # paper procedure without e-result ⇒ not online; d02's null fee no longer makes it fee-bearing.
    assert result[(C1, "ONLINE_DOSSIERS")] == (Fraction(1 * 3, 4), 4)
    assert result[(C1, "ORIGINAL_RESULT_AVAILABLE")] == (2, 4)
    assert result[(C1, "PAY_DOSSIERS")] == (1, 1)
    assert result[(C1, "ON_TIME")] == EXPECTED[C1]["ON_TIME"]


def test_empty_petition_file_gives_zeros() -> None:
    result = compute(petitions=typed_frame([], PETITION_SCHEMA))
    assert result[(C1, "PETITION_PROCESSING_ON_TIME")] == (0, 0)
    assert result[(P, "PETITION_HANDLING_SATISFACTION")] == (0, 0)


def test_flag_column_never_carried() -> None:
    # C2's export had no 'Đồng bộ DVCQG' and no 'Không hài lòng' column: those flags are null on all its dossiers.
    rows = [{**row, "synced": None, "dissatisfied": None} if row["unit_code"] == C2 else row for row in DOSSIER_ROWS]
    result = compute(dossiers=typed_frame(rows, DOSSIER_SCHEMA))
    assert result[(C2, "DOSSIER_SYNC")] == (None, None)
    assert result[(C2, "DOSSIER_RECEIVING_SATISFACTION")] == (None, None)
    # ONLINE_DOSSIERS with sync unknown: the online count alone
    assert result[(C2, "ONLINE_DOSSIERS")] == (Fraction(1), 4)
    # metrics not using those columns are unchanged
    assert result[(C2, "ON_TIME")] == EXPECTED[C2]["ON_TIME"]
    # the district still has carried values below it: the nulls count as false
    assert result[(D1, "DOSSIER_SYNC")] == (4, 10)  # d12 + C1's three
    assert result[(D1, "ONLINE_DOSSIERS")] == (Fraction(3 * 4, 10), 10)
    assert result[(D1, "DOSSIER_RECEIVING_SATISFACTION")] == (7, 10)  # d11 no longer known to be dissatisfied


def test_flag_column_never_carried_anywhere() -> None:
    rows = [{**row, "e_certified": None, "vneid": None} for row in DOSSIER_ROWS]
    result = compute(dossiers=typed_frame(rows, DOSSIER_SCHEMA))
    assert result[(C1, "ELECTRONIC_CERTIFIED_COPY")] == (None, None)
    assert result[(D1, "ELECTRONIC_CERTIFIED_COPY")] == (None, None)
    assert result[(AG, "ELECTRONIC_CERTIFIED_COPY")] == ("FULL", None)
    assert result[(C1, "E_CERTIFIED_COPY_SHARE")] == (None, None)
    assert result[(P, "CITIZEN_DATA_CONNECTED_DOSSIER")] == (None, None)
    assert result[(P, "CITIZEN_DATA_CONNECTED_FORMALITY")] == (None, None)
    # a unit with no counted dossiers keeps its real zeros
    assert result[(AG2, "CITIZEN_DATA_CONNECTED_DOSSIER")] == (0, 0)
    assert result[(AG2, "ELECTRONIC_CERTIFIED_COPY")] == ("FULL", None)


def test_unit_absent_from_unit_table_is_a_root() -> None:
    rows = [
        *DOSSIER_ROWS,
        dossier("x1", "Q.X", "1.002", channel=2, received_at=vn(3, 10, 8), due_at=vn(3, 12, 17),
                end_at=vn(3, 11, 8), synced=True),
    ]  # fmt: skip
    result = compute(dossiers=typed_frame(rows, DOSSIER_SCHEMA))
    assert result[("Q.X", "RECEIVED")] == (1, None)
    assert result[("Q.X", "ONLINE_DOSSIERS")] == (Fraction(1), 1)
    assert result[("Q.X", "AVG_DAYS")] == (Decimal("1.00"), None)
    assert result[("Q.X", "ELECTRONIC_CERTIFIED_COPY")] == ("FULL", None)
    assert result[("Q.X", "HAS_ONLINE")] == (1, 1)  # A = {1.002}, level 3, ch-2 dossier
    assert result[("Q.X", "PUBLISH_ON_TIME")] == (None, None)  # no province known
    assert result[(P, "RECEIVED")] == (11, None)  # not rolled into P


def test_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="rule"):
        compute(rule="fastest")


def test_plain_dtypes_give_the_same_figures() -> None:
    # what a backend may hand over instead of nullable dtypes: object columns with None/NaN, microsecond times
    def plain(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        for column in out.columns:
            if isinstance(out[column].dtype, pd.DatetimeTZDtype):
                out[column] = out[column].astype("datetime64[us, UTC]")
            else:
                out[column] = out[column].astype(object).where(out[column].notna(), None)
        return out

    plain_frames = {name: plain(frame) for name, frame in frames().items()}
    assert compute(**plain_frames) == compute()
