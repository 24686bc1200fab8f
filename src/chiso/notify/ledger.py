"""Subscriptions and the send ledger, kept in the workspace's store (tables in ``store/tables.py``).

Rows are never updated, as elsewhere in the store:

* a subscription is a series of versions; the newest version of a ``sub_id`` counts, and removing one writes an
  inactive version (so the log can still say who a past send went to);
* a send is a series of steps under one **idempotency key** (event + recipient): ``sending`` is written and
  committed *before* the channel is called, then the result (``sent``, ``failed`` with a retry time,
  ``gave_up``…). The newest step of a key is its state. A key left at ``sending`` means the process stopped
  between the two writes; the runner marks it ``unknown`` and never sends it again on its own (at most once,
  decision 0010).

This module is layer 4 (like ``chiso.accounts``): the only part of ``chiso.notify`` that touches the store.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import ibis

from chiso.workspace import Workspace

# States of a send. FINAL ones are never sent again by the runner.
SENDING, SENT, FAILED, GAVE_UP, UNKNOWN, SKIPPED, REFUSED = (
    "sending", "sent", "failed", "gave_up", "unknown", "skipped", "refused",
)  # fmt: skip
FINAL = frozenset({SENT, GAVE_UP, UNKNOWN, SKIPPED, REFUSED})
STATUS_LABELS = {
    SENDING: "đang gửi",
    SENT: "đã gửi",
    FAILED: "lỗi, sẽ thử lại",
    GAVE_UP: "lỗi, đã thôi thử lại",
    UNKNOWN: "không rõ đã gửi hay chưa",
    SKIPPED: "không có gì để gửi",
    REFUSED: "từ chối (ngoài phạm vi)",
}
_ADVISORY_KEY = 766_015  # PostgreSQL advisory lock held by the one runner at a time
_RUNNER = threading.Lock()  # one runner per process (the web server's scheduler and a request, say)


@dataclass(frozen=True)
class Subscription:
    sub_id: str
    channel: str
    address: str
    unit: str
    jobs: tuple[str, ...]
    source: str = "auto"
    username: str | None = None  # the web user it belongs to; None: the office (every unit)
    label: str = ""
    active: bool = True
    created_at: datetime | None = None
    changed_at: datetime | None = None
    changed_by: str = ""


@dataclass(frozen=True)
class SendStep:
    send_key: str
    event_key: str
    job: str
    unit_code: str
    occurrence: str
    sub_id: str
    channel: str
    recipient: str
    attempt: int
    status: str
    at: datetime
    retry_at: datetime | None = None
    error: str = ""
    detail: str = ""
    reference: str = ""
    summary: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)  # not stored

    def then(self, status: str, at: datetime, **changes: Any) -> SendStep:
        """The next step of the same send."""
        return replace(self, status=status, at=at, **changes)

    @property
    def label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


def _order(step: SendStep) -> tuple[int, int, datetime]:
    """Newest step of a key: highest attempt, then a result after its 'sending', then time."""
    return (step.attempt, 0 if step.status == SENDING else 1, step.at)


class Ledger:
    """Subscriptions, sends and channel secrets over a workspace's store."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._lock = threading.Lock()

    # -- subscriptions -----------------------------------------------------------------------------------
    def _versions(self, sub_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        with self._lock:
            t = self.ws.store.table("notify_subscription")
            if sub_ids is not None:
                t = t.filter(t.sub_id.isin(list(sub_ids)))
            return t.to_pyarrow().to_pylist()

    @staticmethod
    def _subscription(row: dict[str, Any]) -> Subscription:
        return Subscription(
            sub_id=row["sub_id"], channel=row["channel"], address=row["address"], unit=row["unit_code"],
            jobs=tuple(j for j in (row["jobs"] or "").split(",") if j), source=row["source"] or "auto",
            username=row["username"], label=row["label"] or "", active=bool(row["active"]),
            created_at=row["created_at"], changed_at=row["changed_at"], changed_by=row["changed_by"] or "",
        )  # fmt: skip

    def subscriptions(self, *, include_inactive: bool = False) -> list[Subscription]:
        newest: dict[str, dict[str, Any]] = {}
        for row in self._versions():
            held = newest.get(row["sub_id"])
            if held is None or row["changed_at"] >= held["changed_at"]:
                newest[row["sub_id"]] = row
        subs = [self._subscription(r) for r in newest.values()]
        subs.sort(key=lambda s: (s.unit, s.channel, s.created_at or datetime.min.replace(tzinfo=UTC), s.sub_id))
        return [s for s in subs if include_inactive or s.active]

    def subscription(self, sub_id: str) -> Subscription | None:
        rows = self._versions([sub_id])
        return self._subscription(max(rows, key=lambda r: r["changed_at"])) if rows else None

    def save(self, sub: Subscription, *, by: str, at: datetime | None = None) -> Subscription:
        """Write a new version of ``sub`` (a new subscription when its id is new)."""
        moment = at or datetime.now(UTC)
        previous = self.subscription(sub.sub_id)
        created = previous.created_at if previous is not None else (sub.created_at or moment)
        saved = replace(sub, created_at=created, changed_at=moment, changed_by=by)
        row = {
            "sub_id": saved.sub_id, "channel": saved.channel, "address": saved.address, "unit_code": saved.unit,
            "jobs": ",".join(saved.jobs), "source": saved.source, "username": saved.username, "label": saved.label,
            "active": saved.active, "created_at": saved.created_at, "changed_at": saved.changed_at,
            "changed_by": by,
        }  # fmt: skip
        with self._lock, self.ws.store.transaction():
            self.ws.store.insert("notify_subscription", [row])
        return saved

    # -- sends -------------------------------------------------------------------------------------------
    def record(self, step: SendStep) -> SendStep:
        """Write one step, committed before this returns (the 'sending' step must be durable before a send)."""
        row = {k: v for k, v in asdict(step).items() if k != "extra"}
        with self._lock, self.ws.store.transaction():
            self.ws.store.insert("notify_send", [row])
        return step

    def _steps(self, *, keys: Iterable[str] | None = None, since: datetime | None = None,
               statuses: Iterable[str] | None = None, sub_ids: Iterable[str] | None = None,
               limit: int | None = None) -> list[SendStep]:  # fmt: skip
        with self._lock:
            t = self.ws.store.table("notify_send")
            if keys is not None:
                t = t.filter(t.send_key.isin(list(keys)))
            if since is not None:
                t = t.filter(t.at >= since)
            if statuses is not None:
                t = t.filter(t.status.isin(list(statuses)))
            if sub_ids is not None:
                t = t.filter(t.sub_id.isin(list(sub_ids)))
            t = t.order_by([ibis.desc(t.at), ibis.desc(t.attempt)])
            if limit is not None:
                t = t.limit(limit)
            rows = t.to_pyarrow().to_pylist()
        return [SendStep(**{k: ("" if v is None and k in _TEXT else v) for k, v in r.items()}) for r in rows]

    def states(self, keys: Iterable[str]) -> dict[str, SendStep]:
        """The newest step of each key that has one."""
        wanted = list(dict.fromkeys(keys))
        out: dict[str, SendStep] = {}
        for i in range(0, len(wanted), 500):
            for step in self._steps(keys=wanted[i : i + 500]):
                held = out.get(step.send_key)
                if held is None or _order(step) > _order(held):
                    out[step.send_key] = step
        return out

    def open_sends(self, since: datetime) -> list[SendStep]:
        """Sends whose newest step is 'sending' or 'failed', among those touched since ``since``."""
        touched = {s.send_key for s in self._steps(since=since, statuses=(SENDING, FAILED))}
        return sorted(
            (s for s in self.states(touched).values() if s.status in (SENDING, FAILED)),
            key=lambda s: (s.at, s.send_key),
        )

    def log(self, *, limit: int = 50, status: str | None = None, sub_ids: Iterable[str] | None = None
            ) -> list[SendStep]:  # fmt: skip
        """The newest steps, newest first (every step, so that a retried send shows its history)."""
        return self._steps(statuses=[status] if status else None, sub_ids=sub_ids, limit=limit)

    # -- secrets (rotated channel tokens) ------------------------------------------------------------------
    def secret(self, name: str) -> str | None:
        with self._lock:
            t = self.ws.store.table("notify_secret")
            rows = t.filter(t.name == name).order_by(ibis.desc(t.created_at)).limit(1).to_pyarrow().to_pylist()
        return rows[0]["value"] if rows else None

    def set_secret(self, name: str, value: str, at: datetime | None = None) -> None:
        row = {"name": name, "value": value, "created_at": at or datetime.now(UTC)}
        with self._lock, self.ws.store.transaction():
            self.ws.store.insert("notify_secret", [row])

    # -- one runner at a time ------------------------------------------------------------------------------
    @contextmanager
    def exclusive(self) -> Iterator[bool]:
        """True when this caller is the only runner (in this process, and on PostgreSQL across processes).

        A DuckDB file is opened by one process at a time, so the process lock is enough there; on PostgreSQL a
        session advisory lock keeps a cron ``run-due`` and a ``serve`` from sending the same event together.
        """
        if not _RUNNER.acquire(blocking=False):
            yield False
            return
        try:
            store = self.ws.store
            if store.backend != "postgres":
                yield True
                return
            got = _advisory(store.con, "pg_try_advisory_lock")
            try:
                yield got
            finally:
                if got:
                    _advisory(store.con, "pg_advisory_unlock")
        finally:
            _RUNNER.release()


_TEXT = ("error", "detail", "reference", "summary", "recipient", "unit_code", "occurrence", "sub_id")


def _advisory(con: Any, function: str) -> bool:
    cursor = con.raw_sql(f"SELECT {function}({_ADVISORY_KEY})")  # a constant statement, nothing from data
    try:
        return bool(cursor.fetchone()[0])
    finally:
        cursor.close()
