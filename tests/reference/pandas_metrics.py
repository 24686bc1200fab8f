"""Plain pandas/Python reference for the local metrics of `docs/local-metrics.md`.

Written from the specification only, for clarity rather than speed: every dossier, procedure pair and petition is
looked at one by one with ordinary Python, and every unit's figure is recomputed from the full list of the dossiers
(pairs, petitions) of its subtree. The optimised engine (`src/chiso/engine/`) is checked against it.

Conventions of the result (shared with the engine):

- counts are `int`; the ONLINE_DOSSIERS numerator is an exact `Fraction`; AVG_DAYS is `(Decimal, None)` with the
  mean rounded half-up to 2 decimals; RECEIVED and COMPLETED are `(count, None)`;
- 'không có dữ liệu' is `(None, None)`;
- ELECTRONIC_CERTIFIED_COPY of a unit with no commune in its subtree is `("FULL", None)` (the engine gives 100 %).

Readings of the specification that were not obvious (each is also marked **reading:** where it is applied):

1. A dossier with a null status is counted ("status not 1 or 3").
2. `end_from_request` applies to any dossier unfinished at R with exactly one supplement request made by R; whether
   the supplement was answered since is not asked (the spec's table does not ask it).
3. Absent flags: the flag columns are the boolean dossier columns plus `paid_online`; a metric is 'không có dữ liệu'
   for a unit when ANY flag column it uses (see METRIC_FLAGS) is null on EVERY counted dossier of the unit's subtree
   (with at least one such dossier). Checked on the rolled-up set, so a district can have data when one commune
   has none. ONLINE_DOSSIERS: `synced` absent ⇒ online count alone; `e_result` absent ⇒ no data.
4. ONLINE_DOSSIERS is online × synced / |D| on the subtree's summed counts, not a sum of per-unit products.
5. The three inherited CKMB metrics are copied, not summed: every unit takes the figure of its nearest ancestor-or-self
   of kind 'province' (without one, the top of its chain); a metric missing from that entry is no data.
6. A(u): every commune has its `xa` procedures, with or without dossiers; another unit has the catalogue procedures
   of its dossiers with received_at < E, whatever their status and even if received before S.
7. Pair metrics need the catalogue only: with no dossier data at all they are still computed (dossier-based
   numerators are then 0). The absent-flag rule (3) applies to PAY_FORMALITIES and
   CITIZEN_DATA_CONNECTED_FORMALITY.
8. ELECTRONIC_CERTIFIED_COPY: ("FULL", None) for a unit with no commune in its subtree wins over 'no dossier data';
   a commune "provides" when one of its own counted dossiers is `e_certified`.
9. Petitions: "handled" and "open" are status values; a rejected petition is never on time; a null due_at is never
   on time; "late" in PETITION_HANDLING_SATISFACTION is "not on time"; null likes/dislikes are 0.
10. Units: a parent code that is not a known unit makes the unit a root; petitions of units unknown to both `units`
    and the dossiers are dropped; `rule='session'` is accepted and behaves as 'portal'.
11. AVG_DAYS does not subtract paused time (`end_at − received_at`, as written); days are 86 400 s.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeVar

import pandas as pd

Value = Fraction | int | Decimal | str | None
Pair = tuple[Value, Value]
T = TypeVar("T")

NO_DATA: Pair = (None, None)
FULL_SENTINEL = "FULL"

# -- metric codes ------------------------------------------------------------------------------------------------
INHERITED_METRICS: tuple[str, ...] = ("PUBLISH_ON_TIME", "PUBLIC_UPDATE_ON_TIME", "PUBLIC_CONTENT_FULL")
DOSSIER_METRICS: tuple[str, ...] = (
    "DOSSIER_SYNC",
    "ON_TIME",
    "AVG_DAYS",
    "RECEIVED",
    "COMPLETED",
    "ONLINE_DOSSIERS",
    "ONLINE_ON_TIME",
    "PAY_DOSSIERS",
    "DOSSIER_RECEIVING_SATISFACTION",
    "ORIGINAL_RESULT_AVAILABLE",
    "SO_HOA_GIAY_TO_GIAI_QUYET",
    "REUSED_DIGITIZED_DATA",
    "SYNCED_WITH_DVCQG_PERSONAL_STORAGE",
    "CITIZEN_DATA_CONNECTED_DOSSIER",
    "ELECTRONIC_CERTIFIED_COPY",
    "E_CERTIFIED_COPY_SHARE",
)
PAIR_METRICS: tuple[str, ...] = (
    "FULL",
    "HAS_ONLINE",
    "PAY_FORMALITIES",
    "PAY_PROVISION",
    "CITIZEN_DATA_CONNECTED_FORMALITY",
)
PETITION_METRICS: tuple[str, ...] = (
    "PETITION_CLASSIFICATION_TTHC",
    "PETITION_CLASSIFICATION_STAFF",
    "PETITION_PROCESSING_ON_TIME",
    "PETITION_HANDLING_SATISFACTION",
)
ALL_METRICS: tuple[str, ...] = INHERITED_METRICS + DOSSIER_METRICS + PAIR_METRICS + PETITION_METRICS

# -- "a flag column the source never carried" ----------------------------------------------------------------------
# reading: the flag columns are the boolean dossier columns plus `paid_online` (a 0/1/2 code the CSV export gives
# as 'Có/Không'); `channel`, `fee_total`, times and counts are not flags (an empty channel already means trực tiếp,
# an empty fee falls back to the catalogue). A metric "uses" a column when its numerator or denominator depends on
# it, directly or through a per-dossier flag of the spec's table (e.g. `online` uses `e_result`). If ANY column the
# metric uses is null on EVERY counted dossier of the unit's subtree (and there is at least one such dossier), the
# metric is 'không có dữ liệu' for that unit. ONLINE_DOSSIERS is the spec's exception for `synced` (below).
FLAG_COLUMNS: tuple[str, ...] = (
    "digitised",
    "reused",
    "from_personal_store",
    "result_to_personal_store",
    "vneid",
    "citizen_db",
    "paid_online",
    "e_result",
    "synced",
    "certified_copy",
    "e_certified",
    "dissatisfied",
)
METRIC_FLAGS: dict[str, tuple[str, ...]] = {
    "DOSSIER_SYNC": ("synced",),
    "ON_TIME": (),
    "AVG_DAYS": (),
    "RECEIVED": (),
    "COMPLETED": (),
    "ONLINE_DOSSIERS": ("e_result",),  # + `synced`, handled by the spec's own fallback
    "ONLINE_ON_TIME": (),
    "PAY_DOSSIERS": ("paid_online",),
    "DOSSIER_RECEIVING_SATISFACTION": ("dissatisfied",),
    "ORIGINAL_RESULT_AVAILABLE": ("e_result",),
    "SO_HOA_GIAY_TO_GIAI_QUYET": ("digitised", "e_result"),
    "REUSED_DIGITIZED_DATA": ("reused",),
    "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": ("from_personal_store", "result_to_personal_store"),
    "CITIZEN_DATA_CONNECTED_DOSSIER": ("vneid", "from_personal_store", "citizen_db"),
    "ELECTRONIC_CERTIFIED_COPY": ("e_certified",),
    "E_CERTIFIED_COPY_SHARE": ("certified_copy", "e_certified"),
    "FULL": (),
    "HAS_ONLINE": (),
    "PAY_FORMALITIES": ("paid_online",),
    "PAY_PROVISION": (),
    "CITIZEN_DATA_CONNECTED_FORMALITY": ("vneid", "from_personal_store", "citizen_db"),
}

VN_OFFSET = pd.Timedelta(hours=7)
NS_PER_DAY = 86_400 * 10**9
RULES = ("portal", "date", "session")


# -- scalar helpers ----------------------------------------------------------------------------------------------
def is_missing(value: object) -> bool:
    """None, NaN, NaT and pd.NA are all 'no value'."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def truthy(value: object) -> bool:
    """The spec's rule: a boolean that is null counts as false."""
    return not is_missing(value) and bool(value)


def as_int(value: object, default: int | None = None) -> int | None:
    return default if is_missing(value) else int(value)  # type: ignore[call-overload]


def as_timestamp(value: object) -> pd.Timestamp | None:
    if is_missing(value):
        return None
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        raise ValueError(f"naive time {value!r}: the reference expects UTC instants")
    return ts.tz_convert("UTC")


def instant(value: datetime) -> pd.Timestamp:
    ts = as_timestamp(value)
    if ts is None:
        raise ValueError("period bounds and as_of are required")
    return ts


def vn_date(ts: pd.Timestamp) -> date:
    """The Vietnam calendar date (UTC+7, no daylight saving) of a UTC instant."""
    return (ts.tz_convert("UTC") + VN_OFFSET).date()


def round_half_up(value: Fraction, places: int = 2) -> Decimal:
    scaled = abs(value) * 10**places
    digits = math.floor(scaled + Fraction(1, 2))
    sign = -1 if value < 0 else 1
    return (Decimal(sign * digits) / Decimal(10**places)).quantize(Decimal(1).scaleb(-places))


def records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    if frame is None or len(frame) == 0:
        return []
    return frame.to_dict("records")


# -- units -------------------------------------------------------------------------------------------------------
class UnitTree:
    """The unit hierarchy; codes seen only in dossiers are extra roots of unknown kind."""

    def __init__(self, units: pd.DataFrame, extra_codes: Iterable[str]) -> None:
        self.codes: list[str] = []
        self.kind: dict[str, str | None] = {}
        self.parent: dict[str, str | None] = {}
        for row in records(units):
            code = str(row["unit_code"])
            if code in self.kind:
                raise ValueError(f"unit {code} listed twice")
            self.codes.append(code)
            self.kind[code] = None if is_missing(row.get("kind")) else str(row["kind"])
            parent = row.get("parent_code")
            self.parent[code] = None if is_missing(parent) or str(parent) == "" else str(parent)
        for code in extra_codes:
            if code not in self.kind:
                self.codes.append(code)
                self.kind[code] = None
                self.parent[code] = None
        # reading: a parent code that is not a known unit makes the unit a root (nothing to roll up into)
        for code, parent in self.parent.items():
            if parent is not None and parent not in self.kind:
                self.parent[code] = None
        self.children: dict[str, list[str]] = {code: [] for code in self.codes}
        for code in self.codes:
            parent = self.parent[code]
            if parent is not None:
                self.children[parent].append(code)

    def subtree(self, code: str) -> list[str]:
        """The unit and all its descendants (each once, even if the data had a cycle)."""
        order: list[str] = []
        seen: set[str] = set()
        stack = [code]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            order.append(current)
            stack.extend(self.children[current])
        return order

    def province_of(self, code: str) -> str:
        """The nearest ancestor-or-self of kind 'province'; without one, the top of the unit's chain."""
        current = code
        visited: set[str] = set()
        while True:
            if self.kind.get(current) == "province":
                return current
            visited.add(current)
            parent = self.parent.get(current)
            if parent is None or parent in visited:
                return current
            current = parent


# -- per-dossier flags -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DossierFacts:
    """What the spec's per-dossier flag table says about one dossier, at reference time R."""

    code: str
    unit: str
    procedure: str | None
    counted: bool  # in D(unit): S ≤ received_at < E and status not 1 / 3
    received_before_end: bool  # received_at < E (any status): makes the procedure part of A(u) for non-communes
    synced: bool
    on_time: bool
    channel2: bool
    online: bool
    fee_bearing: bool
    fee_positive: bool
    paid: bool
    citizen_data: bool
    completed: bool
    duration_ns: int | None  # end_at − received_at, for completed dossiers
    paper: bool
    e_result: bool
    digitised: bool
    reused: bool
    personal_store: bool
    dissatisfied: bool
    certified_copy: bool
    e_certified: bool
    null_flags: frozenset[str]  # flag columns that are null on this dossier


def dossier_facts(
    row: Mapping[str, Any],
    catalogue: Mapping[str, Mapping[str, Any]],
    start: pd.Timestamp,
    end: pd.Timestamp,
    reference: pd.Timestamp,
    rule: str,
) -> DossierFacts:
    procedure = None if is_missing(row.get("procedure_code")) else str(row["procedure_code"])
    proc = catalogue.get(procedure) if procedure is not None else None

    received = as_timestamp(row.get("received_at"))
    status = as_int(row.get("status"))
    # reading: an unknown (null) status is "not 1 or 3", so the dossier is counted
    counted = received is not None and start <= received < end and status not in (1, 3)
    received_before_end = received is not None and received < end

    # paper: the procedure's paper_result; unknown procedure or empty ⇒ true
    paper = True if proc is None or is_missing(proc.get("paper_result")) else bool(proc["paper_result"])

    # end of processing, judged at R
    end_at = as_timestamp(row.get("end_at"))
    due = as_timestamp(row.get("due_at"))
    supplements = as_int(row.get("supplement_count"), 0) or 0
    first_request = as_timestamp(row.get("supplement_first_at"))
    paused = as_int(row.get("paused_seconds"), 0) or 0
    late_by_supplements = supplements > 1
    # reading: the single-request case applies whenever the dossier is unfinished at R and has exactly one request
    # made by R; the spec's table does not ask whether the supplement was answered since.
    if end_at is not None and end_at <= reference:
        finish, from_request = end_at, False
    elif supplements == 1 and first_request is not None and first_request <= reference:
        finish, from_request = first_request, True
    else:
        finish, from_request = reference, False
    effective_end = finish if from_request else finish - pd.Timedelta(seconds=paused)
    if due is None:
        within_due = True
    elif rule == "date":
        within_due = vn_date(effective_end) <= vn_date(due)
    else:  # portal, and session (same late/on-time boundary as portal)
        within_due = effective_end <= due
    on_time = not late_by_supplements and within_due

    channel = as_int(row.get("channel"))
    channel2 = channel == 2
    e_result = truthy(row.get("e_result"))
    online = channel2 and (e_result or not paper)

    fee_total = row.get("fee_total")
    fee_positive = not is_missing(fee_total) and fee_total > 0
    has_fee = proc is not None and truthy(proc.get("has_fee"))
    fee_bearing = fee_positive or (is_missing(fee_total) and has_fee)
    paid = fee_bearing and as_int(row.get("paid_online")) in (1, 2)

    citizen_data = truthy(row.get("vneid")) or truthy(row.get("from_personal_store")) or truthy(row.get("citizen_db"))
    completed = status in (9, 10) and end_at is not None and end_at <= reference
    duration_ns = int((end_at - received).value) if completed and end_at is not None and received is not None else None

    return DossierFacts(
        code=str(row.get("dossier_code")),
        unit=str(row["unit_code"]),
        procedure=procedure,
        counted=counted,
        received_before_end=received_before_end,
        synced=truthy(row.get("synced")),
        on_time=on_time,
        channel2=channel2,
        online=online,
        fee_bearing=fee_bearing,
        fee_positive=fee_positive,
        paid=paid,
        citizen_data=citizen_data,
        completed=completed,
        duration_ns=duration_ns,
        paper=paper,
        e_result=e_result,
        digitised=truthy(row.get("digitised")),
        reused=truthy(row.get("reused")),
        personal_store=truthy(row.get("from_personal_store")) or truthy(row.get("result_to_personal_store")),
        dissatisfied=truthy(row.get("dissatisfied")),
        certified_copy=truthy(row.get("certified_copy")),
        e_certified=truthy(row.get("e_certified")),
        null_flags=frozenset(column for column in FLAG_COLUMNS if is_missing(row.get(column))),
    )


def column_absent(facts: list[DossierFacts], column: str) -> bool:
    """The source never carried the column: null on every counted dossier (and there is at least one)."""
    return len(facts) > 0 and all(column in f.null_flags for f in facts)


def flags_absent(facts: list[DossierFacts], metric: str) -> bool:
    return any(column_absent(facts, column) for column in METRIC_FLAGS[metric])


def count(items: Iterable[T], predicate: Callable[[T], bool]) -> int:
    return sum(1 for item in items if predicate(item))


# -- dossier metrics over one unit's subtree -----------------------------------------------------------------------
def dossier_metrics(facts: list[DossierFacts]) -> dict[str, Pair]:
    """Every dossier metric except ELECTRONIC_CERTIFIED_COPY, over the counted dossiers of a subtree."""
    received = len(facts)
    out: dict[str, Pair] = {}

    out["DOSSIER_SYNC"] = (count(facts, lambda f: f.synced), received)
    out["ON_TIME"] = (count(facts, lambda f: f.on_time), received)

    durations = [f.duration_ns for f in facts if f.completed and f.duration_ns is not None]
    if durations:
        out["AVG_DAYS"] = (round_half_up(Fraction(sum(durations), NS_PER_DAY * len(durations))), None)
    else:
        out["AVG_DAYS"] = NO_DATA
    out["RECEIVED"] = (received, None)
    out["COMPLETED"] = (count(facts, lambda f: f.completed), None)

    online = count(facts, lambda f: f.online)
    if column_absent(facts, "synced"):
        # the spec: with sync unknown, the online share alone
        out["ONLINE_DOSSIERS"] = (Fraction(online), received)
    else:
        # reading: the product is taken on the subtree's summed counts (the roll-up sums dossiers, then computes)
        synced = count(facts, lambda f: f.synced)
        numerator = Fraction(online * synced, received) if received else Fraction(0)
        out["ONLINE_DOSSIERS"] = (numerator, received)

    channel2 = [f for f in facts if f.channel2]
    out["ONLINE_ON_TIME"] = (count(channel2, lambda f: f.on_time), len(channel2))
    out["PAY_DOSSIERS"] = (count(facts, lambda f: f.paid), count(facts, lambda f: f.fee_bearing))
    out["DOSSIER_RECEIVING_SATISFACTION"] = (count(facts, lambda f: f.on_time and not f.dissatisfied), received)
    out["ORIGINAL_RESULT_AVAILABLE"] = (
        count(facts, lambda f: f.paper and f.e_result),
        count(facts, lambda f: f.paper),
    )
    out["SO_HOA_GIAY_TO_GIAI_QUYET"] = (count(facts, lambda f: f.digitised and (f.e_result or not f.paper)), received)
    out["REUSED_DIGITIZED_DATA"] = (count(facts, lambda f: f.reused), received)
    out["SYNCED_WITH_DVCQG_PERSONAL_STORAGE"] = (count(facts, lambda f: f.personal_store), received)
    out["CITIZEN_DATA_CONNECTED_DOSSIER"] = (count(facts, lambda f: f.citizen_data), received)
    out["E_CERTIFIED_COPY_SHARE"] = (
        count(facts, lambda f: f.certified_copy and f.e_certified),
        count(facts, lambda f: f.certified_copy),
    )

    for metric in out:
        if flags_absent(facts, metric):
            out[metric] = NO_DATA
    return out


# -- procedure pairs -----------------------------------------------------------------------------------------------
def applicable_procedures(
    unit: str,
    kind: str | None,
    catalogue: Mapping[str, Mapping[str, Any]],
    own_dossiers: list[DossierFacts],
) -> list[str]:
    """A(u): a commune's catalogue procedures at level `xa`; another unit's catalogue procedures seen in its dossiers.

    reading: every commune has its `xa` procedures, whether or not it has dossiers; for other units "its own dossiers
    received before E" is every dossier of the unit with received_at < E, whatever its status (1 and 3 included) and
    even when received before S.
    """
    if kind == "commune":
        return sorted(code for code, proc in catalogue.items() if "xa" in levels_of(proc))
    seen = {f.procedure for f in own_dossiers if f.received_before_end and f.procedure in catalogue}
    return sorted(code for code in seen if code is not None)


def levels_of(proc: Mapping[str, Any]) -> set[str]:
    levels = proc.get("levels")
    if is_missing(levels):
        return set()
    return {part.strip().lower() for part in str(levels).split("#") if part.strip()}


def pair_metrics(
    pairs: list[tuple[str, str]],
    catalogue: Mapping[str, Mapping[str, Any]],
    counted_by_pair: Mapping[tuple[str, str | None], list[DossierFacts]],
) -> dict[str, Pair]:
    """The five procedure-set metrics over a subtree's (unit, procedure) pairs.

    The dossiers of a pair are the counted dossiers D of the pair's own unit with that procedure.
    """

    def dossiers_of(unit: str, procedure: str) -> list[DossierFacts]:
        return counted_by_pair.get((unit, procedure), [])

    def tally(in_denominator: Any, in_numerator: Any) -> Pair:
        numerator = denominator = 0
        for unit, procedure in pairs:
            proc = catalogue[procedure]
            if not in_denominator(proc):
                continue
            denominator += 1
            if in_numerator(proc, dossiers_of(unit, procedure)):
                numerator += 1
        return (numerator, denominator)

    return {
        "FULL": tally(
            lambda p: truthy(p.get("full_online_eligible")),
            lambda p, _d: as_int(p.get("online_level")) == 4,
        ),
        "HAS_ONLINE": tally(
            lambda p: as_int(p.get("online_level")) in (3, 4),
            lambda _p, d: any(f.channel2 for f in d),
        ),
        "PAY_FORMALITIES": tally(
            lambda p: truthy(p.get("has_fee")),
            lambda _p, d: any(f.paid for f in d),
        ),
        "PAY_PROVISION": tally(
            lambda p: truthy(p.get("has_fee")),
            lambda _p, d: any(f.fee_positive for f in d),
        ),
        "CITIZEN_DATA_CONNECTED_FORMALITY": tally(
            # citizen_target: null ⇒ true
            lambda p: is_missing(p.get("citizen_target")) or bool(p.get("citizen_target")),
            lambda _p, d: any(f.citizen_data for f in d),
        ),
    }


# -- petitions -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PetitionFacts:
    unit: str
    counted: bool
    tthc: bool
    staff: bool
    on_time: bool
    satisfied: bool


def petition_facts(
    row: Mapping[str, Any], start: pd.Timestamp, end: pd.Timestamp, reference: pd.Timestamp
) -> PetitionFacts:
    received = as_timestamp(row.get("received_at"))
    due = as_timestamp(row.get("due_at"))
    handled = as_timestamp(row.get("handled_at"))
    status = None if is_missing(row.get("status")) else str(row["status"]).strip().lower()
    category = None if is_missing(row.get("category")) else str(row["category"]).strip().lower()
    # reading: "handled" and "open" are the status values; a rejected petition is neither, so it is never on time;
    # a null due_at (or a handled petition without handled_at) makes the comparison unknown, i.e. not on time.
    handled_in_time = status == "handled" and handled is not None and due is not None and handled <= due
    open_in_time = status == "open" and due is not None and reference <= due
    on_time = handled_in_time or open_in_time
    likes = as_int(row.get("likes"), 0) or 0
    dislikes = as_int(row.get("dislikes"), 0) or 0
    dissatisfied = dislikes > likes
    # reading: "late" is simply "not on time" as defined for PETITION_PROCESSING_ON_TIME
    satisfied = not dissatisfied and on_time and not truthy(row.get("reraised"))
    return PetitionFacts(
        unit=str(row["unit_code"]),
        counted=received is not None and start <= received < end,
        tthc=category == "tthc",
        staff=category == "staff",
        on_time=on_time,
        satisfied=satisfied,
    )


def petition_metrics(facts: list[PetitionFacts]) -> dict[str, Pair]:
    total = len(facts)
    return {
        "PETITION_CLASSIFICATION_TTHC": (count(facts, lambda p: p.tthc), total),
        "PETITION_CLASSIFICATION_STAFF": (count(facts, lambda p: p.staff), total),
        "PETITION_PROCESSING_ON_TIME": (count(facts, lambda p: p.on_time), total),
        "PETITION_HANDLING_SATISFACTION": (count(facts, lambda p: p.satisfied), total),
    }


# -- the reference -------------------------------------------------------------------------------------------------
def reference_counts(
    dossiers: pd.DataFrame,
    procedures: pd.DataFrame | None,
    units: pd.DataFrame,
    petitions: pd.DataFrame | None,
    start: datetime,
    end: datetime,
    as_of: datetime,
    province_official: dict[str, dict[str, tuple[Decimal | None, Decimal | None]]] | None = None,
    rule: str = "portal",
) -> dict[tuple[str, str], Pair]:
    """(numerator, denominator) of every metric for every unit, rolled up over the unit's subtree.

    `dossiers`, `procedures`, `units`, `petitions` are the current rows of the store (one per key); times are UTC.
    The period is [start, end); an unfinished dossier is judged at R = min(end, as_of). `rule` is the on-time rule:
    'portal' (date-time), 'date' (Vietnam calendar dates) or 'session' (same boundary as 'portal').
    """
    if rule not in RULES:
        raise ValueError(f"unknown on-time rule {rule!r}")
    period_start, period_end, now = instant(start), instant(end), instant(as_of)
    reference = min(period_end, now)

    catalogue: dict[str, dict[str, Any]] | None = None
    if procedures is not None:
        catalogue = {}
        for row in records(procedures):
            code = str(row["procedure_code"])
            if code in catalogue:
                raise ValueError(f"procedure {code} listed twice")
            catalogue[code] = row

    dossier_rows = [row for row in records(dossiers) if not is_missing(row.get("unit_code"))]
    has_dossier_data = len(dossier_rows) > 0
    tree = UnitTree(units, (str(row["unit_code"]) for row in dossier_rows))

    all_facts = [dossier_facts(row, catalogue or {}, period_start, period_end, reference, rule) for row in dossier_rows]
    own_dossiers: dict[str, list[DossierFacts]] = {code: [] for code in tree.codes}
    counted_by_unit: dict[str, list[DossierFacts]] = {code: [] for code in tree.codes}
    counted_by_pair: dict[tuple[str, str | None], list[DossierFacts]] = {}
    for facts in all_facts:
        own_dossiers[facts.unit].append(facts)
        if facts.counted:
            counted_by_unit[facts.unit].append(facts)
            counted_by_pair.setdefault((facts.unit, facts.procedure), []).append(facts)

    own_pairs: dict[str, list[tuple[str, str]]] = {}
    if catalogue is not None:
        for code in tree.codes:
            procs = applicable_procedures(code, tree.kind[code], catalogue, own_dossiers[code])
            own_pairs[code] = [(code, p) for p in procs]

    # reading: petitions of units not in `units` (nor in the dossiers) have nowhere to roll up to and are dropped
    petitions_by_unit: dict[str, list[PetitionFacts]] | None = None
    if petitions is not None:
        petitions_by_unit = {}
        for row in records(petitions):
            if is_missing(row.get("unit_code")):
                continue
            petition = petition_facts(row, period_start, period_end, reference)
            if petition.counted:
                petitions_by_unit.setdefault(petition.unit, []).append(petition)

    result: dict[tuple[str, str], Pair] = {}
    for code in tree.codes:
        subtree = tree.subtree(code)
        facts = [f for unit in subtree for f in counted_by_unit[unit]]

        # inherited CKMB catalogue metrics: the province's official figure, not summed.
        # reading: every unit (province, agency, district, commune) takes its province's figure as it is.
        official = (province_official or {}).get(tree.province_of(code))
        for metric in INHERITED_METRICS:
            result[(code, metric)] = NO_DATA if official is None or metric not in official else official[metric]

        # dossier metrics
        if has_dossier_data:
            for metric, pair in dossier_metrics(facts).items():
                result[(code, metric)] = pair
        else:
            for metric in DOSSIER_METRICS:
                result[(code, metric)] = NO_DATA

        # e-certified copies, counted per commune
        communes = [unit for unit in subtree if tree.kind[unit] == "commune"]
        if not communes:
            # reading: structural, so it wins over 'no dossier data at all'
            result[(code, "ELECTRONIC_CERTIFIED_COPY")] = (FULL_SENTINEL, None)
        elif not has_dossier_data or flags_absent(facts, "ELECTRONIC_CERTIFIED_COPY"):
            result[(code, "ELECTRONIC_CERTIFIED_COPY")] = NO_DATA
        else:
            # reading: a commune's "D dossiers" are its own counted dossiers (communes are leaves in practice)
            providing = sum(1 for unit in communes if any(f.e_certified for f in counted_by_unit[unit]))
            result[(code, "ELECTRONIC_CERTIFIED_COPY")] = (providing, len(communes))

        # procedure pairs
        if catalogue is None:
            for metric in PAIR_METRICS:
                result[(code, metric)] = NO_DATA
        else:
            # reading: pair metrics need the catalogue only; with no dossier data at all they are still computed
            # (the numerators that need dossiers are then 0)
            pairs = [pair for unit in subtree for pair in own_pairs[unit]]
            for metric, pair in pair_metrics(pairs, catalogue, counted_by_pair).items():
                result[(code, metric)] = NO_DATA if flags_absent(facts, metric) else pair

        # petitions
        if petitions_by_unit is None:
            for metric in PETITION_METRICS:
                result[(code, metric)] = NO_DATA
        else:
            mine = [p for unit in subtree for p in petitions_by_unit.get(unit, [])]
            result.update({(code, metric): pair for metric, pair in petition_metrics(mine).items()})

    return result
