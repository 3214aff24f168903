"""What staff add to a letter besides state changes (tenant tables).

* :class:`LeaderInstruction` — 批示, written by a leader, shown to the units;
* :class:`InternalNote` — 内部备注, staff only, never shown to the citizen or
  published;
* :class:`LetterCount` — letters per (unit, state), kept by a trigger so the
  inbox's counts per state cost one small read even with a million letters.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.clock import utcnow
from leadermail.platform.db import TenantBase, TenantScoped


class LeaderInstruction(TenantScoped, TenantBase):
    __tablename__ = "leader_instructions"
    __table_args__ = (Index("ix_leader_instructions_letter_id", "letter_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"))
    author_user_id: Mapped[int | None] = mapped_column(BigInteger)
    author_label: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InternalNote(TenantScoped, TenantBase):
    __tablename__ = "internal_notes"
    __table_args__ = (Index("ix_internal_notes_letter_id", "letter_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"))
    author_user_id: Mapped[int | None] = mapped_column(BigInteger)
    author_label: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LetterCount(TenantBase):
    """Maintained by the ``letters_count_trigger`` (migrations 0003, 0007);
    ``unit_id`` 0 stands for "no unit yet". Each (unit, state) is spread over
    16 ``stripe`` rows so concurrent writers do not queue on one row: always
    sum over the stripes."""

    __tablename__ = "letter_counts"

    unit_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    state: Mapped[str] = mapped_column(String(30), primary_key=True)
    stripe: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=0)
    letters: Mapped[int] = mapped_column(BigInteger, default=0)
