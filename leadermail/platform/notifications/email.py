"""Sending e-mail over SMTP (aiosmtplib), with the settings' host, port and sender.

    await send_email(settings, to="citizen@example.com", subject="来信回执", body="...")

Plain text only: a receipt needs no HTML, and plain text cannot carry tracking
pixels or scripts. Raises ``aiosmtplib.SMTPException`` / ``OSError`` on
failure; jobs let arq retry.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from leadermail.platform.config import Settings

SMTP_TIMEOUT_SECONDS = 20


def build_message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "leadermail.local")
    message.set_content(body, charset="utf-8")
    return message


async def send_email(settings: Settings, *, to: str, subject: str, body: str) -> None:
    message = build_message(settings.smtp_sender, to, subject, body)
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        timeout=SMTP_TIMEOUT_SECONDS,
        start_tls=False,
    )
