"""send_email: SMTP when a server is configured, a Maildir under var/ when not."""

from __future__ import annotations

import mailbox
import socket
from dataclasses import replace
from email import message_from_bytes
from email.policy import default

import pytest

from leadermail.platform.config import Settings
from leadermail.platform.notifications.email import send_email


async def test_without_smtp_host_mail_is_kept_in_a_maildir(tmp_path, caplog):
    settings = Settings(var_dir=tmp_path)
    assert settings.smtp_host is None
    caplog.set_level("INFO", logger="leadermail.platform.notifications.email")
    await send_email(
        settings, to=["a@example.com", "b@example.com"], subject="来信回执", body="查询码 ABCDE"
    )
    maildir = mailbox.Maildir(tmp_path / "mail", create=False)
    (key,) = maildir.keys()
    kept = message_from_bytes(maildir.get_bytes(key), policy=default)
    assert kept["To"] == "a@example.com, b@example.com"
    assert kept["Subject"] == "来信回执"
    assert kept.get_content().strip() == "查询码 ABCDE"
    # The log says where the mail is, never to whom it was addressed.
    assert "kept in" in caplog.text and "example.com" not in caplog.text


async def test_with_smtp_host_mail_goes_to_the_server_and_not_to_disk(tmp_path, smtp_sink):
    settings = replace(
        Settings(var_dir=tmp_path), smtp_host="127.0.0.1", smtp_port=smtp_sink.port
    )
    await send_email(settings, to=["a@example.com", "b@example.com"], subject="督办", body="正文")
    (received,) = smtp_sink.messages
    assert received["X-Rcpt-To"] == "a@example.com, b@example.com"
    mail = message_from_bytes(received.as_bytes(), policy=default)
    assert mail["Subject"] == "督办" and mail.get_content().strip() == "正文"
    assert not (tmp_path / "mail").exists()


async def test_a_closed_smtp_port_raises_so_the_job_is_retried(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    settings = replace(Settings(var_dir=tmp_path), smtp_host="127.0.0.1", smtp_port=closed)
    with pytest.raises(OSError):
        await send_email(settings, to="a@example.com", subject="x", body="y")
    assert not (tmp_path / "mail").exists()
