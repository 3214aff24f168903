"""The one way mail leaves leadermail.

    await send_email(settings, to="citizen@example.com", subject="来信回执", body="...")
    await send_email(settings, to=["a@x.cn", "b@x.cn"], subject=..., body=...)

With ``SMTP_HOST`` set, mail goes to that server (aiosmtplib). Without it — the
embedded default on a laptop — each message is kept in a Maildir under
``var/mail/`` instead, the way Django's file e-mail backend works: a developer
can read what citizens and staff would have received (``mutt -f var/mail``),
and the worker does not retry into a closed port 25 for ever. Production
refuses to start without ``SMTP_HOST`` (``Settings.check_production``).

Plain text only: a receipt needs no HTML, and plain text cannot carry tracking
pixels or scripts. Raises ``aiosmtplib.SMTPException`` / ``OSError`` on
failure; jobs let arq retry.
"""

from __future__ import annotations

import asyncio
import logging
import mailbox
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import aiosmtplib

from leadermail.platform.config import Settings

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 20


def build_message(sender: str, to: str | Sequence[str], subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to if isinstance(to, str) else ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "leadermail.local")
    message.set_content(body, charset="utf-8")
    return message


async def send_email(
    settings: Settings, *, to: str | Sequence[str], subject: str, body: str
) -> None:
    message = build_message(settings.smtp_sender, to, subject, body)
    if settings.smtp_host is None:
        key = await asyncio.to_thread(keep_in_maildir, settings.mail_dir, message)
        # The subject and file only: addresses are personal data and stay out of logs.
        log.info("no SMTP_HOST: mail %r kept in %s/new/%s", subject, settings.mail_dir, key)
        return
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        timeout=SMTP_TIMEOUT_SECONDS,
        start_tls=False,
    )


def keep_in_maildir(directory: Path, message: EmailMessage) -> str:
    """Store ``message`` in the Maildir at ``directory``; returns its key."""
    return mailbox.Maildir(directory, create=True).add(message)
