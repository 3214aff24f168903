"""A letter's deadlines from its tenant's policy, its routing and its extensions.

The engine (rules, policies, calendar) knows nothing about letters; this
module is where the two meet, so the scan, the recompute job, routing and the
extension flow all compute a letter's dates the same way::

    calendar = await session_calendar(session)
    dates = letter_deadlines(letter, tenant.settings, calendar)
    changed = apply_deadlines(letter, dates)

What a letter may carry in ``letter.extra``:

* ``deadline_rule``: a reply rule code set by a routing rule ("10wd");
* ``extensions``: the approved extension rule codes, in order (["15d"]).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.deadlines.calendar import WorkCalendar
from leadermail.platform.deadlines.models import HolidayDay
from leadermail.platform.deadlines.policies import policy_for
from leadermail.platform.deadlines.rules import DeadlineRule, Due, compute_due, extend
from leadermail.platform.letters.models import Letter

RULE_KEY = "deadline_rule"
EXTENSIONS_KEY = "extensions"


async def session_calendar(session: AsyncSession) -> WorkCalendar:
    """The current calendar, read through any session (``core.holiday_days``
    is schema-qualified, so a tenant session reads it too)."""
    from leadermail.platform.deadlines.schedule import calendar_from_rows

    rows = await session.execute(
        select(HolidayDay.day, HolidayDay.kind, HolidayDay.name, HolidayDay.year)
    )
    return calendar_from_rows(rows.all())


def clock_start(letter: Letter) -> datetime:
    """Both clocks start when the letter reached the tenant."""
    return letter.received_at or letter.submitted_at


def reply_rule(letter: Letter, tenant_settings: Mapping[str, Any] | None) -> DeadlineRule:
    code = (letter.extra or {}).get(RULE_KEY)
    if code:
        return DeadlineRule.parse(code)
    return policy_for(tenant_settings, letter.letter_type).reply


def acceptance_rule(letter: Letter, tenant_settings: Mapping[str, Any] | None) -> DeadlineRule:
    return policy_for(tenant_settings, letter.letter_type).acceptance


@dataclass(frozen=True)
class LetterDeadlines:
    acceptance: Due
    #: Before any extension (the 30-day extension cap is measured from it).
    original_reply: Due
    reply: Due

    @property
    def provisional(self) -> bool:
        return self.acceptance.provisional or self.reply.provisional


def letter_deadlines(
    letter: Letter, tenant_settings: Mapping[str, Any] | None, calendar: WorkCalendar
) -> LetterDeadlines:
    start = clock_start(letter)
    acceptance = compute_due(start, acceptance_rule(letter, tenant_settings), calendar)
    original = compute_due(start, reply_rule(letter, tenant_settings), calendar)
    reply = original
    for code in (letter.extra or {}).get(EXTENSIONS_KEY, []):
        reply = extend(reply, DeadlineRule.parse(code), calendar, original_due_at=original.due_at)
    return LetterDeadlines(acceptance, original, reply)


def apply_deadlines(letter: Letter, dates: LetterDeadlines) -> bool:
    """Store ``dates`` on the letter; True when anything changed."""
    before = (letter.acceptance_due_at, letter.reply_due_at, letter.deadline_provisional)
    letter.acceptance_due_at = dates.acceptance.due_at
    letter.reply_due_at = dates.reply.due_at
    letter.deadline_provisional = dates.provisional
    return before != (letter.acceptance_due_at, letter.reply_due_at, letter.deadline_provisional)
