"""Each channel against a local fake: what it sends, and what it says (in Vietnamese) when something fails."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
import trustme
from hypothesis import given
from hypothesis import strategies as st

from chiso.errors import ChisoError
from chiso.notify.channels import DeliveryError, Problem, make_channels
from chiso.notify.channels.mail import Email
from chiso.notify.channels.telegram import Telegram
from chiso.notify.channels.webhook import Webhook, verify
from chiso.notify.channels.zalo import Zalo
from chiso.notify.config import NotifyConfig
from chiso.notify.message import Message
from tests.notify.fakes import (
    SMTP_PASSWORD,
    TELEGRAM_TOKEN,
    UNFOLLOWED_ZALO,
    UNKNOWN_CHAT,
    WEBHOOK_SECRET,
    ZALO_REFRESH,
    ZALO_SECRET,
    ZALO_TOKEN,
    Providers,
    SmtpServer,
    closed_port,
)

NOW = datetime(2026, 10, 12, 0, 30, tzinfo=UTC)
MESSAGE = Message(job="brief", title="Bản tin Bộ chỉ số — UBND xã Vân Canh — 12/10/2026",
                  text="UBND xã Vân Canh: 75,34/100 điểm (Khá), xếp thứ 1/13 xã, phường, thị trấn.", unit="H21.227",
                  unit_name="UBND xã Vân Canh", link="https://chiso.example.gov.vn/units/H21.227",
                  facts={"total": 75.34})  # fmt: skip
ALL_SECRETS = (TELEGRAM_TOKEN, ZALO_TOKEN, ZALO_SECRET, ZALO_REFRESH, WEBHOOK_SECRET, SMTP_PASSWORD)


class Tokens:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def secret(self, name: str) -> str | None:
        return self.values.get(name)

    def set_secret(self, name: str, value: str) -> None:
        self.values[name] = value


def config(url: str, **sections: dict) -> NotifyConfig:
    base = {
        "telegram": {"token": TELEGRAM_TOKEN, "base_url": url},
        "zalo": {"access_token": ZALO_TOKEN, "base_url": url, "oauth_url": url},
        "webhook": {"secret": WEBHOOK_SECRET},
    }
    for name, values in sections.items():
        base[name] = {**base.get(name, {}), **values}
    return NotifyConfig(**base)


def channel(name: str, cfg: NotifyConfig, tokens: Tokens | None = None):  # type: ignore[no-untyped-def]
    return make_channels(cfg, tokens, lambda: NOW)[name]


def failure(call) -> DeliveryError:  # type: ignore[no-untyped-def]
    with pytest.raises(DeliveryError) as caught:
        call()
    error = caught.value
    text = f"{error} {error.hint or ''}"
    assert not any(s in text for s in ALL_SECRETS), text
    return error


# -- Telegram --------------------------------------------------------------------------------------------------------
def test_telegram_sends_the_text_with_the_link(providers: Providers, fake_url: str):
    delivery = channel("telegram", config(fake_url)).send("123456789", MESSAGE, "k1")
    [got] = providers.of("telegram")
    assert got.path.endswith("/sendMessage")
    assert got.json["chat_id"] == "123456789"
    assert got.json["text"].startswith("UBND xã Vân Canh: 75,34/100")
    assert got.json["text"].endswith("Xem chi tiết: https://chiso.example.gov.vn/units/H21.227")
    assert delivery.reference == "1"


def test_telegram_sends_files_as_documents(providers: Providers, fake_url: str, tmp_path: Path):
    doc = tmp_path / "letter.docx"
    doc.write_bytes(b"PK fake docx")
    message = Message(job="letter", title="Dự thảo công văn", text="Dự thảo đã sẵn sàng.", attachments=(doc,))
    channel("telegram", config(fake_url)).send("-1001234567890", message, "k2")
    methods = [r.path.rsplit("/", 1)[1] for r in providers.of("telegram")]
    assert methods == ["sendMessage", "sendDocument"]
    assert providers.of("telegram")[1].form["document"] == "letter.docx"


def test_a_file_failing_after_the_text_is_never_resent(providers: Providers, fake_url: str, tmp_path: Path):
    doc = tmp_path / "appendix.xlsx"
    doc.write_bytes(b"PK xlsx")
    providers.script("telegram:sendDocument", (500, {"ok": False, "description": "Internal Server Error"}))
    message = Message(job="letter", title="Dự thảo công văn", text="Đã sẵn sàng.", attachments=(doc,))
    error = failure(lambda: channel("telegram", config(fake_url)).send("1", message, "k"))
    assert error.maybe_delivered and not error.retryable  # the text went: a retry would send it twice
    assert "Đã gửi tin nhắn Telegram nhưng không gửi được tệp appendix.xlsx" in error.message


def test_no_answer_after_the_request_left_means_unknown(fake_url: str):
    slow = config(fake_url, webhook={"timeout": 0.3})
    error = failure(lambda: channel("webhook", slow).send(f"{fake_url}/hook/slow", MESSAGE, "k"))
    assert error.problem is Problem.NETWORK and error.maybe_delivered and not error.retryable
    assert "không rõ tin đã được gửi hay chưa" in error.message


def test_telegram_says_the_token_is_wrong(providers: Providers, fake_url: str):
    wrong = config(fake_url, telegram={"token": "1:wrong-token"})
    error = failure(lambda: channel("telegram", wrong).send("1", MESSAGE, "k"))
    assert error.problem is Problem.TOKEN and not error.retryable
    assert "mã bot" in error.message and "@BotFather" in (error.hint or "")
    assert "1:wrong-token" not in str(error)


def test_telegram_says_the_recipient_is_unknown(providers: Providers, fake_url: str):
    error = failure(lambda: channel("telegram", config(fake_url)).send(UNKNOWN_CHAT, MESSAGE, "k"))
    assert error.problem is Problem.RECIPIENT and "chat not found" in error.message and "Start" in (error.hint or "")


def test_telegram_says_the_network_failed_and_may_retry():
    error = failure(lambda: channel("telegram", config(closed_port())).send("1", MESSAGE, "k"))
    assert error.problem is Problem.NETWORK and error.retryable and not error.maybe_delivered
    assert "Không kết nối được tới máy chủ Telegram (http://127.0.0.1:" in error.message


def test_telegram_rate_limit_and_server_error_are_retryable(providers: Providers, fake_url: str):
    providers.script("telegram", (429, {"ok": False, "error_code": 429, "description": "Too Many Requests",
                                        "parameters": {"retry_after": 7}}),
                     (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}))  # fmt: skip
    rate = failure(lambda: channel("telegram", config(fake_url)).send("1", MESSAGE, "k"))
    assert rate.problem is Problem.RATE and rate.retryable and rate.retry_after == 7
    server = failure(lambda: channel("telegram", config(fake_url)).send("1", MESSAGE, "k"))
    assert server.problem is Problem.SERVER and server.retryable


def test_telegram_without_a_token_says_what_to_set(fake_url: str):
    error = failure(lambda: channel("telegram", NotifyConfig(telegram={"base_url": fake_url})).send("1", MESSAGE, "k"))
    assert error.problem is Problem.CONFIG and "CHISO_TELEGRAM_TOKEN" in (error.hint or "")


# -- Zalo ------------------------------------------------------------------------------------------------------------
def test_zalo_cs_message(providers: Providers, fake_url: str):
    delivery = channel("zalo", config(fake_url)).send("2512523625412515", MESSAGE, "k")
    [got] = providers.of("zalo")
    assert got.path == "/v3.0/oa/message/cs"
    assert got.headers["access_token"] == ZALO_TOKEN
    assert got.json["recipient"] == {"user_id": "2512523625412515"}
    assert got.json["message"]["text"].startswith("UBND xã Vân Canh")
    assert delivery.reference == "z1"


def test_zalo_transaction_message_uses_a_template_with_the_link(providers: Providers, fake_url: str):
    cfg = config(fake_url, zalo={"message_type": "transaction", "template_type": "transaction_event"})
    channel("zalo", cfg).send("2512523625412515", MESSAGE, "k")
    [got] = providers.of("zalo")
    assert got.path == "/v3.0/oa/message/transaction"
    payload = got.json["message"]["attachment"]["payload"]
    assert payload["template_type"] == "transaction_event" and payload["language"] == "VI"
    assert [e["type"] for e in payload["elements"]] == ["header", "text"]
    assert payload["elements"][0]["content"] == MESSAGE.title
    assert payload["buttons"][0]["payload"]["url"] == MESSAGE.link


def test_zalo_refreshes_an_expired_token_once_and_keeps_the_new_ones(providers: Providers, fake_url: str):
    cfg = config(fake_url, zalo={"access_token": "expired-token-0000", "app_id": "1234", "secret_key": ZALO_SECRET,
                            "refresh_token": ZALO_REFRESH})  # fmt: skip
    tokens = Tokens()
    channel("zalo", cfg, tokens).send("2512523625412515", MESSAGE, "k")
    assert len(providers.of("zalo-oauth")) == 1 and len(providers.of("zalo")) == 1
    assert providers.of("zalo-oauth")[0].form["grant_type"] == "refresh_token"
    stored = sorted(tokens.values.values())
    assert stored == sorted([f"{ZALO_TOKEN}-r1", f"{ZALO_REFRESH}-r1"])
    channel("zalo", cfg, tokens).send("2512523625412515", MESSAGE, "k2")  # the rotated token: no second refresh
    assert len(providers.of("zalo-oauth")) == 1 and len(providers.of("zalo")) == 2


def test_zalo_says_the_token_is_wrong_or_the_user_cannot_be_reached(providers: Providers, fake_url: str):
    wrong = config(fake_url, zalo={"access_token": "bad-token-123"})
    token = failure(lambda: channel("zalo", wrong).send("12345", MESSAGE, "k"))
    assert token.problem is Problem.TOKEN and "mã truy cập" in token.message
    recipient = failure(lambda: channel("zalo", config(fake_url)).send(UNFOLLOWED_ZALO, MESSAGE, "k"))
    assert recipient.problem is Problem.RECIPIENT and "quan tâm" in (recipient.hint or "")


# -- webhook ---------------------------------------------------------------------------------------------------------
def test_webhook_body_is_signed_with_a_timestamp(providers: Providers, fake_url: str):
    channel("webhook", config(fake_url)).send(f"{fake_url}/hook/ioc?token=abc", MESSAGE, "brief:H21.227:2026-10-12#x")
    [got] = providers.of("webhook")
    body = json.loads(got.body)
    assert body["event"] == "brief" and body["id"] == "brief:H21.227:2026-10-12#x"
    assert body["unit"] == {"code": "H21.227", "name": "UBND xã Vân Canh"} and body["facts"] == {"total": 75.34}
    assert got.headers["x-chiso-delivery"] == body["id"]
    stamp = got.headers["x-chiso-timestamp"]
    assert stamp == str(int(NOW.timestamp()))
    assert verify(WEBHOOK_SECRET, stamp, got.body, got.headers["x-chiso-signature"], NOW.timestamp())
    assert not verify("another-secret", stamp, got.body, got.headers["x-chiso-signature"], NOW.timestamp())
    assert not verify(WEBHOOK_SECRET, stamp, got.body + b" ", got.headers["x-chiso-signature"], NOW.timestamp())
    assert not verify(WEBHOOK_SECRET, stamp, got.body, got.headers["x-chiso-signature"], NOW.timestamp() + 3600)
    assert WEBHOOK_SECRET.encode() not in got.body


def test_webhook_failures_in_words(providers: Providers, fake_url: str):
    providers.script("webhook", (401, {"error": "bad signature"}), (503, {}))
    refused = failure(lambda: channel("webhook", config(fake_url)).send(f"{fake_url}/hook/x", MESSAGE, "k"))
    assert refused.problem is Problem.TOKEN and "khóa" in (refused.hint or "")
    busy = failure(lambda: channel("webhook", config(fake_url)).send(f"{fake_url}/hook/x", MESSAGE, "k"))
    assert busy.problem is Problem.SERVER and busy.retryable
    assert Webhook.display("https://user:pw@ioc.example.vn:8443/in?key=s3cret") == "https://ioc.example.vn:8443/in"


# -- e-mail ----------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def mail_config(port: int, **email: object) -> NotifyConfig:
    return NotifyConfig(email={"host": "127.0.0.1", "port": port, "sender": "chiso <chiso@ubnd.example.gov.vn>",
                               **email})  # fmt: skip


def test_email_through_an_office_relay_with_attachments(tmp_path: Path):
    doc = tmp_path / "letter.docx"
    doc.write_bytes(b"PK docx bytes")
    message = Message(job="letter", title="Dự thảo công văn tháng 9/2026 — UBND tỉnh Gia Lai", text="Đã sẵn sàng.",
                      link="https://chiso.example.gov.vn/letters/x/letter.docx", attachments=(doc,))  # fmt: skip
    with SmtpServer("plain") as smtp:
        cfg = mail_config(smtp.port, security="none")
        both = "lanhdao@example.gov.vn, vanphong@example.gov.vn"
        delivery = channel("email", cfg).send(both, message, "letter:H21:2026-09#a")
        again = channel("email", cfg).send("lanhdao@example.gov.vn", message, "letter:H21:2026-09#a")
    [(rcpt, mail), (_, mail2)] = smtp.box.messages
    assert rcpt == ["lanhdao@example.gov.vn", "vanphong@example.gov.vn"]
    assert str(mail["Subject"]).startswith("Dự thảo công văn") or "=?utf-8?" in str(mail["Subject"])
    parts = list(mail.walk())
    names = [p.get_filename() for p in parts if p.get_filename()]
    assert names == ["letter.docx"]
    text = next(p for p in parts if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "Đã sẵn sàng." in text and "Xem chi tiết: https://chiso.example.gov.vn/letters/x/letter.docx" in text
    assert mail["Message-ID"] == mail2["Message-ID"] == delivery.reference == again.reference  # same key, same id
    assert mail["Message-ID"].endswith("@ubnd.example.gov.vn>")


def test_email_with_starttls_and_login(ca: trustme.CA, ca_file: str):
    with SmtpServer("starttls", user="chiso", ca=ca) as smtp:
        channel("email", mail_config(smtp.port, security="starttls", username="chiso", password=SMTP_PASSWORD,
                                     ca_file=ca_file)).send("a@example.gov.vn", MESSAGE, "k")  # fmt: skip
        wrong = failure(lambda: channel("email", mail_config(
            smtp.port, security="starttls", username="chiso", password="wrong-password-1", ca_file=ca_file,
        )).send("a@example.gov.vn", MESSAGE, "k"))  # fmt: skip
        untrusted = failure(lambda: channel("email", mail_config(
            smtp.port, security="starttls", username="chiso", password=SMTP_PASSWORD,
        )).send("a@example.gov.vn", MESSAGE, "k"))  # fmt: skip
    assert len(smtp.box.messages) == 1
    assert wrong.problem is Problem.TOKEN and "mật khẩu" in wrong.message
    assert "wrong-password-1" not in str(wrong)
    assert untrusted.problem is Problem.NETWORK and not untrusted.retryable and "ca_file" in (untrusted.hint or "")


def test_email_over_implicit_tls(ca: trustme.CA, ca_file: str):
    with SmtpServer("ssl", ca=ca) as smtp:
        channel("email", mail_config(smtp.port, security="ssl", ca_file=ca_file)).send("a@example.gov.vn", MESSAGE, "k")
    assert len(smtp.box.messages) == 1


def test_email_network_and_recipient_failures():
    refused = failure(lambda: channel("email", mail_config(int(closed_port().rsplit(":", 1)[1]), security="none"))
                      .send("a@example.gov.vn", MESSAGE, "k"))  # fmt: skip
    assert refused.problem is Problem.NETWORK and refused.retryable
    with SmtpServer("plain") as smtp:
        smtp.box.refuse.add("khongco@example.gov.vn")
        error = failure(lambda: channel("email", mail_config(smtp.port, security="none"))
                        .send("khongco@example.gov.vn", MESSAGE, "k"))  # fmt: skip
    assert error.problem is Problem.RECIPIENT and "khongco@example.gov.vn" in error.message


# -- secrets and addresses -------------------------------------------------------------------------------------------
# the plain-relay fake accepts a login without TLS on purpose: chiso must still keep the password out of logs
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_no_secret_reaches_the_logs(providers: Providers, fake_url: str, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    cfg = config(fake_url, zalo={"app_id": "1234", "secret_key": ZALO_SECRET, "refresh_token": ZALO_REFRESH},
                 email={"host": "127.0.0.1", "security": "none", "username": "chiso", "password": SMTP_PASSWORD,
                        "sender": "chiso@example.gov.vn"})  # fmt: skip
    chans = make_channels(cfg, Tokens(), lambda: NOW)
    chans["telegram"].send("1", MESSAGE, "k")
    with pytest.raises(DeliveryError):
        chans["telegram"].send(UNKNOWN_CHAT, MESSAGE, "k")
    providers.zalo_token = "rotate-me-please"  # forces the refresh flow
    chans["zalo"].send("12345", MESSAGE, "k")
    chans["webhook"].send(f"{fake_url}/hook/a", MESSAGE, "k")
    with SmtpServer("plain", user="chiso") as smtp:
        chans = make_channels(cfg.model_copy(update={"email": cfg.email.model_copy(update={"port": smtp.port})}))
        chans["email"].send("a@example.gov.vn", MESSAGE, "k")  # with a login: the password went over the wire
    logging.getLogger("chiso.notify").info("token in a message: %s", TELEGRAM_TOKEN)
    assert len(smtp.box.messages) == 1
    assert "HTTP Request" in caplog.text  # the HTTP client did log its requests…
    for secret in (*ALL_SECRETS, f"{ZALO_TOKEN}-r1", f"{ZALO_REFRESH}-r1"):
        assert secret not in caplog.text, secret  # …with the secrets masked


@given(st.text(max_size=40))
def test_address_normalising_is_stable(text: str):
    for cls in (Telegram, Zalo, Email, Webhook):
        try:
            once = cls.normalise(text)
        except ChisoError as exc:
            refused: ChisoError | None = exc
        else:
            refused = None
            assert cls.normalise(once) == once
        assert refused is None or (refused.message and refused.hint)
