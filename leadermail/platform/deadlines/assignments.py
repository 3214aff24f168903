"""办理时限: the deadline a unit gets with a letter assigned to it (分办).

《信访工作条例》 art. 22(3) lets the one who assigns a matter set the period
within which the unit reports its result ("在指定办理期限内反馈结果"). The
letter's reply deadline is what the mailbox owes the writer, so a unit's
deadline defaults to it and may be set earlier (the registrar needs time to
have the reply approved and sent), never later, and never in the past::

    default_assignment_due(letter)                      # letter.reply_due_at
    day = parse_due_day(form["due_on"])                 # date | None, or AssignmentDeadlineError
    due = assignment_due_on(letter, day, now=utcnow())  # end of that day, Shanghai, as UTC
    assignment_level(due, assignment.created_at, now)  # WarningLevel, None without a date

    # the letter's deadline moved (延期, re-handling, a new type, a loaded schedule):
    await follow_letter_deadline(session, letter, previous_due)

A chosen day ends at 23:59:59 Shanghai like every deadline here; on the
letter's own last day it ends when the letter's deadline does (a 24-hour
rule may end at 15:00). To give a unit more time than the letter has, the
letter's deadline is extended first (延期, :mod:`leadermail.platform.letters.extensions`).

When the letter's own deadline moves, an active assignment that had it
(the default) moves with it, so an approved extension or a new round after
不满意 gives the unit the time too instead of leaving it "overdue"; one the
registrar set earlier stays, unless it would now end after the letter's.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.deadlines.calendar import end_of_day, local_day
from leadermail.platform.deadlines.levels import (
    DUE_SOON_FRACTION,
    MIN_WORKING_DAY_WARNING,
    WarningLevel,
    level_within,
)
from leadermail.platform.letters.models import Assignment, Letter
from leadermail.platform.web.templating import format_datetime


class AssignmentDeadlineError(ValueError):
    """A 办理时限 that cannot be used; ``message`` is for the form (Chinese)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def default_assignment_due(letter: Letter) -> datetime | None:
    """The 办理时限 of an assignment nobody chose one for: the letter's reply deadline."""
    return letter.reply_due_at


def latest_day(letter: Letter) -> date | None:
    """The last day a 办理时限 may fall on (None: the letter has no deadline)."""
    return local_day(letter.reply_due_at) if letter.reply_due_at is not None else None


def default_day(letter: Letter, now: datetime) -> date | None:
    """What the 分办 form offers: the letter's last day, unless that is already over."""
    due = default_assignment_due(letter)
    if due is None or due < now:
        return None
    return local_day(due)


def parse_due_day(text: str | None) -> date | None:
    """The form's date (``2026-12-01``, as a date input sends it; ``2026/12/01``
    typed by hand); None when left empty."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        raise AssignmentDeadlineError("请填写有效的日期，例如 2026-12-01") from None


def assignment_due_on(letter: Letter, day: date, *, now: datetime) -> datetime:
    """The 办理时限 ending on ``day``, checked against today and the letter's deadline."""
    if day < local_day(now):
        raise AssignmentDeadlineError("办理时限不能早于今天")
    letter_due = letter.reply_due_at
    if letter_due is None:
        return end_of_day(day)
    if day > local_day(letter_due):
        raise AssignmentDeadlineError(
            f"办理时限不能晚于来信的答复期限（{format_datetime(letter_due)}）"
        )
    due = min(end_of_day(day), letter_due)
    if due < now:
        raise AssignmentDeadlineError(
            f"来信的答复期限（{format_datetime(letter_due)}）已过，不能另定办理时限；"
            "如需给承办单位更多时间，请先办理延期"
        )
    return due


def assignment_threshold(assigned_at: datetime, due_at: datetime) -> timedelta:
    """How long before its end a 办理时限 turns 即将到期: the share of its own
    span (分办 → 办理时限) that makes a letter "due soon", and at least its
    last day. The letter's reply rule would not do: a unit given two days of
    a ten-day letter would be "due soon" from the moment it got the letter."""
    span = max(due_at - assigned_at, timedelta(0))
    return max(span * DUE_SOON_FRACTION, MIN_WORKING_DAY_WARNING)


def assignment_level(
    due_at: datetime | None, assigned_at: datetime, now: datetime
) -> WarningLevel | None:
    """正常 / 即将到期 / 已超期 of a 办理时限 (the inbox's warning levels)."""
    if due_at is None:
        return None
    return level_within(now, due_at, assignment_threshold(assigned_at, due_at))


async def follow_letter_deadline(
    session: AsyncSession, letter: Letter, previous_due: datetime | None
) -> None:
    """``letter.reply_due_at`` changed from ``previous_due``: its active
    assignments that had the old deadline take the new one, and none ends
    after it."""
    new_due = letter.reply_due_at
    if new_due == previous_due:
        return
    had_it = (
        Assignment.due_at.is_(None) if previous_due is None else Assignment.due_at == previous_due
    )
    conditions = [had_it] if new_due is None else [had_it, Assignment.due_at > new_due]
    await session.execute(
        update(Assignment)
        .where(
            Assignment.letter_id == letter.id,
            Assignment.status == "active",
            or_(*conditions),
        )
        .values(due_at=new_due)
        .execution_options(synchronize_session=False)
    )
