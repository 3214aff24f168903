"""What an inbox row shows beside its letter: the warning level (正常 /
即将到期 / 已超期) for whoever reads it, the deadline that level comes from,
and the unit's 办理时限 where it ends before the letter's own deadline.

    rows = await inbox_rows(session, staff, letters, now)
    rows[0].level, rows[0].level_source, rows[0].assignment_due
    row_level(letter, now, staff.tenant.settings)  # the reply deadline's level alone

Which deadlines count for which reader is :mod:`leadermail.console.inbox_deadlines`;
which letters make the page is :mod:`leadermail.console.inbox_query`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.console.inbox_deadlines import open_assignment_dues, reader_level
from leadermail.platform.accounts.policy import StaffUser
from leadermail.platform.deadlines.levels import warning_level
from leadermail.platform.deadlines.policies import DeadlinePolicyError, policy_for
from leadermail.platform.letters.models import Letter
from leadermail.platform.letters.workflow import OPEN_STATES


@dataclass
class InboxRow:
    letter: Letter
    #: The warning level for the reader: the one the 期限 filter goes by.
    level: str | None
    #: Which deadline gave it: "reply" (答复期限) or "assignment" (办理时限).
    level_source: str | None = None
    #: The earliest open 办理时限, when it ends before the letter's own
    #: deadline (otherwise the reply deadline column says it all).
    assignment_due: datetime | None = None


async def inbox_rows(
    session: AsyncSession, staff: StaffUser, letters: list[Letter], now: datetime
) -> list[InboxRow]:
    """The rows of ``letters``: their warning level for ``staff`` and the
    deadline it comes from (:mod:`leadermail.console.inbox_deadlines`), and
    the unit's 办理时限 where it is earlier than the letter's (one read for
    the page)."""
    settings = staff.tenant.settings
    dues = await open_assignment_dues(
        session, staff, [letter.id for letter in letters if letter.state in OPEN_STATES]
    )
    rows = []
    for letter in letters:
        assignments = dues.get(letter.id, [])
        level, source = reader_level(staff, row_level(letter, now, settings), assignments, now)
        row = InboxRow(letter, level, source)
        earliest = min((due for due, _ in assignments if due is not None), default=None)
        if earliest is not None and (letter.reply_due_at is None or earliest < letter.reply_due_at):
            row.assignment_due = earliest
        rows.append(row)
    return rows


def row_level(letter: Letter, now: datetime, tenant_settings: Mapping[str, Any]) -> str | None:
    if letter.reply_due_at is None or letter.state not in OPEN_STATES:
        return None
    try:
        rule = policy_for(tenant_settings, letter.letter_type).reply
    except DeadlinePolicyError:
        return None
    return warning_level(now, letter.reply_due_at, rule).value
