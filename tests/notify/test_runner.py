"""The scheduler on a frozen clock: what is due, to whom, recorded how; retries; no duplicate after a restart."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chiso.accounts import Accounts
from chiso.domain.times import VN_TZ
from chiso.errors import ChisoError
from chiso.notify import jobs
from chiso.notify.channels import Channel, Delivery
from chiso.notify.ledger import FAILED, GAVE_UP, REFUSED, SENDING, SENT, SKIPPED, UNKNOWN, Ledger
from chiso.notify.message import Message
from chiso.notify.runner import Notifier
from chiso.workspace import Workspace
from tests.notify.fakes import Providers, SmtpServer
from tests.notify.support import APPLICANT, ID_NUMBER, MONDAY, PHONE, FrozenClock, notifier, notify_config
from tests.web_support import PASSWORD, login, make_client

CHAT = "123456789"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(MONDAY)


@pytest.fixture
def setup(notify_copy: Path, fake_url: str, tmp_path: Path, clock: FrozenClock):  # type: ignore[no-untyped-def]
    config = notify_config(fake_url, tmp_path)
    n = notifier(notify_copy, config, clock)
    yield n, config
    n.ws.close()


@pytest.fixture
def echo():  # type: ignore[no-untyped-def]
    """A cheap message job at 07:30 (the real briefs take seconds to build): for the scheduling mechanics."""

    def build(ctx, unit, source, occurrence):  # type: ignore[no-untyped-def]
        return Message(job="echo", title=f"echo {occurrence}", text=f"{unit} {occurrence}", unit=unit)

    jobs.register(jobs.MessageJob("echo", "tin thử theo lịch", timedelta(hours=12), jobs.daily("echo", "07:30"), build))
    yield "echo"
    jobs.JOBS.pop("echo")


def add(n: Notifier, clock: FrozenClock, **kw: object):  # type: ignore[no-untyped-def]
    """A subscription made the Friday before, so that Monday's occurrences apply to it."""
    saved = clock.now
    clock.set(MONDAY - timedelta(days=3))
    try:
        values = {"channel": "telegram", "address": CHAT, "unit": "H21.227", "jobs": "brief"} | kw
        return n.add(**values)  # type: ignore[arg-type]
    finally:
        clock.set(saved)


def texts(providers: Providers, service: str = "telegram") -> list[str]:
    return [r.json["text"] for r in providers.of(service) if r.json and "text" in r.json]


# -- what is due -----------------------------------------------------------------------------------------------------
def test_the_morning_brief_goes_once_and_not_again_after_a_restart(setup, providers, clock, notify_copy):
    n, config = setup
    add(n, clock)
    first = n.run_due()
    assert [s.status for s in first.steps] == [SENT]
    [text] = texts(providers)
    assert text.startswith("BỘ CHỈ SỐ PHỤC VỤ NGƯỜI DÂN, DOANH NGHIỆP — năm 2026")
    assert "UBND xã Vân Canh: 75,34/100 điểm" in text and "Số liệu tính đến" in text
    assert text.endswith("Xem chi tiết: https://chiso.example.gov.vn/units/H21.227")
    assert n.run_due(MONDAY + timedelta(minutes=5)).steps == []  # same process, later
    n.ws.close()
    again = notifier(notify_copy, config, clock)  # a restarted process
    assert again.run_due(MONDAY + timedelta(hours=2)).steps == []
    again.ws.close()
    assert len(providers.of("telegram")) == 1
    [step] = Ledger(Workspace(db=notify_copy)).log(status=SENT)
    assert (step.job, step.unit_code, step.occurrence, step.recipient) == ("brief", "H21.227", "2026-10-12", CHAT)


def test_nothing_before_its_time_and_nothing_older_than_the_grace(echo, setup, providers, clock):
    n, _ = setup
    add(n, clock, jobs=echo)
    assert n.run_due(MONDAY.replace(hour=0, minute=29)).steps == []  # 07:29 in Vietnam
    # the server was down all Monday and starts on Tuesday at 07:00: Monday's brief is not sent a day late
    assert n.run_due(MONDAY + timedelta(hours=23, minutes=10)).steps == []
    assert providers.of("telegram") == []
    # Tuesday 07:31: Tuesday's brief goes
    assert [s.occurrence for s in n.run_due(MONDAY + timedelta(hours=23, minutes=41)).steps] == ["2026-10-13"]


def test_a_new_subscription_does_not_receive_what_was_due_before_it(echo, setup, providers, clock):
    n, _ = setup
    n.add(channel="telegram", address=CHAT, unit="H21.227", jobs=echo)  # made at 07:50, after 07:30
    assert n.run_due().steps == []
    assert [s.occurrence for s in n.run_due(MONDAY + timedelta(days=1)).steps] == ["2026-10-13"]


def test_alerts_each_working_morning_only(setup, providers, clock):
    n, _ = setup
    add(n, clock, jobs="alerts", unit="H21")
    [step] = n.run_due().steps
    assert step.status == SENT and step.job == "alerts"
    [text] = texts(providers)
    assert text.startswith("HỒ SƠ CẦN XỬ LÝ — UBND tỉnh Gia Lai")
    assert "Quá hạn: 2 hồ sơ; sắp đến hạn (trong 16 giờ làm việc): 1 hồ sơ." in text
    assert "VC-3 (quá hạn" in text and "VC-4 (còn" in text and "CV-2 (quá hạn" in text
    assert "VC-5" not in text and "YT-1" not in text  # not due within 16 working hours
    assert "Số liệu tạm tính từ hồ sơ của hệ thống một cửa" in text
    saturday = MONDAY + timedelta(days=5)
    assert n.run_due(saturday).steps == [] and n.run_due(saturday + timedelta(days=1)).steps == []
    assert len(providers.of("telegram")) == 1


def test_alerts_skip_a_holiday(notify_copy, fake_url, tmp_path, providers):
    # 2 September (National Day) 2026 is a Wednesday
    holiday = MONDAY.replace(month=9, day=2)
    clock = FrozenClock(holiday)
    n = notifier(notify_copy, notify_config(fake_url, tmp_path), clock)
    add(n, FrozenClock(holiday - timedelta(days=3)), jobs="alerts")
    assert n.run_due(holiday).steps == []
    assert [s.occurrence for s in n.run_due(holiday + timedelta(days=1)).steps] == ["2026-09-03"]
    n.ws.close()


def test_nothing_to_send_is_recorded_as_skipped(setup, providers, clock):
    n, _ = setup
    add(n, clock, jobs="alerts", unit="H21.19")  # Sở Y tế: one open dossier, due in 10 days
    [step] = n.run_due().steps
    assert step.status == SKIPPED and "Không có hồ sơ quá hạn" in step.error
    assert providers.of("telegram") == []
    assert n.run_due(MONDAY + timedelta(hours=1)).steps == []  # skipped is final for that morning


def test_no_applicant_data_in_any_message(setup, providers, clock, fake_url):
    n, _ = setup
    for channel, address in (("telegram", CHAT), ("zalo", "2512523625412515"), ("webhook", f"{fake_url}/hook/ioc")):
        add(n, clock, channel=channel, address=address, unit="H21", jobs="brief,alerts", source="local")
    steps = n.run_due().steps
    assert {s.status for s in steps} == {SENT} and len(steps) == 6
    payloads = b"".join(r.body for r in providers.received).decode("utf-8")
    assert "VC-3" in payloads and "số liệu tạm tính" in payloads.lower()
    for private in (APPLICANT, "Nguyễn", ID_NUMBER, PHONE):
        assert private not in payloads


# -- who gets what ---------------------------------------------------------------------------------------------------
def test_a_viewer_subscribes_to_its_own_scope_only(setup, clock):
    n, _ = setup
    add(n, clock, username="vancanh")  # H21.227 is the viewer's own commune
    with pytest.raises(ChisoError, match="ngoài phạm vi"):
        add(n, clock, username="vancanh", unit="H21.228")
    with pytest.raises(ChisoError, match="ngoài phạm vi"):
        add(n, clock, username="gialai", unit="H01")  # a viewer of Gia Lai asks for An Giang
    add(n, clock, username="gialai", unit="H21.228")  # a commune under its province
    add(n, clock, username="vanphong", unit="H01")  # office staff: every unit
    with pytest.raises(ChisoError, match="Không có người dùng"):
        add(n, clock, username="khongco")


def test_scope_is_checked_again_at_send_time(setup, providers, clock):
    n, _ = setup
    add(n, clock, username="vancanh")
    Accounts(n.ws).save("vancanh", role="viewer", unit="H21.228", by="test")  # moved to another commune
    n.accounts = Accounts(n.ws)  # (the accounts cache would notice within 15 s)
    [step] = n.run_due().steps
    assert step.status == REFUSED and "ngoài phạm vi" in step.error
    assert providers.of("telegram") == []


def test_the_same_recipient_gets_one_message_per_event(echo, setup, providers, clock):
    n, _ = setup
    add(n, clock, jobs=echo)
    add(n, clock, jobs=echo, label="the same chat, subscribed twice")
    assert [s.status for s in n.run_due().steps] == [SENT]
    assert len(providers.of("telegram")) == 1


# -- retries and the at-most-once rule -------------------------------------------------------------------------------
def test_a_failure_is_retried_with_backoff(echo, setup, providers, clock):
    n, _ = setup
    add(n, clock, jobs=echo)
    providers.script("telegram", (502, {"ok": False, "description": "Bad Gateway"}),
                     (502, {"ok": False, "description": "Bad Gateway"}))  # fmt: skip
    [first] = n.run_due().steps
    assert first.status == FAILED and first.attempt == 1 and first.retry_at == MONDAY + timedelta(minutes=1)
    assert "Máy chủ Telegram đang lỗi" in first.error
    assert n.run_due(MONDAY + timedelta(seconds=30)).steps == []  # not yet
    [second] = n.run_due(MONDAY + timedelta(minutes=1)).steps
    assert second.status == FAILED and second.attempt == 2 and second.retry_at == MONDAY + timedelta(minutes=6)
    [third] = n.run_due(MONDAY + timedelta(minutes=6)).steps
    assert third.status == SENT and third.attempt == 3
    assert len(providers.of("telegram")) == 1  # the failures never reached the chat
    assert n.run_due(MONDAY + timedelta(hours=3)).steps == []


def test_retries_end(echo, setup, providers, clock):
    n, config = setup
    add(n, clock, jobs=echo)
    providers.script("telegram", *[(503, {"ok": False, "description": "down"})] * 10)
    moment = MONDAY
    statuses = []
    for _ in range(8):
        statuses += [s.status for s in n.run_due(moment).steps]
        moment += timedelta(hours=2)
    assert statuses == [FAILED] * (config.retry.attempts - 1) + [GAVE_UP]


def test_a_rejected_token_is_not_retried(echo, notify_copy, fake_url, tmp_path, providers, clock):
    config = notify_config(fake_url, tmp_path, telegram={"token": "1:revoked", "base_url": fake_url})
    n = notifier(notify_copy, config, clock)
    add(n, clock, jobs=echo)
    [step] = n.run_due().steps
    assert step.status == GAVE_UP and "mã bot" in step.error and "1:revoked" not in step.error + step.detail
    assert n.run_due(MONDAY + timedelta(hours=2)).steps == []
    n.ws.close()


class Crash(BaseException):
    """The process dies (power cut, kill -9): nothing after this point runs."""


class Dying(Channel):
    """Wraps a real channel and dies before or after the real send."""

    name, label, address_hint = "telegram", "Telegram", ""

    def __init__(self, real: Channel, when: str) -> None:
        super().__init__(real.config)
        self.real, self.when = real, when

    @classmethod
    def normalise(cls, address: str) -> str:
        return address

    def send(self, address: str, message: Message, key: str) -> Delivery:
        if self.when == "before":
            raise Crash
        self.real.send(address, message, key)
        raise Crash


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_crash_around_the_send_never_duplicates(echo, when, notify_copy, fake_url, tmp_path, providers, clock):
    config = notify_config(fake_url, tmp_path)
    n = notifier(notify_copy, config, clock)
    add(n, clock, jobs=echo)
    n.channels["telegram"] = Dying(n.channels["telegram"], when)
    with pytest.raises(Crash):
        n.run_due()
    n.ws.close()
    delivered = 0 if when == "before" else 1
    assert len(providers.of("telegram")) == delivered
    restarted = notifier(notify_copy, config, clock)
    [step] = restarted.run_due(MONDAY + timedelta(minutes=1)).steps
    assert step.status == UNKNOWN and "không tự gửi lại" in step.error and step.send_key in step.error
    assert restarted.run_due(MONDAY + timedelta(hours=1)).steps == []
    assert len(providers.of("telegram")) == delivered
    # a person decides to send it again
    assert restarted.retry(step.send_key).status == SENT
    assert len(providers.of("telegram")) == delivered + 1
    with pytest.raises(ChisoError, match="không gửi lại"):
        restarted.retry(step.send_key)
    restarted.ws.close()


def test_the_sending_step_is_committed_before_the_call(echo, setup, providers, clock):
    n, _ = setup
    add(n, clock, jobs=echo)
    seen = []

    class Spy(Channel):
        name, label, address_hint = "telegram", "Telegram", ""

        @classmethod
        def normalise(cls, address: str) -> str:
            return address

        def send(self, address: str, message: Message, key: str) -> Delivery:
            other = Workspace(db=n.ws.settings.db)  # another connection sees the committed step
            seen.append(Ledger(other).states([key])[key].status)
            other.close()
            return Delivery("spy")

    n.channels["telegram"] = Spy(n.config)
    n.run_due()
    assert seen == [SENDING]


# -- job kinds are pluggable -----------------------------------------------------------------------------------------
def test_an_action_job_runs_once_per_occurrence(setup, clock):
    n, config = setup
    calls = []
    job = jobs.ActionJob("ping", "thử việc theo lịch", timedelta(hours=6), jobs.daily("ping", "07:00"),
                         lambda ws, config, key: calls.append(key) or f"đã chạy {key}")  # fmt: skip
    jobs.register(job)
    try:
        [step] = n.run_due().steps
        assert (step.job, step.status, step.summary) == ("ping", SENT, "đã chạy 2026-10-12")
        assert n.run_due(MONDAY + timedelta(minutes=30)).steps == []
        assert calls == ["2026-10-12"]
        n.config = config.model_copy(update={"schedule": config.schedule.model_copy(update={"ping": "off"})})
        assert n.run_due(MONDAY + timedelta(days=1)).steps == []
    finally:
        jobs.JOBS.pop("ping")


def test_one_runner_at_a_time(echo, setup, clock):
    n, _ = setup
    add(n, clock, jobs=echo)
    with n.ledger.exclusive() as mine:
        assert mine
        report = n.run_due()
    assert report.busy and report.steps == [] and "tiến trình khác" in report.notes[0]
    assert [s.status for s in n.run_due().steps] == [SENT]


# -- the letter draft ------------------------------------------------------------------------------------------------
def test_the_letter_draft_after_the_month_closes(godau_db, fake_url, tmp_path, providers):
    # May 2023: due on the first working day from 3 June (a Saturday): Monday 5 June 2023 at 08:00
    monday = datetime(2023, 6, 5, 8, 10, tzinfo=VN_TZ).astimezone(UTC)
    clock = FrozenClock(monday - timedelta(days=10))
    with SmtpServer("plain") as smtp:
        email = {"host": "127.0.0.1", "port": smtp.port, "security": "none", "sender": "chiso@example.gov.vn"}
        config = notify_config(fake_url, tmp_path, email=email)
        db = tmp_path / "godau.duckdb"
        shutil.copy(godau_db, db)
        n = Notifier(Workspace(db=db), config, clock=clock, data_dir=tmp_path / "chiso-web")
        Accounts(n.ws).save("quantri", role="admin", password=PASSWORD, by="test")
        for channel, address in (("email", "vanphong@godau.example.gov.vn"), ("telegram", CHAT),
                                 ("webhook", f"{fake_url}/hook/ioc")):  # fmt: skip
            n.add(channel=channel, address=address, unit="H53.07", jobs="letter")
        assert n.run_due(monday - timedelta(hours=1)).steps == []  # 07:10: not yet
        steps = n.run_due(monday).steps
        n.ws.close()
    assert [s.status for s in steps] == [SENT] * 3 and {s.occurrence for s in steps} == {"2023-05"}
    [(_, mail)] = smtp.box.messages
    assert sorted(p.get_filename() for p in mail.walk() if p.get_filename()) == ["appendix.xlsx", "letter.docx"]
    methods = [r.path.rsplit("/", 1)[1] for r in providers.of("telegram")]
    assert methods == ["sendMessage", "sendDocument", "sendDocument"]
    hook = json.loads(providers.of("webhook")[0].body)
    assert hook["event"] == "letter" and hook["facts"]["period"] == "2023-05"
    assert hook["link"] == "https://chiso.example.gov.vn/letters?unit=H53.07"
    assert hook["facts"]["letter_id"].startswith("20230601T000000-n")
    folders = list((tmp_path / "chiso-web" / "letters").iterdir())
    assert len(folders) == 1  # one draft for the three recipients
    meta = json.loads((folders[0] / "meta.json").read_text(encoding="utf-8"))
    assert meta["unit"] == "H53.07" and meta["period"] == "2023-05" and "letter.docx" in meta["files"]
    # the message's link opens the web's letters page, which lists the draft for download
    web = login(make_client(db, tmp_path / "chiso-web"), "quantri")
    page = web.get(hook["link"].removeprefix("https://chiso.example.gov.vn"))
    assert f"/api/v1/letters/{meta['id']}/letter.docx" in page.text
    assert web.get(f"/api/v1/letters/{meta['id']}/letter.docx").content[:2] == b"PK"


# -- inside chiso serve ----------------------------------------------------------------------------------------------
def test_the_background_scheduler_runs_and_survives_errors(echo, notify_copy, fake_url, tmp_path, providers, clock):
    import threading

    from chiso.notify.runner import Scheduler

    config = notify_config(fake_url, tmp_path)
    n = notifier(notify_copy, config, clock)
    add(n, clock, jobs=echo)
    n.ws.close()
    reports: list = []
    done = threading.Event()
    loads = iter([ChisoError("Cấu hình thông báo không hợp lệ")])

    def load():  # type: ignore[no-untyped-def]
        failure = next(loads, None)
        if failure is not None:
            raise failure  # the first run fails: the thread must go on
        return config

    def after(report):  # type: ignore[no-untyped-def]
        reports.append(report)
        if len(reports) == 2:
            done.set()

    scheduler = Scheduler(str(notify_copy), interval=0.01, clock=clock, config=load, after_run=after)
    scheduler.start()
    try:
        assert done.wait(60)
    finally:
        scheduler.stop()
    assert reports[0] is None and [s.status for s in reports[1].steps] == [SENT]
    assert len(providers.of("telegram")) == 1
