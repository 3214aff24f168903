"""The inbox's 期限 filter (正常 / 即将到期 / 已超期) and the level a row shows,
measured against the deadlines that apply to whoever reads the inbox.

    branches = level_branches(staff, "overdue", now, dated=True)  # their union
    dues = await open_assignment_dues(session, staff, letters)
    level, source = reader_level(staff, row_level(letter, ...), dues.get(letter.id, []), now)

Which deadlines apply:

* The office (anyone who sees every letter): the letter's reply deadline and
  the 办理时限 of each of its open (``active``) assignments. A letter is as
  urgent as the most urgent of them: "已超期" when the reply deadline *or* a
  unit's 办理时限 is past, so the office tracking its units finds a unit that
  let its own time run out while the letter still had some.
* A unit's handler: their unit's 办理时限 on the letters it holds, the
  letter's own deadline only where the unit has no open assignment (the
  reply deadline is the registrar's business; the unit answers for its own).
  A letter past its reply deadline is overdue for everyone: no 办理时限 ends
  after the letter's (``assignment_due_on``, ``follow_letter_deadline``), so
  this only says so where the data does not.

The reply deadline's levels follow the letter type's rule
(``levels.due_soon_threshold``); a 办理时限's follow its own span
(``deadlines.assignments.assignment_threshold``), written here once more in
SQL for the filter; a test holds the two to the same answers.

Speed: a level is a union of :class:`Branch` es, each read on its own in
deadline order with the page's LIMIT, then merged (:func:`merge_in_order`):
one OR across both kinds would stop the planner walking the deadline index
in order. A letter's own level is a range of that index (tenant migrations
0003 and 0008: ``reply_due_at, id`` over open letters). Letters found by an
open assignment's 办理时限 all start at ``now`` (a letter past its reply
deadline is overdue anyway), and the assignment condition is checked per
letter on the ordered walk the way a search term is (``inbox_search.
matching_rows``): the planner, left to itself, underrates how many of the
letters still in time have a 办理时限 about to end (the two go together),
hashes them all and sorts — 62 ms for 即将到期 on the benchmark's million
letters, against 2 ms walking. Every walk is bounded by the letters still
in time, never by the backlog of late ones.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Interval,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.policy import StaffUser
from leadermail.platform.deadlines.assignments import assignment_level
from leadermail.platform.deadlines.levels import (
    DUE_SOON_FRACTION,
    MIN_WORKING_DAY_WARNING,
    WarningLevel,
    due_soon_threshold,
)
from leadermail.platform.deadlines.policies import DeadlinePolicyError, policy_for
from leadermail.platform.letters.models import LETTER_TYPE_LABELS, Assignment, Letter

#: Which deadline gave a row its level.
REPLY = "reply"
ASSIGNMENT = "assignment"
#: Ranks of urgency (a row shows the most urgent of its deadlines).
_SEVERITY = {None: 0, WarningLevel.NORMAL: 1, WarningLevel.DUE_SOON: 2, WarningLevel.OVERDUE: 3}

#: (办理时限, assigned at) of one open assignment.
AssignmentDue = tuple[datetime | None, datetime]


def _reply_threshold(tenant_settings: Mapping[str, Any], letter_type: str) -> timedelta:
    try:
        return due_soon_threshold(policy_for(tenant_settings, letter_type).reply)
    except DeadlinePolicyError:
        return timedelta(days=1)


def letter_level_condition(
    level: str, now: datetime, tenant_settings: Mapping[str, Any]
) -> ColumnElement[bool]:
    """Dated letters whose *reply deadline* is of one warning level; the
    caller restricts to open letters (and an undated letter is "normal")."""
    if level == WarningLevel.OVERDUE:
        return Letter.reply_due_at < now
    thresholds = {t: _reply_threshold(tenant_settings, t) for t in LETTER_TYPE_LABELS}
    soon = or_(
        *(
            and_(Letter.letter_type == t, Letter.reply_due_at <= now + threshold)
            for t, threshold in thresholds.items()
        )
    )
    if level == WarningLevel.DUE_SOON:
        # The outer bound is implied by ``soon``; spelled out, it is an index
        # range the planner can walk in deadline order and size correctly.
        return and_(
            Letter.reply_due_at >= now,
            Letter.reply_due_at <= now + max(thresholds.values()),
            soon,
        )
    return and_(Letter.reply_due_at > now + min(thresholds.values()), ~soon)


def _urgent_within(now: datetime) -> ColumnElement[bool]:
    """An assignment's 办理时限 ends within its warning threshold (or is past):
    ``due_at - now <= max(span * DUE_SOON_FRACTION, MIN_WORKING_DAY_WARNING)``,
    the span being 分办 → 办理时限 (``assignment_threshold``; a negative span
    times the fraction is below the minimum, as ``max(span, 0)`` is there)."""
    span = Assignment.due_at - Assignment.created_at
    # interval * float8 is PostgreSQL's; SQLAlchemy's Interval type lacks "*".
    share = span.self_group().op("*", return_type=Interval)(literal(DUE_SOON_FRACTION, Float))
    return Assignment.due_at - now <= func.greatest(share, MIN_WORKING_DAY_WARNING)


def _open_assignment(staff: StaffUser, *conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """The letter has an open assignment, within ``staff``'s scope, meeting ``conditions``."""
    scope = [Assignment.letter_id == Letter.id, Assignment.status == "active"]
    if staff.only_handler:
        scope.append(Assignment.unit_id == (staff.unit_id or -1))
    return exists().where(*scope, *conditions)


def _most_urgent(staff: StaffUser, now: datetime) -> ColumnElement[int]:
    """The rank (:data:`_SEVERITY`) of the most urgent open assignment in
    ``staff``'s scope; 0 for one without a 办理时限, NULL without any. A
    scalar subquery: PostgreSQL checks it on each letter walked, where it
    would hash an EXISTS over every active assignment first."""
    rank = case(
        (Assignment.due_at < now, _SEVERITY[WarningLevel.OVERDUE]),
        (_urgent_within(now), _SEVERITY[WarningLevel.DUE_SOON]),
        (Assignment.due_at.is_not(None), _SEVERITY[WarningLevel.NORMAL]),
        else_=0,
    )
    scope = [Assignment.letter_id == Letter.id, Assignment.status == "active"]
    if staff.only_handler:
        scope.append(Assignment.unit_id == (staff.unit_id or -1))
    return select(func.max(rank)).where(*scope).scalar_subquery()


@dataclass(frozen=True)
class Branch:
    """Part of a warning level: ``where`` is for the planner (a range of the
    deadline index, and joins it may turn either way); ``checked`` (when
    set) is checked on each letter of the walk in deadline order, the way a
    search term is (``inbox_search.matching_rows``)."""

    where: list[ColumnElement[bool]]
    checked: ColumnElement[bool] | None = None


def level_branches(staff: StaffUser, level: str, now: datetime, *, dated: bool) -> list[Branch]:
    """The open letters of warning ``level`` for ``staff``, as branches whose
    union is that level, in one part of the inbox (``dated``: letters with a
    reply deadline, else those without). A letter may be in two of them.
    """
    unit = staff.only_handler
    letter_level: ColumnElement[bool] | None = None
    if dated:
        letter_level = letter_level_condition(level, now, staff.tenant.settings)
    in_time = [Letter.reply_due_at >= now] if dated else []
    past = Assignment.due_at < now
    if level == WarningLevel.OVERDUE:
        # Letters in time with a 办理时限 past: the planner walks them in
        # order probing each (many such), or starts from the few overdue
        # assignments (ix_assignments_active_due), as the statistics say.
        own = [Branch([letter_level])] if letter_level is not None else []
        return [*own, Branch([*in_time, _open_assignment(staff, past)])]
    if level == WarningLevel.DUE_SOON:
        # The letter's own deadline counts for a unit only where the unit
        # has no open assignment; for the office unless a 办理时限 is past.
        unless = _open_assignment(staff) if unit else _open_assignment(staff, past)
        own = [Branch([letter_level, ~unless])] if letter_level is not None else []
        # Letters still in time and 办理时限 about to end go together, which
        # the planner cannot know: it would hash every assignment due later
        # and sort (62 ms on the benchmark's million letters; walked, 2 ms).
        soon = _most_urgent(staff, now) == _SEVERITY[WarningLevel.DUE_SOON]
        return [*own, Branch(in_time, soon)]
    # Most open letters are "normal": the walk finds a page's worth at once.
    calm = [*in_time, ~_open_assignment(staff, _urgent_within(now))]
    if letter_level is not None:
        # A unit's letter is calm by the unit's 办理时限 where it has one.
        calm.append(or_(_open_assignment(staff), letter_level) if unit else letter_level)
    return [Branch(calm)]


def merge_in_order(parts: Sequence[list[Letter]], limit: int) -> list[Letter]:
    """The first ``limit`` letters of several lists, each in inbox order
    (deadline, then id; undated letters last), without repeats."""
    if len(parts) == 1:
        return parts[0][:limit]

    def key(letter: Letter) -> tuple[bool, datetime | None, int]:
        due = letter.reply_due_at
        return (due is None, due if due is not None else datetime.min, letter.id)

    merged: list[Letter] = []
    seen: set[int] = set()
    for letter in heapq.merge(*parts, key=key):
        if letter.id not in seen:
            seen.add(letter.id)
            merged.append(letter)
            if len(merged) == limit:
                break
    return merged


async def open_assignment_dues(
    session: AsyncSession, staff: StaffUser, letter_ids: Iterable[int]
) -> dict[int, list[AssignmentDue]]:
    """The open assignments in ``staff``'s scope of these (open) letters, one read."""
    wanted = list(letter_ids)
    if not wanted:
        return {}
    statement = select(Assignment.letter_id, Assignment.due_at, Assignment.created_at).where(
        Assignment.letter_id.in_(wanted), Assignment.status == "active"
    )
    if staff.only_handler:
        statement = statement.where(Assignment.unit_id == (staff.unit_id or -1))
    dues: dict[int, list[AssignmentDue]] = {}
    for letter_id, due_at, assigned_at in await session.execute(statement):
        dues.setdefault(letter_id, []).append((due_at, assigned_at))
    return dues


def reader_level(
    staff: StaffUser,
    letter_level: str | None,
    assignments: Sequence[AssignmentDue],
    now: datetime,
) -> tuple[str | None, str | None]:
    """The level a row shows ``staff`` and which deadline gave it (REPLY /
    ASSIGNMENT; None when no deadline applies): the same rule as
    :func:`level_branches`. ``letter_level`` is the reply deadline's level,
    ``assignments`` the letter's open ones in ``staff``'s scope."""
    levels = [assignment_level(due, assigned_at, now) for due, assigned_at in assignments]
    own = WarningLevel(letter_level) if letter_level is not None else None
    if staff.only_handler and assignments:
        worst = max(levels, key=_SEVERITY.__getitem__)
        if own == WarningLevel.OVERDUE and worst != WarningLevel.OVERDUE:
            return own.value, REPLY  # late for everyone, whatever the unit was given
        return (worst.value if worst is not None else None), ASSIGNMENT
    level, source = own, (REPLY if own is not None else None)
    for unit_level in levels:
        # Ties go to the reply deadline: it is the one owed to the writer.
        if _SEVERITY[unit_level] > _SEVERITY[level]:
            level, source = unit_level, ASSIGNMENT
    return (level.value if level is not None else None), source
