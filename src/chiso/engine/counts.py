"""Numerators and denominators of every metric per unit for one window (docs/local-metrics.md).

Three aggregate queries run in the store (DuckDB or PostgreSQL, through Ibis): one over the flagged dossiers
per unit, one over (unit, procedure) pairs, one over petitions. They return one small row per unit; the
roll-up to parents (a district = its offices + its communes) is a sum over the unit tree, done here in Python
on those few thousand rows. Everything is a count, so the roll-up is exact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import ibis
import ibis.expr.types as ir

from chiso.domain.unittree import UnitTree
from chiso.engine.predicates import Window, flagged, lit

# Sums over counted dossiers, per unit: name -> expression builder over the flagged table.
DOSSIER_SUMS = (
    "n", "synced", "known_synced", "on_time", "completed", "completed_seconds", "online", "channel2",
    "channel2_on_time", "fee_bearing", "paid", "known_paid", "drs_ok", "paper", "paper_e_result", "known_e_result",
    "digitised_ok", "known_digitised", "reused", "known_reused", "personal_store", "known_personal_store",
    "citizen_data", "known_citizen_data", "certified", "e_certified_copies", "known_certified", "e_certified_any",
    "known_e_certified",
)  # fmt: skip
PAIR_SUMS = ("pairs", "full_den", "full_num", "ho_den", "ho_num", "fee_den", "payf_num", "payp_num", "cit_den",
             "cit_num")  # fmt: skip
PETITION_SUMS = ("p_n", "p_tthc", "p_staff", "p_on_time", "p_satisfied")


def _n(flag: ir.BooleanValue) -> ir.IntegerScalar:
    """How many rows have ``flag`` true (NULL counts as false). Portable: PostgreSQL has no boolean → bigint cast."""
    return flag.sum()


def dossier_sums(f: ir.Table) -> ir.Table:
    """One row per unit_code with the sums of DOSSIER_SUMS over its counted dossiers.

    The filter on counted dossiers runs first, so every sum below reads only the period's rows.
    """
    c = f.filter(f.counted)
    return c.group_by("unit_code").aggregate(
        n=c.count(),
        synced=_n(c.synced.fill_null(False)),
        known_synced=c.synced.count(),
        on_time=_n(c.on_time),
        completed=_n(c.completed),
        completed_seconds=ibis.ifelse(c.completed, c.end_s - c.received_s, 0).sum(),
        online=_n(c.online),
        channel2=_n(c.channel2),
        channel2_on_time=_n(c.channel2 & c.on_time),
        fee_bearing=_n(c.fee_bearing),
        paid=_n(c.paid),
        known_paid=c.paid_online.count(),
        drs_ok=_n(c.on_time & ~c.dissatisfied.fill_null(False)),
        paper=_n(c.paper),
        paper_e_result=_n(c.paper & c.e_result_ok),
        known_e_result=c.e_result.count(),
        digitised_ok=_n(c.digitised_ok),
        known_digitised=c.digitised.count(),
        reused=_n(c.reused.fill_null(False)),
        known_reused=c.reused.count(),
        personal_store=_n(c.personal_store),
        known_personal_store=_n(c.known_personal_store),
        citizen_data=_n(c.citizen_data),
        known_citizen_data=_n(c.known_citizen_data),
        certified=_n(c.certified_copy.fill_null(False)),
        e_certified_copies=_n(c.e_certified_copy),
        known_certified=c.certified_copy.count(),
        e_certified_any=_n(c.e_certified.fill_null(False)),
        known_e_certified=c.e_certified.count(),
    )


def units_with_dossiers(seen_pairs: ir.Table) -> ir.Table:
    """Units that have dossiers in the store, in any period (they are listed; the others have no data).

    ``seen_pairs`` is the ``dossier_pair`` table: (unit, procedure) pairs with their dossier count.
    """
    return seen_pairs.group_by("unit_code").aggregate(any_ever=seen_pairs.dossiers.sum())


def applicable_pairs(
    seen_pairs: ir.Table, procedures: ir.Table, communes: ir.Table, window: Window, commune_codes: list[str]
) -> ir.Table:
    """(unit_code, procedure_code) a unit offers: commune ⇒ catalogue level xã; others ⇒ procedures handled.

    ``communes``: one code per commune (``unit_code``); ``commune_codes``: every code of a commune. A procedure is
    handled by a unit when one of its dossiers was received before the end of the window.
    """
    commune_procs = procedures.filter(procedures.levels.contains("xa")).select("procedure_code")
    by_level = communes.select("unit_code").cross_join(commune_procs)
    seen = seen_pairs.filter(seen_pairs.first_received_at.notnull() & (seen_pairs.first_received_at < lit(window.end)))
    if commune_codes:
        seen = seen.filter(~seen.unit_code.isin(commune_codes))
    observed = seen.select("unit_code", "procedure_code")
    observed = observed.semi_join(procedures, observed.procedure_code == procedures.procedure_code)
    return by_level.union(observed, distinct=True)


def pair_sums(f: ir.Table, pairs: ir.Table, procedures: ir.Table) -> ir.Table:
    """One row per unit_code with the sums of PAIR_SUMS."""
    c = f.filter(f.counted)
    activity = c.group_by(["unit_code", "procedure_code"]).aggregate(
        a_online=c.channel2.any(),
        a_paid=c.paid.any(),
        a_fee=c.fee_synced.any(),
        a_citizen=c.citizen_data.any(),
    )
    p = procedures.select(
        "procedure_code", "full_online_eligible", "online_level", "has_fee", "citizen_target"
    )
    j = pairs.join(p, "procedure_code").left_join(
        activity,
        [pairs.unit_code == activity.unit_code, pairs.procedure_code == activity.procedure_code],
    )
    j = j.select(
        unit_code=pairs.unit_code,
        full=j.full_online_eligible.fill_null(False),
        level4=j.online_level == 4,
        online_service=j.online_level.isin([3, 4]).fill_null(False),
        fee=j.has_fee.fill_null(False),
        citizen=j.citizen_target.fill_null(True),
        a_online=j.a_online.fill_null(False),
        a_paid=j.a_paid.fill_null(False),
        a_fee=j.a_fee.fill_null(False),
        a_citizen=j.a_citizen.fill_null(False),
    )
    return j.group_by("unit_code").aggregate(
        pairs=j.count(),
        full_den=_n(j.full),
        full_num=_n(j.full & j.level4.fill_null(False)),
        ho_den=_n(j.online_service),
        ho_num=_n(j.online_service & j.a_online),
        fee_den=_n(j.fee),
        payf_num=_n(j.fee & j.a_paid),
        payp_num=_n(j.fee & j.a_fee),
        cit_den=_n(j.citizen),
        cit_num=_n(j.citizen & j.a_citizen),
    )


def petition_sums(petitions: ir.Table, window: Window) -> ir.Table:
    t = petitions
    inside = t.received_at.notnull() & (t.received_at >= lit(window.start)) & (t.received_at < lit(window.end))
    t = t.filter(inside)
    ref = lit(window.ref)
    # status decides handled / open; a rejected petition is neither (docs/local-metrics.md, literal reading)
    handled = (t.status == "handled") & t.handled_at.notnull() & (t.handled_at <= ref)
    still_open = (t.status == "open") | ((t.status == "handled") & ~handled)
    on_time = (
        (handled & (t.handled_at <= t.due_at)) | (still_open.fill_null(False) & (ref <= t.due_at))
    ).fill_null(False)
    unhappy = (t.dislikes.fill_null(0) > t.likes.fill_null(0)) | t.reraised.fill_null(False)
    return t.group_by("unit_code").aggregate(
        p_n=t.count(),
        p_tthc=_n(t.category == "tthc"),
        p_staff=_n(t.category == "staff"),
        p_on_time=_n(on_time),
        p_satisfied=_n(on_time & ~unhappy),
    )


@dataclass
class UnitCounts:
    """Summed counts of one unit's subtree, and what is known of it."""

    values: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    has_dossiers: bool = False  # the subtree has dossiers in the store (any period)
    has_pairs: bool = False
    communes: int = 0  # communes in the subtree (including itself)

    def __getitem__(self, key: str) -> int:
        return int(self.values.get(key, 0))


def roll_up(tree: UnitTree, leaf_rows: Iterable[Mapping[str, object]], keys: Iterable[str],
            into: dict[str, UnitCounts], marker: str | None = None) -> None:  # fmt: skip
    """Add each unit's own sums to itself and every ancestor the one-stop data know (by main code)."""
    keys = tuple(keys)
    for row in leaf_rows:
        for target in tree.local_chain(str(row["unit_code"])):
            counts = into.setdefault(target.code, UnitCounts())
            for k in keys:
                counts.values[k] += int(row.get(k) or 0)  # type: ignore[call-overload]
            if marker == "dossiers" and int(row.get("any_ever") or 0) > 0:  # type: ignore[call-overload]
                counts.has_dossiers = True
            if marker == "pairs":
                counts.has_pairs = True


def avg_days(seconds: int, completed: int) -> Decimal | None:
    if completed == 0:
        return None
    return (Decimal(seconds) / Decimal(86400) / Decimal(completed)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def online_numerator(online: int, synced: int, received: int, sync_known: bool) -> Fraction:
    if received == 0:
        return Fraction(0)
    if not sync_known:
        return Fraction(online)
    return Fraction(online * synced, received)


def run_queries(
    dossiers: ir.Table,
    seen_pairs: ir.Table,
    procedures: ir.Table | None,
    communes: ir.Table,
    commune_codes: list[str],
    petitions: ir.Table | None,
    window: Window,
    rule: str,
) -> tuple[list[dict], list[dict], list[dict]]:
    """Execute the three aggregates; returns (dossier rows, pair rows, petition rows) per unit.

    ``dossiers`` and ``seen_pairs`` are the ``dossier`` and ``dossier_pair`` tables (ingest/current.py).
    """
    f = flagged(dossiers, window, rule)
    sums = {r["unit_code"]: r for r in dossier_sums(f).to_pyarrow().to_pylist()}
    d_rows = []
    for r in units_with_dossiers(seen_pairs).to_pyarrow().to_pylist():
        row = sums.get(r["unit_code"]) or {"unit_code": r["unit_code"]}
        d_rows.append({**row, "any_ever": r["any_ever"]})
    p_rows: list[dict] = []
    if procedures is not None:
        pairs = applicable_pairs(seen_pairs, procedures, communes, window, commune_codes)
        p_rows = pair_sums(f, pairs, procedures).to_pyarrow().to_pylist()
    t_rows = petition_sums(petitions, window).to_pyarrow().to_pylist() if petitions is not None else []
    return d_rows, p_rows, t_rows

