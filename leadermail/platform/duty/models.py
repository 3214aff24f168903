"""The duty roster's tables (one copy per tenant schema).

* :class:`DutyShift` — one person on duty from ``starts_at`` to ``ends_at``,
  with the handover note written when the shift ends (交接班记录);
* :class:`InboxVisit` — "this person opened the inbox now", the evidence the
  2-hour check (每2小时至少查看一次) looks for;
* :class:`DutyAlert` — an alert sent because a new letter waited unseen; one
  row per (letter, level) so the cron job never alerts twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.clock import utcnow
from leadermail.platform.db import TenantBase, TenantScoped


class DutyShift(TenantScoped, TenantBase):
    __tablename__ = "duty_shifts"
    __table_args__ = (Index("ix_duty_shifts_starts_at_ends_at", "starts_at", "ends_at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    #: core.users.id (no foreign key across schemas)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    #: The name at planning time, so the printed log still reads right later.
    staff_name: Mapped[str] = mapped_column(String(50))
    #: day | night | full (a 24-hour rest-day shift)
    kind: Mapped[str] = mapped_column(String(10))
    #: workday | weekend | holiday: which rota the shift belongs to
    rota: Mapped[str] = mapped_column(String(10))
    holiday_name: Mapped[str | None] = mapped_column(String(40))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    handover_note: Mapped[str | None] = mapped_column(Text)
    handed_over_at: Mapped[datetime | None]
    handed_over_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxVisit(TenantScoped, TenantBase):
    __tablename__ = "duty_inbox_visits"
    __table_args__ = (Index("ix_duty_inbox_visits_opened_at", "opened_at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)


class DutyAlert(TenantScoped, TenantBase):
    __tablename__ = "duty_alerts"
    __table_args__ = (UniqueConstraint("letter_id", "level"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"))
    #: duty (the person on duty) | supervisor (督办, one step later)
    level: Mapped[str] = mapped_column(String(20))
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("duty_shifts.id", ondelete="SET NULL"))
    #: core.users.id of everyone alerted, and the mail delivery outcome
    recipient_user_ids: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
