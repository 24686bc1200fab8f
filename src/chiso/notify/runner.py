"""Run what is due: every job kind's occurrences in its grace window, to every subscription that asked for it,
each send recorded in the ledger before and after the channel is called, failures retried with backoff.

``Notifier.run_due(now)`` is the whole scheduler: ``chiso notify run-due`` calls it once (cron), ``chiso serve``
calls it every minute from a background thread (``Scheduler``). Its state is the ledger alone, so a restart
asks the same question again and finds the sends already made. Delivery is **at most once** (decision 0010):

1. the step ``sending`` is committed, then the channel is called, then the result is committed;
2. a key found at ``sending`` when a run starts was interrupted between the two writes: it is marked
   ``unknown`` and not sent again by itself (``chiso notify retry KEY`` sends it when a person decides to);
3. a failure that surely did not deliver (connection refused, HTTP 5xx or 429, SMTP 4xx) is retried after
   1, 5, 15, 60 minutes (``[retry]``), then given up; a failure that may have delivered is ``unknown``.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from chiso.accounts import Accounts
from chiso.errors import ChisoError
from chiso.notify import content
from chiso.notify.channels import Channel, DeliveryError, channel_class, make_channels
from chiso.notify.channels.base import Clock, utc_now
from chiso.notify.config import NotifyConfig, load_notify_config
from chiso.notify.jobs import JOBS, ActionJob, Job, MessageJob, parse_jobs
from chiso.notify.ledger import (
    FAILED,
    GAVE_UP,
    REFUSED,
    SENDING,
    SENT,
    SKIPPED,
    UNKNOWN,
    Ledger,
    SendStep,
    Subscription,
)
from chiso.notify.message import Message, NothingToSendError
from chiso.notify.redact import redact
from chiso.notify.schedule import Occurrence
from chiso.notify.scope import refusal
from chiso.workspace import Workspace

log = logging.getLogger("chiso.notify")
SOURCES = ("auto", "official", "local")
RECOVER_DAYS = 7  # how far back interrupted or failed sends are looked for


def default_data_dir(ws: Workspace) -> Path:
    """``chiso-web`` beside the store, as ``chiso serve`` uses it: letter drafts appear on its letters page."""
    target = ws.settings.db
    return Path("chiso-web").resolve() if "://" in target else Path(target).resolve().parent / "chiso-web"


def send_key(event_key: str, channel: str, address: str) -> str:
    """The idempotency key of one event to one recipient (the address hashed: it may hold a secret)."""
    return f"{event_key}#{hashlib.sha256(f'{channel}:{address}'.encode()).hexdigest()[:12]}"


@dataclass
class RunReport:
    steps: list[SendStep] = field(default_factory=list)  # the results written by this run
    notes: list[str] = field(default_factory=list)
    busy: bool = False  # another runner held the lock: nothing was done

    def of(self, *statuses: str) -> list[SendStep]:
        return [s for s in self.steps if s.status in statuses]

    @property
    def failed(self) -> bool:
        return any(s.status in (FAILED, GAVE_UP, UNKNOWN) for s in self.steps)


class Notifier:
    """Subscriptions, test sends and due jobs over one workspace."""

    def __init__(
        self,
        ws: Workspace,
        config: NotifyConfig | None = None,
        *,
        channels: dict[str, Channel] | None = None,
        clock: Clock = utc_now,
        data_dir: Path | str | None = None,
    ) -> None:
        self.ws = ws
        self.config = config or load_notify_config()
        self.ledger = Ledger(ws)
        self.accounts = Accounts(ws)
        self.clock = clock
        self.channels = channels or make_channels(self.config, self.ledger, clock)
        root = data_dir or self.config.data_dir or default_data_dir(ws)
        self.letters_root = Path(root) / "letters"

    # -- subscriptions -------------------------------------------------------------------------------------
    def add(self, *, channel: str, address: str, unit: str, jobs: str | tuple[str, ...], source: str = "auto",
            username: str | None = None, label: str = "", by: str = "cli") -> Subscription:  # fmt: skip
        """A new subscription, checked: channel, address, unit, job kinds, source and the user's scope."""
        cls = channel_class(channel)
        if source not in SOURCES:
            raise ChisoError(f"Nguồn số liệu không hợp lệ: {source}", hint="Chọn auto, official hoặc local.")
        info = self.ws.find_unit(unit.strip())
        name = username.strip().lower() if username else None
        if name is not None and self.accounts.get(name) is None:
            raise ChisoError(f"Không có người dùng đang hoạt động tên {username}", hint="Xem: chiso user list")
        reason = refusal(self.ws, self.accounts, name, info.code)
        if reason:
            raise ChisoError(f"Không đăng ký được: {reason}",
                             hint="Người dùng xem theo đơn vị chỉ nhận tin về đơn vị mình và đơn vị trực thuộc.")
        sub = Subscription(
            sub_id=secrets.token_hex(4), channel=cls.name, address=cls.normalise(address), unit=info.code,
            jobs=parse_jobs(jobs) if isinstance(jobs, str) else parse_jobs(",".join(jobs)), source=source,
            username=name, label=label.strip(),
        )  # fmt: skip
        return self.ledger.save(sub, by=by, at=self.clock())

    def remove(self, sub_id: str, *, by: str = "cli") -> Subscription:
        sub = self.ledger.subscription(sub_id.strip())
        if sub is None or not sub.active:
            raise ChisoError(f"Không có đăng ký nhận tin mã {sub_id}", hint="Xem danh sách: chiso notify list")
        return self.ledger.save(Subscription(**{**sub.__dict__, "active": False}), by=by, at=self.clock())

    def subscriptions(self, *, include_inactive: bool = False) -> list[Subscription]:
        return self.ledger.subscriptions(include_inactive=include_inactive)

    # -- test ----------------------------------------------------------------------------------------------
    def test(self, channel: str, address: str, *, by: str = "cli", sub: Subscription | None = None
             ) -> tuple[SendStep, DeliveryError | None]:  # fmt: skip
        """Send a test message now (to ``sub``'s recipient when given); the result is recorded like any send and
        returned with its error."""
        cls = channel_class(channel)
        target = cls.normalise(address)
        now = self.clock()
        message = content.test(cls.label, now)
        key = f"test:{now:%Y%m%dT%H%M%S}:{secrets.token_hex(4)}"
        step = SendStep(send_key=key, event_key=f"test::{now.isoformat()}", job="test",
                        unit_code=sub.unit if sub else "", occurrence=now.isoformat(), sub_id=sub.sub_id if sub else "",
                        channel=cls.name, recipient=cls.display(target),
                        attempt=1, status=SENDING, at=now, summary=message.title, detail=f"by {by}")  # fmt: skip
        self.ledger.record(step)
        try:
            delivery = self.channels[cls.name].send(target, message, key)
        except DeliveryError as exc:
            status = UNKNOWN if exc.maybe_delivered else GAVE_UP
            result = step.then(status, self.clock(), error=exc.message, detail=exc.detail or "")
            return self.ledger.record(result), exc
        result = step.then(SENT, self.clock(), reference=delivery.reference, error=delivery.note)
        return self.ledger.record(result), None

    # -- the scheduler -------------------------------------------------------------------------------------
    def run_due(self, now: datetime | None = None) -> RunReport:
        """Send everything due at ``now`` (default: the clock) that was not sent yet; retry what failed."""
        moment = now or self.clock()
        report = RunReport()
        with self.ledger.exclusive() as mine:
            if not mine:
                report.busy = True
                report.notes.append("Một tiến trình khác của chiso đang gửi thông báo; lần chạy này bỏ qua.")
                return report
            run = _Run(self, moment, report)
            run.recover()
            run.retry_failed()
            run.due()
        return report

    def retry(self, key: str) -> SendStep:
        """Send again, on a person's decision, a send that is unknown, given up or failed."""
        with self.ledger.exclusive() as mine:
            if not mine:
                raise ChisoError("Một tiến trình khác của chiso đang gửi thông báo; hãy thử lại sau ít phút.")
            state = self.ledger.states([key.strip()]).get(key.strip())
            if state is None:
                raise ChisoError(f"Không có lần gửi mã {key}", hint="Xem mã ở cột đầu của: chiso notify log")
            if state.status not in (UNKNOWN, GAVE_UP, FAILED):
                raise ChisoError(f"Lần gửi {key} đang ở trạng thái '{state.label}': không gửi lại")
            report = RunReport()
            _Run(self, self.clock(), report, manual=True).again(state)
            return report.steps[-1]

    def log(self, *, limit: int = 50, status: str | None = None, username: str | None = None) -> list[SendStep]:
        """The newest send steps; for a user, only those of their own subscriptions."""
        subs = None
        if username is not None:
            subs = [s.sub_id for s in self.subscriptions(include_inactive=True) if s.username == username]
        return self.ledger.log(limit=limit, status=status, sub_ids=subs)


class _Run:
    """One pass of the scheduler at one moment (content is built once per unit and occurrence)."""

    def __init__(self, notifier: Notifier, now: datetime, report: RunReport, *, manual: bool = False) -> None:
        self.n = notifier
        self.now = now
        self.report = report
        self.manual = manual
        self.ctx = content.ContentContext(notifier.ws, notifier.config, now, notifier.letters_root)
        self.cache: dict[tuple[str, str, str, str], Message | Exception] = {}
        self.handled: set[str] = set()

    # -- passes ---------------------------------------------------------------------------------------------
    def recover(self) -> None:
        """Sends interrupted between 'sending' and their result (the process stopped)."""
        for step in self.n.ledger.open_sends(self.now - timedelta(days=RECOVER_DAYS)):
            if step.status != SENDING or step.job == "test":
                continue
            job = JOBS.get(step.job)
            if isinstance(job, ActionJob) and job.at_least_once:
                self._write(step.then(FAILED, self.now, retry_at=self.now,
                                      error="chiso dừng giữa lúc chạy; sẽ chạy lại"))  # fmt: skip
            else:
                self._write(step.then(
                    UNKNOWN, self.now,
                    error="chiso dừng giữa lúc gửi: không rõ tin đã đi hay chưa; không tự gửi lại để tránh gửi trùng "
                    f"(gửi lại: chiso notify retry {step.send_key})",
                ))  # fmt: skip

    def retry_failed(self) -> None:
        for step in self.n.ledger.open_sends(self.now - timedelta(days=RECOVER_DAYS)):
            if step.status == FAILED and step.retry_at is not None and step.retry_at <= self.now:
                self.again(step)

    def due(self) -> None:
        calendar = self.n.ws.calendar()
        subs = self.n.subscriptions()
        for job in JOBS.values():
            schedule = job.schedule(self.n.config)
            if schedule is None:
                continue
            for occurrence in schedule.occurrences(job.name, self.now - job.grace, self.now, calendar):
                if isinstance(job, MessageJob):
                    self._message_occurrence(job, occurrence, subs)
                elif isinstance(job, ActionJob):
                    self._action_occurrence(job, occurrence)

    # -- one occurrence -------------------------------------------------------------------------------------
    def _message_occurrence(self, job: MessageJob, occurrence: Occurrence, subs: list[Subscription]) -> None:
        wanted = [s for s in subs if job.name in s.jobs and (s.created_at is None or s.created_at <= occurrence.due_at)]
        keyed = {self._key(job.name, s, occurrence.key): s for s in wanted}
        states = self.n.ledger.states(keyed)
        for key, sub in keyed.items():
            if key in states or key in self.handled:
                continue
            self._deliver(self._first_step(job.name, sub, occurrence.key, key), sub)

    def _action_occurrence(self, job: ActionJob, occurrence: Occurrence) -> None:
        key = f"{job.name}::{occurrence.key}"
        if key in self.handled or self.n.ledger.states([key]):
            return
        step = SendStep(send_key=key, event_key=key, job=job.name, unit_code="", occurrence=occurrence.key,
                        sub_id="", channel="job", recipient="", attempt=1, status=SENDING, at=self.now,
                        summary=job.label)  # fmt: skip
        self._act(job, step)

    def again(self, state: SendStep) -> None:
        """The next attempt of a send (a retry after a failure, or a person's decision)."""
        job = JOBS.get(state.job)
        nxt = state.then(SENDING, self.now, attempt=state.attempt + 1, retry_at=None, error="", detail="",
                         reference="")  # fmt: skip
        if isinstance(job, ActionJob):
            self._act(job, nxt)
            return
        sub = self.n.ledger.subscription(state.sub_id)
        if not isinstance(job, MessageJob) or sub is None or not sub.active:
            self._write(state.then(GAVE_UP, self.now, error="đăng ký nhận tin hoặc loại tin đã bị hủy"))
            return
        self._deliver(nxt, sub)

    # -- steps ----------------------------------------------------------------------------------------------
    def _key(self, job: str, sub: Subscription, occurrence: str) -> str:
        return send_key(f"{job}:{sub.unit}:{occurrence}", sub.channel, sub.address)

    def _first_step(self, job: str, sub: Subscription, occurrence: str, key: str) -> SendStep:
        return SendStep(send_key=key, event_key=f"{job}:{sub.unit}:{occurrence}", job=job, unit_code=sub.unit,
                        occurrence=occurrence, sub_id=sub.sub_id, channel=sub.channel,
                        recipient=channel_class(sub.channel).display(sub.address), attempt=1, status=SENDING,
                        at=self.now)  # fmt: skip

    def _write(self, step: SendStep) -> SendStep:
        self.n.ledger.record(step)
        self.handled.add(step.send_key)
        if step.status != SENDING:
            self.report.steps.append(step)
        return step

    def _message(self, job: MessageJob, sub: Subscription, occurrence: str) -> Message:
        cache_key = (job.name, sub.unit, sub.source, occurrence)
        if cache_key not in self.cache:
            try:
                self.cache[cache_key] = job.build(self.ctx, sub.unit, sub.source, occurrence)
            except ChisoError as exc:
                self.cache[cache_key] = exc
        found = self.cache[cache_key]
        if isinstance(found, Exception):
            raise found
        return found

    def _deliver(self, step: SendStep, sub: Subscription) -> None:
        job = JOBS[step.job]
        assert isinstance(job, MessageJob)
        reason = refusal(self.n.ws, self.n.accounts, sub.username, sub.unit)
        if reason:
            self._write(step.then(REFUSED, self.now, error=f"Không gửi: {reason}"))
            return
        try:
            message = self._message(job, sub, step.occurrence)
        except NothingToSendError as exc:
            self._write(step.then(SKIPPED, self.now, error=exc.message))
            return
        except content.MISSING as exc:
            self._write(step.then(SKIPPED, self.now, error=exc.message, detail=redact(exc.detail)))
            return
        except ChisoError as exc:
            self._fail(step, exc.message, redact(exc.detail), retryable=True)
            return
        self._write(step.then(SENDING, self.now, summary=message.title))
        try:
            delivery = self.n.channels[sub.channel].send(sub.address, message, step.send_key)
        except DeliveryError as exc:
            if exc.maybe_delivered:
                self._write(step.then(UNKNOWN, self.n.clock(), summary=message.title, error=exc.message,
                                      detail=exc.detail or ""))  # fmt: skip
            else:
                self._fail(step.then(step.status, step.at, summary=message.title), exc.message, exc.detail or "",
                           retryable=exc.retryable, wait=exc.retry_after)  # fmt: skip
            return
        except Exception as exc:  # a bug after the call started: it may have gone out, so never resend it
            log.error("Lỗi không mong muốn khi gửi %s: %s", step.send_key, type(exc).__name__)
            self._write(step.then(UNKNOWN, self.n.clock(), summary=message.title, detail=type(exc).__name__,
                                  error="lỗi không mong muốn trong chiso khi gửi"))  # fmt: skip
            return
        self._write(step.then(SENT, self.n.clock(), summary=message.title, reference=delivery.reference,
                              error=delivery.note))  # fmt: skip

    def _act(self, job: ActionJob, step: SendStep) -> None:
        self._write(step)
        try:
            summary = job.action(self.n.ws, self.n.config, step.occurrence)
        except ChisoError as exc:
            self._fail(step, exc.message, redact(exc.detail), retryable=True)
            return
        except Exception as exc:
            log.error("Lỗi không mong muốn khi chạy %s: %s", job.name, type(exc).__name__)
            self._fail(step, "lỗi không mong muốn trong chiso", type(exc).__name__, retryable=True)
            return
        self._write(step.then(SENT, self.n.clock(), summary=summary or job.label))

    def _fail(self, step: SendStep, error: str, detail: str, *, retryable: bool, wait: float | None = None) -> None:
        retry = self.n.config.retry
        if retryable and step.attempt < retry.attempts and not self.manual:
            backoff = retry.backoff_minutes[min(step.attempt - 1, len(retry.backoff_minutes) - 1)]
            at = self.now + timedelta(seconds=wait if wait is not None else backoff * 60)
            self._write(step.then(FAILED, self.n.clock(), retry_at=at, error=error, detail=detail))
        else:
            self._write(step.then(GAVE_UP, self.n.clock(), error=error, detail=detail))


class Scheduler:
    """``run_due`` every ``interval`` seconds on a background thread of ``chiso serve``.

    The thread opens its own workspace on the store, re-reads the notification settings before each run (a
    changed token applies without a restart), and never lets an error stop it: errors are logged without
    secrets and the next run tries again.
    """

    def __init__(
        self,
        db: str | None,
        *,
        interval: float = 60.0,
        clock: Clock = utc_now,
        data_dir: Path | str | None = None,
        config: Callable[[], NotifyConfig] = load_notify_config,
        after_run: Callable[[RunReport | None], None] | None = None,
    ) -> None:
        self.db = db
        self.interval = interval
        self.clock = clock
        self.data_dir = data_dir
        self.config = config
        self.after_run = after_run
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ws: Workspace | None = None

    def run_once(self) -> RunReport | None:
        try:
            if self._ws is None:
                self._ws = Workspace(db=self.db)
            notifier = Notifier(self._ws, self.config(), clock=self.clock, data_dir=self.data_dir)
            report = notifier.run_due(self.clock())
            for step in report.steps:
                if step.status in (FAILED, GAVE_UP, UNKNOWN):
                    log.warning("Thông báo %s tới %s (%s): %s", step.send_key, step.recipient, step.label,
                                step.error)  # fmt: skip
            return report
        except ChisoError as exc:
            log.warning("Không chạy được lịch gửi thông báo: %s", redact(exc.message))
        except Exception as exc:  # keep the thread alive; the next run tries again
            log.error("Lỗi không mong muốn trong lịch gửi thông báo: %s", type(exc).__name__)
        return None

    def _loop(self) -> None:
        while not self._stop.is_set():
            report = self.run_once()
            if self.after_run is not None:
                self.after_run(report)
            self._stop.wait(self.interval)
        if self._ws is not None:
            self._ws.close()
            self._ws = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="chiso-notify", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


def jobs_summary(config: NotifyConfig) -> list[tuple[Job, str]]:
    """Each job kind with its schedule in words (for ``chiso notify list`` and the web page)."""
    out = []
    for job in JOBS.values():
        schedule = job.schedule(config)
        if schedule is None:
            out.append((job, "tắt"))
            continue
        at = getattr(schedule, "at", None)
        when = f"{at:%H:%M}" if at is not None else ""
        if getattr(schedule, "working_days_only", False):
            out.append((job, f"{when} mỗi ngày làm việc"))
        elif hasattr(schedule, "day"):
            out.append((job, f"{when} ngày làm việc đầu tiên từ ngày {schedule.day} hằng tháng (cho tháng trước)"))
        else:
            out.append((job, f"{when} hằng ngày"))
    return out
