"""调整办理时限: a registrar moves the deadline of a unit's assignment.

    assignment = await change_assignment_deadline(
        session, staff, letter, actor, assignment_id, date(2026, 12, 4), "承办单位需现场核查"
    )
    await session.commit()

The new date follows the rules of the one chosen at 分办
(:mod:`leadermail.platform.deadlines.assignments`: not in the past, not after
the letter's reply deadline) and needs a reason. The change is an internal
timeline entry, an audit record and a notification to the unit's handlers;
the deadline scan watches the new date afresh (its alerts are per due date).
Refusals raise :class:`ActionRefused` naming the field they are about.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.policy import Action, StaffUser
from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.assignments import AssignmentDeadlineError, assignment_due_on
from leadermail.platform.letters.models import Assignment, Letter, Unit
from leadermail.platform.letters.staff_actions import ActionRefused, require
from leadermail.platform.letters.workflow import OPEN_STATES, add_timeline_event
from leadermail.platform.notifications.handoffs import assignment_deadline_changed
from leadermail.platform.web.templating import format_datetime

MAX_REASON_CHARS = 500
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
