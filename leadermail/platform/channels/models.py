"""Letters from other channels: the tenant's intake mailbox and the mails
that could not become letters (tenant tables).

A mail is never lost: it becomes a letter, or a :class:`MailProblem` row
holding the raw message and why it could not be read, listed in the console
under 待处理邮件 until a staff member registers it by hand or dismisses it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Identity, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.clock import utcnow
from leadermail.platform.db import TenantBase, TenantScoped


class ChannelMailbox(TenantScoped, TenantBase):
    """The IMAP mailbox whose mail becomes registered letters (one per tenant)."""

    __tablename__ = "channel_mailboxes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    #: The address citizens write to (shown on the help page).
    address: Mapped[str] = mapped_column(String(254))
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer, default=993)
    use_ssl: Mapped[bool] = mapped_column(default=True)
    username: Mapped[str] = mapped_column(String(254))
    #: Sealed (``channels.mailbox_passwords``): the worker must log in
    #: unattended, so it cannot be hashed. Use a mailbox account that can do
    #: nothing but receive (see deploy/README.md).
    password: Mapped[str] = mapped_column(String(255))
    folder: Mapped[str] = mapped_column(String(100), default="INBOX")
    is_active: Mapped[bool] = mapped_column(default=True)
    #: IMAP UIDVALIDITY and the highest UID already taken in.
    uid_validity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    last_polled_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MailProblem(TenantScoped, TenantBase):
    """需要人工处理的邮件: a mail that could not be turned into a letter."""

    __tablename__ = "channel_mail_problems"
    __table_args__ = (UniqueConstraint("mailbox_id", "uid_validity", "uid"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    mailbox_id: Mapped[int] = mapped_column(BigInteger)
    uid_validity: Mapped[int | None] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    sender: Mapped[str | None] = mapped_column(String(300))
    subject: Mapped[str | None] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    #: open | registered | dismissed
    status: Mapped[str] = mapped_column(String(20), default="open")
    letter_id: Mapped[int | None] = mapped_column(BigInteger)
    resolved_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    resolved_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
