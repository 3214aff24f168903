"""A letter's deadlines from its tenant's policy, its routing and its extensions.

The engine (rules, policies, calendar) knows nothing about letters; this
module is where the two meet, so the scan, the recompute job, routing and the
extension flow all compute a letter's dates the same way::

    calendar = await session_calendar(session)
    dates = letter_deadlines(letter, tenant.settings, calendar)
    changed = apply_deadlines(letter, dates)

    # or, for one letter whose type, rule or clock just changed:
    changed = await refresh_deadlines(session, letter, tenant.settings)

What a letter may carry in ``letter.extra``:

* ``deadline_rule``: a reply rule code set by a routing rule ("10wd");
* ``extensions``: the approved extension rule codes, in order (["15d"]);
* ``reply_clock_restarted_at``: when the citizen, 不满意, asked for the letter
  to be handled again (ISO 8601); the reply clock of the new round starts
  there (``restart_reply_clock``);
* ``earlier_extensions``: extensions of rounds before that, for the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.deadlines.assignments import follow_letter_deadline
from leadermail.platform.deadlines.calendar import WorkCalendar
from leadermail.platform.deadlines.models import HolidayDay
from leadermail.platform.deadlines.policies import policy_for
from leadermail.platform.deadlines.rules import DeadlineRule, Due, compute_due, extend
from leadermail.platform.letters.models import Letter

RULE_KEY = "deadline_rule"
EXTENSIONS_KEY = "extensions"
REPLY_CLOCK_KEY = "reply_clock_restarted_at"
EARLIER_EXTENSIONS_KEY = "earlier_extensions"


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


def reply_clock_start(letter: Letter) -> datetime:
    """Where the reply clock of the current round started: arrival, or the
    latest request to handle the letter again."""
    restarted = (letter.extra or {}).get(REPLY_CLOCK_KEY)
    return datetime.fromisoformat(restarted) if restarted else clock_start(letter)


def restart_reply_clock(letter: Letter, at: datetime) -> None:
    """Start a new reply round at ``at`` (handling again after 不满意).

    The new round gets the letter's own reply rule again, counted from the
    request: no national figure exists for 二次办理, and leaving the first
    round's deadline in place would show the letter overdue the moment it
    came back, charging its unit with a delay it could not avoid. The first
    round's extensions were granted for the first round's work, so they do
    not carry over (a new round may ask for its own); they are kept under
    ``earlier_extensions``. The caller recomputes the dates
    (``letter_deadlines`` + ``apply_deadlines``).
    """
    extra = dict(letter.extra or {})
    extra[REPLY_CLOCK_KEY] = at.isoformat()
    earlier = extra.pop(EXTENSIONS_KEY, [])
    if earlier:
        extra[EARLIER_EXTENSIONS_KEY] = [*extra.get(EARLIER_EXTENSIONS_KEY, []), *earlier]
    letter.extra = extra


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
    #: The current round's, before any extension (the 30-day extension cap is
    #: measured from it).
    original_reply: Due
    reply: Due

    @property
    def provisional(self) -> bool:
        return self.acceptance.provisional or self.reply.provisional


def letter_deadlines(
    letter: Letter, tenant_settings: Mapping[str, Any] | None, calendar: WorkCalendar
) -> LetterDeadlines:
    acceptance = compute_due(
        clock_start(letter), acceptance_rule(letter, tenant_settings), calendar
    )
    original = compute_due(
        reply_clock_start(letter), reply_rule(letter, tenant_settings), calendar
    )
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


async def refresh_deadlines(
    session: AsyncSession, letter: Letter, tenant_settings: Mapping[str, Any] | None
) -> bool:
    """Compute ``letter``'s deadlines again (its type, rule or clock changed)
    with the current calendar and store them, its units' 办理时限 following;
    True when anything changed."""
    calendar = await session_calendar(session)
    previous = letter.reply_due_at
    changed = apply_deadlines(letter, letter_deadlines(letter, tenant_settings, calendar))
    if changed:
        await follow_letter_deadline(session, letter, previous)
    return changed
