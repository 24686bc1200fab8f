"""``chiso notify …`` as a user runs it: subscriptions, a test message that says what failed, cron's run-due."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chiso.cli.app import app
from chiso.notify.config import load_notify_config
from tests.notify.fakes import TELEGRAM_TOKEN, UNKNOWN_CHAT, WEBHOOK_SECRET, Providers, closed_port

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, fake_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A chiso-notify.toml pointing at the fakes, the secrets given by environment variables."""
    path = tmp_path / "chiso-notify.toml"
    path.write_text(
        f'base_url = "https://chiso.example.gov.vn"\ndata_dir = "{tmp_path / "web"}"\nletter_pdf = false\n'
        f'[telegram]\nbase_url = "{fake_url}"\n[zalo]\nbase_url = "{fake_url}"\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    monkeypatch.setenv("CHISO_NOTIFY_CONFIG", str(path))
    monkeypatch.setenv("CHISO_TELEGRAM_TOKEN", TELEGRAM_TOKEN)
    monkeypatch.setenv("CHISO_WEBHOOK_SECRET", WEBHOOK_SECRET)
    return path


def run(db: Path, *args: str):  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["--db", str(db), "notify", *args])
    assert TELEGRAM_TOKEN not in result.output and WEBHOOK_SECRET not in result.output
    return result


def test_add_list_remove(notify_copy: Path, env: Path):
    added = run(notify_copy, "add", "--channel", "telegram", "--to", "123456789", "--unit", "H21.227",
                "--what", "ban-tin,canh-bao", "--label", "Chủ tịch UBND xã Vân Canh")  # fmt: skip
    assert added.exit_code == 0, added.output
    sub_id = added.output.split("Đã đăng ký ")[1].split(":")[0]
    listed = json.loads(run(notify_copy, "list", "--format", "json").output)
    assert [(s["id"], s["jobs"], s["unit"], s["user"]) for s in listed] == [
        (sub_id, ["brief", "alerts"], "H21.227", None)
    ]
    table = run(notify_copy, "list").output
    assert "Chủ tịch UBND xã Vân Canh" in table and "bản tin cho lãnh đạo (brief): 07:30 hằng ngày" in table
    assert run(notify_copy, "remove", sub_id).exit_code == 0
    assert json.loads(run(notify_copy, "list", "--format", "json").output) == []
    assert len(json.loads(run(notify_copy, "list", "--all", "--format", "json").output)) == 1


def test_add_refuses_what_is_wrong_in_vietnamese(notify_copy: Path, env: Path):
    cases = [
        (["--channel", "fax", "--to", "1", "--unit", "H21"], "Không có kênh 'fax'"),
        (["--channel", "telegram", "--to", "not a chat", "--unit", "H21"], "Địa chỉ Telegram không hợp lệ"),
        (["--channel", "email", "--to", "a@b", "--unit", "H21"], "Địa chỉ thư không hợp lệ"),
        (["--channel", "telegram", "--to", "1", "--unit", "H99"], "Không có đơn vị 'H99'"),
        (["--channel", "telegram", "--to", "1", "--unit", "H21", "--what", "weather"], "Loại tin không hợp lệ"),
        (["--channel", "telegram", "--to", "1", "--unit", "H21.228", "--user", "vancanh"], "ngoài phạm vi"),
    ]
    for args, words in cases:
        result = run(notify_copy, "add", *args)
        assert result.exit_code == 2 and words in result.output, (args, result.output)
        assert "Traceback" not in result.output


def test_test_message_succeeds_or_says_what_failed(notify_copy: Path, env: Path, providers: Providers,
                                                   monkeypatch: pytest.MonkeyPatch):  # fmt: skip
    ok = run(notify_copy, "test", "--channel", "telegram", "--to", "123456789")
    assert ok.exit_code == 0 and "Đã gửi tin nhắn thử qua Telegram tới 123456789" in ok.output
    assert "tin nhắn thử qua Telegram" in providers.of("telegram")[0].json["text"]
    recipient = run(notify_copy, "test", "--channel", "telegram", "--to", UNKNOWN_CHAT)
    assert recipient.exit_code == 1 and "Lỗi (người nhận)" in recipient.output and "chat not found" in recipient.output
    monkeypatch.setenv("CHISO_TELEGRAM_TOKEN", "999:not-the-right-token")
    token = run(notify_copy, "test", "--channel", "telegram", "--to", "123456789")
    assert token.exit_code == 1 and "Lỗi (mã truy cập / mật khẩu)" in token.output
    assert "999:not-the-right-token" not in token.output
    monkeypatch.setenv("CHISO_TELEGRAM_URL", closed_port())
    network = run(notify_copy, "test", "--channel", "telegram", "--to", "123456789")
    assert network.exit_code == 1 and "Lỗi (mạng)" in network.output
    monkeypatch.delenv("CHISO_WEBHOOK_SECRET")
    unset = run(notify_copy, "test", "--channel", "webhook", "--to", "https://ioc.example.gov.vn/in")
    assert unset.exit_code == 1 and "Lỗi (chưa cấu hình)" in unset.output and "CHISO_WEBHOOK_SECRET" in unset.output
    log = json.loads(run(notify_copy, "log", "--format", "json").output)
    assert [e["status"] for e in log if e["status"] != "sending"] == ["gave_up"] * 4 + ["sent"]


def test_run_due_for_cron(notify_copy: Path, env: Path, providers: Providers):
    run(notify_copy, "add", "--channel", "telegram", "--to", "123456789", "--unit", "H21.227", "--what", "brief")
    # the subscription was made now (December 2026 on this machine or later): ask about the next morning
    first = run(notify_copy, "run-due", "--now", "2099-01-05T07:35:00", "--format", "json")
    assert first.exit_code == 0, first.output
    steps = json.loads(first.output)["steps"]
    assert [(s["job"], s["status"], s["occurrence"]) for s in steps] == [("brief", "sent", "2099-01-05")]
    again = run(notify_copy, "run-due", "--now", "2099-01-05T07:40:00")
    assert again.exit_code == 0 and "Không có gì đến hạn." in again.output
    assert len(providers.of("telegram")) == 1
    log = run(notify_copy, "log").output
    assert "đã gửi" in log and "2099-01-05" in log


def test_a_failed_run_exits_1_and_retry_needs_a_reason(notify_copy: Path, env: Path, providers: Providers):
    run(notify_copy, "add", "--channel", "telegram", "--to", UNKNOWN_CHAT, "--unit", "H21.227", "--what", "brief")
    failed = run(notify_copy, "run-due", "--now", "2099-01-05T07:35:00")
    assert failed.exit_code == 1 and "lỗi, đã thôi thử lại" in failed.output
    key = json.loads(run(notify_copy, "log", "--format", "json", "--status", "gave_up").output)[0]["key"]
    retried = run(notify_copy, "retry", key)
    assert retried.exit_code == 1 and "chat not found" in retried.output
    sent = run(notify_copy, "retry", "brief:H21.227:2099-01-05#000000000000")
    assert sent.exit_code == 2 and "Không có lần gửi" in sent.output


def test_a_secret_file_readable_by_others_is_flagged(tmp_path: Path):
    path = tmp_path / "n.toml"
    path.write_text('[telegram]\ntoken = "123:secret-token"\n', encoding="utf-8")
    os.chmod(path, 0o644)
    assert "chmod 600" in load_notify_config(path, env={}).warnings[0]
    os.chmod(path, 0o600)
    assert load_notify_config(path, env={}).warnings == ()
    bad = tmp_path / "bad.toml"
    bad.write_text('[telegram]\nbase_url = "ftp://x"\n', encoding="utf-8")
    with pytest.raises(Exception, match="Cấu hình thông báo không hợp lệ"):
        load_notify_config(bad, env={})
