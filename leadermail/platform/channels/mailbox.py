"""The intake mailbox: new mail on the tenant's IMAP account becomes letters.

    created, problems = await poll_mailbox(app, tenant)

Every message ends up somewhere: as a letter (``submission_key`` =
``mail:<mailbox>:<uidvalidity>:<uid>``, so a message read twice is one letter)
or as a :class:`MailProblem` holding the raw message and the reason, listed
under 待处理邮件. The mailbox is only read (``BODY.PEEK``), never changed, so
the mail server keeps its own copy too. ``last_uid`` moves past a message only
after its letter or problem row is committed. The IMAP password is sealed at
rest (:mod:`.mailbox_passwords`) and opened here only to log in.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import imaplib
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from leadermail.platform.audit.writer import Actor
from leadermail.platform.channels.mailbox_passwords import (
    PASSWORD_UNREADABLE,
    SealBroken,
    needs_sealing,
    read_mailbox_password,
    store_mailbox_password,
)
from leadermail.platform.channels.models import ChannelMailbox, MailProblem
from leadermail.platform.channels.services import ChannelLetterRefused, register_channel_letter
from leadermail.platform.clock import utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.letters.models import Category, Channel
from leadermail.platform.letters.validation import normalize_mobile
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session

MAX_MESSAGES_PER_POLL = 200
IMAP_TIMEOUT_SECONDS = 30
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
MAILBOX_ACTOR = Actor(user_id=None, label="邮箱来信")


class MailUnreadable(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class ParsedMail:
    title: str
    body: str
    sender_name: str
    sender_email: str | None
    phone: str | None
    attachments: list[tuple[str, bytes]] = field(default_factory=list)


def _html_to_text(html: str) -> str:
    text = re.sub(r"(?is)<(script|style).*?</\1>", "", html)
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def parse_mail(raw: bytes) -> ParsedMail:
    """Title = subject, body = the text part, writer = the sender. Raises
    :class:`MailUnreadable` with the reason a person can act on."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        subject = str(message.get("subject", "") or "").strip()
        name, address = parseaddr(str(message.get("from", "") or ""))
        body_part = message.get_body(preferencelist=("plain", "html"))
        body = ""
        if body_part is not None:
            content = body_part.get_content()
            body = (
                _html_to_text(content) if body_part.get_content_type() == "text/html" else content
            )
        attachments = []
        for part in message.iter_attachments():
            payload = part.get_payload(decode=True)
            if payload:
                attachments.append((part.get_filename() or "附件", payload))
    except (LookupError, UnicodeError, ValueError, AssertionError) as exc:
        raise MailUnreadable(f"邮件编码无法识别（{type(exc).__name__}）") from exc
    body = body.strip()
    if not subject:
        raise MailUnreadable("邮件没有标题")
    if not body:
        raise MailUnreadable("邮件没有正文")
    if "\ufffd" in subject + body:
        raise MailUnreadable("邮件含有无法识别的字符（编码错误）")
    phone_match = _MOBILE.search(body)
    phone = normalize_mobile(phone_match.group(0)) if phone_match else None
    sender_name = (name or address.split("@")[0] or "邮件来信人").strip()[:20]
    return ParsedMail(subject[:100], body, sender_name, address or None, phone, attachments)


def _fetch(mailbox: ChannelMailbox, password: str) -> tuple[int, list[tuple[int, bytes]]]:
    """(UIDVALIDITY, [(uid, raw message)]) of messages after ``last_uid`` (blocking)."""
    client_class = imaplib.IMAP4_SSL if mailbox.use_ssl else imaplib.IMAP4
    client = client_class(mailbox.host, mailbox.port, timeout=IMAP_TIMEOUT_SECONDS)
    try:
        client.login(mailbox.username, password)
        status, _ = client.select(mailbox.folder, readonly=True)
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot open folder {mailbox.folder}")
        validity_line = client.response("UIDVALIDITY")[1][0]
        uid_validity = int(validity_line) if validity_line else 0
        last = mailbox.last_uid if mailbox.uid_validity == uid_validity else 0
        _, found = client.uid("search", None, f"UID {last + 1}:*")
        uids = sorted(int(u) for u in (found[0] or b"").split() if int(u) > last)
        messages = []
        for uid in uids[:MAX_MESSAGES_PER_POLL]:
            _, parts = client.uid("fetch", str(uid), "(BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), b"")
            messages.append((uid, raw))
        return uid_validity, messages
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


async def _keep_problem(
    session: Any, mailbox: ChannelMailbox, uid_validity: int, uid: int, raw: bytes, reason: str
) -> None:
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    await session.execute(
        insert(MailProblem)
        .values(
            tenant_id=mailbox.tenant_id,
            mailbox_id=mailbox.id,
            uid_validity=uid_validity,
            uid=uid,
            sender=str(message.get("from", ""))[:300],
            subject=str(message.get("subject", ""))[:300],
            reason=reason,
            raw=raw,
            status="open",
            received_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["mailbox_id", "uid_validity", "uid"])
    )


async def poll_mailbox(app: AppContext, tenant: TenantRef) -> tuple[int, int]:
    """Read new mail of the tenant's active mailbox: (letters created, problems kept)."""
    async with tenant_session(app.database, tenant) as session:
        mailbox = (
            (
                await session.execute(
                    select(ChannelMailbox).where(ChannelMailbox.is_active.is_(True))
                )
            )
            .scalars()
            .first()
        )
        if mailbox is None:
            return 0, 0
        try:
            password = read_mailbox_password(mailbox, app.settings.secret_key)
        except SealBroken:
            mailbox.last_error = PASSWORD_UNREADABLE
            mailbox.last_polled_at = utcnow()
            await session.commit()
            return 0, 0
        if needs_sealing(mailbox):
            store_mailbox_password(mailbox, password, app.settings.secret_key)
            await session.commit()
        try:
            uid_validity, messages = await asyncio.to_thread(_fetch, mailbox, password)
        except (imaplib.IMAP4.error, OSError) as exc:
            mailbox.last_error = f"{type(exc).__name__}: {exc}"[:500]
            mailbox.last_polled_at = utcnow()
            await session.commit()
            return 0, 0
        created = problems = 0
        for uid, raw in messages:
            key = f"mail:{mailbox.id}:{uid_validity}:{uid}"
            try:
                parsed = parse_mail(raw)
                data = {
                    "letter_type": "consultation",
                    "title": parsed.title,
                    "body": parsed.body,
                    "name": parsed.sender_name,
                    "phone": parsed.phone or "",
                    "email": parsed.sender_email or "",
                    "category": "",
                }
                data["category"] = str(await _default_category(session))
                async with session.begin_nested():
                    result = await register_channel_letter(
                        session,
                        tenant,
                        data,
                        parsed.attachments,
                        channel=Channel.EMAIL,
                        received_at=utcnow(),
                        upload_dir=app.settings.upload_dir,
                        secret_key=app.settings.secret_key,
                        actor=MAILBOX_ACTOR,
                        submission_key=key[:64],
                    )
                created += 0 if result.is_repeat else 1
            except MailUnreadable as unreadable:
                await _keep_problem(session, mailbox, uid_validity, uid, raw, unreadable.reason)
                problems += 1
            except ChannelLetterRefused as refused:
                await _keep_problem(
                    session, mailbox, uid_validity, uid, raw, "；".join(refused.errors.values())
                )
                problems += 1
            mailbox.uid_validity = uid_validity
            mailbox.last_uid = uid
            await session.commit()
        mailbox.last_polled_at = utcnow()
        mailbox.last_error = None
        await session.commit()
    return created, problems


async def _default_category(session: Any) -> int:
    """Mail has no category: 其他 if the tenant has it, else its first one."""
    rows = (
        await session.execute(
            select(Category.id, Category.name)
            .where(Category.is_active.is_(True))
            .order_by(Category.position, Category.id)
        )
    ).all()
    for category_id, name in rows:
        if name == "其他":
            return int(category_id)
    return int(rows[0][0]) if rows else 0
