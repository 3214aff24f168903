"""调整办理时限: a registrar moves the deadline of a unit's assignment; and the
check a bulk 分办 makes of its one 办理时限 against every ticked letter.

    assignment = await change_assignment_deadline(
        session, staff, letter, actor, assignment_id, date(2026, 12, 4), "承办单位需现场核查"
    )
    await session.commit()

    problem = bulk_deadline_problem(letters, date(2026, 12, 4), now=utcnow())  # str | None

The new date follows the rules of the one chosen at 分办
(:mod:`leadermail.platform.deadlines.assignments`: not in the past, not after
the letter's reply deadline) and needs a reason. The change is an internal
timeline entry, an audit record and a notification to the unit's handlers;
the deadline scan watches the new date afresh (its alerts are per due date).
Refusals raise :class:`ActionRefused` naming the field they are about.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.policy import Action, StaffUser
from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.assignments import AssignmentDeadlineError, assignment_due_on
from leadermail.platform.letters.models import Assignment, Letter, Unit
from leadermail.platform.letters.staff_actions import ActionRefused, require
from leadermail.platform.letters.tracking import format_tracking_code
from leadermail.platform.letters.workflow import OPEN_STATES, TRANSITIONS, add_timeline_event
from leadermail.platform.notifications.handoffs import assignment_deadline_changed
from leadermail.platform.web.templating import format_datetime

MAX_REASON_CHARS = 500
#: Letters a bulk refusal names one by one; the rest are counted.
MAX_NAMED_LETTERS = 5
#: Timeline kind of a change (internal: the writer sees the letter's deadline only).
DEADLINE_CHANGED_EVENT = "assignment_deadline"


async def change_assignment_deadline(
    session: AsyncSession,
    staff: StaffUser,
    letter: Letter,
    actor: Actor,
    assignment_id: int,
    due_on: date | None,
    reason: str | None,
) -> Assignment:
    require(staff, Action.ASSIGN, letter)
    assignment = (
        await session.execute(
            select(Assignment)
            .where(
                Assignment.id == assignment_id,
                Assignment.letter_id == letter.id,
                Assignment.tenant_id == letter.tenant_id,
            )
            .with_for_update()
        )
    ).scalar_one_or_none()
    if assignment is None:
        raise ActionRefused("分办记录不存在")
    if assignment.status != "active" or letter.state not in OPEN_STATES:
        raise ActionRefused("只能调整办理中的分办的办理时限")
    reason = (reason or "").strip()
    problems: dict[str, str] = {}
    if due_on is None:
        problems["due_on"] = "请选择新的办理时限"
    else:
        try:
            new_due = assignment_due_on(letter, due_on, now=utcnow())
        except AssignmentDeadlineError as exc:
            problems["due_on"] = exc.message
        else:
            if new_due == assignment.due_at:
                problems["due_on"] = "新的办理时限与原办理时限相同"
    if not reason:
        problems["reason"] = "请填写调整理由"
    elif len(reason) > MAX_REASON_CHARS:
        problems["reason"] = f"调整理由不能超过 {MAX_REASON_CHARS} 个字"
    if problems:
        field, message = next(iter(problems.items()))
        raise ActionRefused(message, field=field, fields=problems)
    unit = await session.get(Unit, assignment.unit_id)
    unit_name = unit.name if unit is not None else "承办单位"
    previous = assignment.due_at
    assignment.due_at = new_due
    data = {
        "assignment_id": assignment.id,
        "unit_id": assignment.unit_id,
        "previous_due_at": previous.isoformat() if previous else None,
        "new_due_at": new_due.isoformat(),
        "reason": reason,
    }
    await add_timeline_event(
        session, letter, DEADLINE_CHANGED_EVENT, actor,
        message=(
            f"调整{unit_name}的办理时限：{format_datetime(previous) or '未定'}"
            f" → {format_datetime(new_due)}；理由：{reason}"
        ),
        data=data,
    )
    await record_audit(
        session, tenant_id=letter.tenant_id, actor=actor, action="letter.assignment_deadline",
        object_type="letter", object_id=letter.id, data=data,
    )
    if unit is not None:
        await assignment_deadline_changed(session, letter, assignment, unit, actor, reason)
    return assignment


def bulk_deadline_problem(letters: Iterable[Letter], day: date, *, now: datetime) -> str | None:
    """What is wrong with ``day`` as the one 办理时限 of a bulk 分办 of
    ``letters`` (for the form, next to the field), or None.

    Each letter is held to the rules of its own 分办 (``assignment_due_on``:
    not before today, not after that letter's reply deadline). The date is
    refused for all when it does not fit one, so nobody gets a batch half
    assigned to a date they then have to correct letter by letter. Letters
    that cannot be assigned now (their state) are not checked: the 分办
    itself refuses them, with its own reason.
    """
    refused: list[tuple[Letter, str]] = []
    checked = 0
    for letter in letters:
        if letter.state not in TRANSITIONS["assign"].sources:
            continue
        checked += 1
        try:
            assignment_due_on(letter, day, now=now)
        except AssignmentDeadlineError as exc:
            refused.append((letter, exc.message))
    if not refused:
        return None
    reasons = {message for _, message in refused}
    if len(reasons) == 1 and len(refused) == checked:
        return reasons.pop()  # not about the letters: "不能早于今天"
    named = "；".join(
        f"{format_tracking_code(letter.tracking_code)}：{message}"
        for letter, message in refused[:MAX_NAMED_LETTERS]
    )
    more = f"等 {len(refused)} 件" if len(refused) > MAX_NAMED_LETTERS else ""
    return (
        f"{named}{more}。请改选日期，或取消勾选这些来信"
        "（不填办理时限则各件以其答复期限为准）"
    )
