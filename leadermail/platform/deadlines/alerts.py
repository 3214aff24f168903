"""Which deadline warnings were already sent, so the scan never urges twice.

One row per (letter, deadline, due date, level). Extending a deadline changes
``due_at``, so the new deadline gets its own warnings.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.clock import utcnow
from leadermail.platform.db import TenantBase, TenantScoped
from leadermail.platform.letters.models import Letter

#: The scan's second query shape (letters waiting for acceptance): the
#: foundation indexes (state, reply_due_at) only.
Index("ix_letters_state_acceptance_due", Letter.state, Letter.acceptance_due_at)
#: Recomputing provisional deadlines touches only these rows.
Index("ix_letters_provisional", Letter.id, postgresql_where=text("deadline_provisional"))


#: DeadlineAlert.deadline as staff read it in urges and e-mails.
DEADLINE_LABELS: dict[str, str] = {
    "acceptance": "受理期限",
    "reply": "答复期限",
    # A unit's own 办理时限 (deadlines/assignments.py), watched where it is
    # earlier than the letter's reply deadline.
    "assignment": "办理时限",
}


class DeadlineAlert(TenantScoped, TenantBase):
    __tablename__ = "deadline_alerts"
    __table_args__ = (UniqueConstraint("letter_id", "deadline", "due_at", "level"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"))
    #: acceptance | reply | assignment (DEADLINE_LABELS)
    deadline: Mapped[str] = mapped_column(String(20))
    #: due_soon | overdue (levels.WarningLevel)
    level: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime]
    unit_id: Mapped[int | None] = mapped_column(BigInteger)
    #: Set by the e-mail job once the unit/supervisor digest went out.
    emailed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
