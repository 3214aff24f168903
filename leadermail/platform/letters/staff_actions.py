"""What staff do to a letter: one verb per action (zulip's ``do_*`` functions).

    letter = await access_letter_by_id(session, staff, letter_id, for_update=True)
    await accept_letter(session, staff, letter, actor)
    await session.commit()

Each verb checks the policy (:func:`~leadermail.platform.accounts.policy.can`),
then changes the letter through ``workflow.apply_transition`` (state changes)
or ``add_timeline_event`` + ``record_audit`` (everything else). All writes join
the caller's transaction; the caller commits. Refusals raise
:class:`ActionRefused` (or ``IllegalTransition``) with a message for the user.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.policy import Action, StaffUser, can
from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.assignments import (
    AssignmentDeadlineError,
    assignment_due_on,
    default_assignment_due,
)
from leadermail.platform.deadlines.letters import refresh_deadlines
from leadermail.platform.jobs.outbox import enqueue
from leadermail.platform.letters.models import (
    LETTER_TYPE_LABELS,
    PRIORITY_LABELS,
    Assignment,
    Category,
    Letter,
    LetterType,
    Unit,
)
from leadermail.platform.letters.notices import issue_notice_for_transition
from leadermail.platform.letters.staff_models import InternalNote, LeaderInstruction
from leadermail.platform.letters.workflow import OPEN_STATES, add_timeline_event, apply_transition
from leadermail.platform.notifications.handoffs import (
    assignment_arrived,
    instruction_given,
    letter_urged,
)

MAX_TEXT_CHARS = 5000


class ActionRefused(Exception):
    """The user may not do this, or the input is not acceptable; ``message`` is for the UI.

    ``field`` names the form field the message belongs next to, when it is
    about one (``due_on``); ``fields`` holds a message per field when several
    are wrong at once. The form then comes back with what was typed.
    """

    def __init__(
        self, message: str, field: str | None = None, fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or ({field: message} if field else {}))


class ReportAssignmentRefused(ActionRefused):
    """A 举报 was about to go to the unit it accuses. The refusal is audited and
    the supervisors are alerted; the caller should still commit."""


def require(staff: StaffUser, action: Action, letter: Letter | None = None) -> None:
    if not can(staff, action, letter):
        raise ActionRefused("您没有执行此操作的权限")


def _text(value: str | None, what: str, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ActionRefused(f"请填写{what}")
    if len(value) > MAX_TEXT_CHARS:
        raise ActionRefused(f"{what}不能超过 {MAX_TEXT_CHARS} 个字符")
    return value


async def register_letter(
    session: AsyncSession, staff: StaffUser, letter: Letter, actor: Actor
) -> None:
    require(staff, Action.REGISTER, letter)
    await apply_transition(session, letter, "register", actor)


async def classify_letter(
    session: AsyncSession,
    staff: StaffUser,
    letter: Letter,
    actor: Actor,
    *,
    letter_type: str,
    category_id: int | None,
    priority: str,
) -> bool:
    """登记分类: the registrar corrects the type and category the writer chose
    and sets the priority. The deadlines follow the type (a 咨询 is answered
    sooner than a 投诉), so they are computed again. False when nothing changed.
    """
    require(staff, Action.REGISTER, letter)
    if letter.state not in OPEN_STATES:
        raise ActionRefused("来信已办结，不能再修改分类")
    if letter_type not in LETTER_TYPE_LABELS:
        raise ActionRefused("请选择来信类型")
    if priority not in PRIORITY_LABELS:
        raise ActionRefused("请选择优先级")
    categories = await _category_names(session, letter.tenant_id)
    if category_id is not None and category_id not in categories:
        raise ActionRefused("请选择有效的问题分类")
    before = (letter.letter_type, letter.category_id, letter.priority)
    after = (letter_type, category_id, priority)
    if before == after:
        return False
    changes = []
    if letter_type != letter.letter_type:
        changes.append(f"类型 {LETTER_TYPE_LABELS.get(letter.letter_type, letter.letter_type)}"
                       f"→{LETTER_TYPE_LABELS[letter_type]}")
    if category_id != letter.category_id:
        changes.append(f"分类 {categories.get(letter.category_id or 0, '未分类')}"
                       f"→{categories.get(category_id or 0, '未分类')}")
    if priority != letter.priority:
        changes.append(f"优先级 {PRIORITY_LABELS.get(letter.priority, letter.priority)}"
                       f"→{PRIORITY_LABELS[priority]}")
    type_changed = letter_type != letter.letter_type
    letter.letter_type, letter.category_id, letter.priority = after
    if type_changed:
        await refresh_deadlines(session, letter, staff.tenant.settings)
    data = {
        "before": dict(zip(("letter_type", "category_id", "priority"), before, strict=True)),
        "after": dict(zip(("letter_type", "category_id", "priority"), after, strict=True)),
    }
    await add_timeline_event(
        session, letter, "classified", actor, message="调整分类：" + "；".join(changes), data=data
    )
    await record_audit(
        session, tenant_id=letter.tenant_id, actor=actor, action="letter.classify",
        object_type="letter", object_id=letter.id, data=data,
    )
    return True


async def _category_names(session: AsyncSession, tenant_id: int) -> dict[int, str]:
    rows = await session.execute(
        select(Category.id, Category.name).where(
            Category.tenant_id == tenant_id, Category.is_active.is_(True)
        )
    )
    return {category_id: name for category_id, name in rows.all()}


async def accept_letter(
    session: AsyncSession, staff: StaffUser, letter: Letter, actor: Actor
) -> None:
    require(staff, Action.ACCEPT, letter)
    await apply_transition(session, letter, "accept", actor)
    # 受理告知: the statutory notice follows the decision at once.
    await issue_notice_for_transition(session, staff.tenant, letter, "accept", actor)


async def reject_letter(
    session: AsyncSession, staff: StaffUser, letter: Letter, actor: Actor, reason: str | None
) -> None:
    require(staff, Action.ACCEPT, letter)
    message = _text(reason, "不予受理的理由")
    await apply_transition(session, letter, "reject", actor, message=message)
    await issue_notice_for_transition(
        session, staff.tenant, letter, "reject", actor, message=message
    )


async def assign_letter(
    session: AsyncSession,
    staff: StaffUser,
    letter: Letter,
    actor: Actor,
    unit_id: int,
    note: str | None = None,
    due_on: date | None = None,
) -> Assignment:
    """分办 to ``unit_id``, to be done by the end of ``due_on`` (办理时限; the
    letter's reply deadline when None, see :mod:`~leadermail.platform.deadlines.assignments`).
    A 举报 never goes to the unit it accuses."""
    require(staff, Action.ASSIGN, letter)
    due_at = default_assignment_due(letter)
    if due_on is not None:
        try:
            due_at = assignment_due_on(letter, due_on, now=utcnow())
        except AssignmentDeadlineError as exc:
            raise ActionRefused(exc.message, field="due_on") from None
    unit = (
        await session.execute(
            select(Unit).where(Unit.id == unit_id, Unit.tenant_id == letter.tenant_id)
        )
    ).scalar_one_or_none()
    if unit is None or not unit.is_active:
        raise ActionRefused("请选择有效的承办单位")
    if letter.letter_type == LetterType.REPORT and letter.accused_unit_id == unit.id:
        await record_audit(
            session,
            tenant_id=letter.tenant_id,
            actor=actor,
            action="letter.assign_refused",
            object_type="letter",
            object_id=letter.id,
            data={"unit_id": unit.id, "reason": "report_to_accused_unit"},
        )
        enqueue(
            session,
            "alert_supervisors_report_misassignment",
            tenant_id=letter.tenant_id,
            letter_id=letter.id,
            unit_id=unit.id,
            actor_user_id=actor.user_id,
        )
        raise ReportAssignmentRefused(
            f"该举报件反映的是“{unit.name}”，不能交由被举报单位办理；已通知督办人员"
        )
    await apply_transition(
        session,
        letter,
        "assign",
        actor,
        message=f"来信已交{unit.name}办理",
        data={"unit_id": unit.id, "note": note, "due_at": due_at.isoformat() if due_at else None},
    )
    await session.execute(
        update(Assignment)
        .where(Assignment.letter_id == letter.id, Assignment.status == "active")
        .values(status="returned", completed_at=utcnow())
    )
    assignment = Assignment(
        tenant_id=letter.tenant_id,
        letter_id=letter.id,
        unit_id=unit.id,
        assigned_by_user_id=actor.user_id,
        note=(note or "").strip() or None,
        due_at=due_at,
    )
    session.add(assignment)
    letter.unit_id = unit.id
    await session.flush()
    await assignment_arrived(session, letter, unit, actor, assignment.note, due_at=due_at)
    return assignment


async def urge_letter(
    session: AsyncSession, staff: StaffUser, letter: Letter, actor: Actor, message: str | None
) -> None:
    """催办: a timeline entry for the unit (not shown to the citizen)."""
    require(staff, Action.URGE, letter)
    text = _text(message, "催办意见", required=False) or "请抓紧办理"
    await add_timeline_event(
        session, letter, "urge", actor, message=text, data={"unit_id": letter.unit_id}
    )
    await record_audit(
        session,
        tenant_id=letter.tenant_id,
        actor=actor,
        action="letter.urge",
        object_type="letter",
        object_id=letter.id,
        data={"message": text, "unit_id": letter.unit_id},
    )
    await letter_urged(session, letter, actor, text)


async def instruct_letter(
    session: AsyncSession, staff: StaffUser, letter: Letter, actor: Actor, body: str | None
) -> LeaderInstruction:
    """领导批示."""
    require(staff, Action.INSTRUCT, letter)
    instruction = LeaderInstruction(
        tenant_id=letter.tenant_id,
        letter_id=letter.id,
        author_user_id=actor.user_id,
        author_label=actor.label,
        body=_text(body, "批示内容"),
    )
    session.add(instruction)
    await session.flush()
    await add_timeline_event(session, letter, "instruction", actor, message="领导作出批示")
    await record_audit(
        session,
        tenant_id=letter.tenant_id,
        actor=actor,
        action="letter.instruct",
        object_type="letter",
        object_id=letter.id,
        data={"instruction_id": instruction.id},
    )
    await instruction_given(session, letter, actor, instruction.body)
    return instruction


async def add_internal_note(
    session: AsyncSession, staff: StaffUser, letter: Letter, actor: Actor, body: str | None
) -> InternalNote:
    """内部备注: staff only, never on the tracking page nor in a publication."""
    require(staff, Action.ADD_NOTE, letter)
    note = InternalNote(
        tenant_id=letter.tenant_id,
        letter_id=letter.id,
        author_user_id=actor.user_id,
        author_label=actor.label,
        body=_text(body, "备注内容"),
    )
    session.add(note)
    await session.flush()
    await record_audit(
        session,
        tenant_id=letter.tenant_id,
        actor=actor,
        action="letter.note",
        object_type="letter",
        object_id=letter.id,
        data={"note_id": note.id},
    )
    return note


async def request_material(
    session: AsyncSession, staff: StaffUser, letter: Letter, actor: Actor, message: str | None
) -> None:
    require(staff, Action.REQUEST_MATERIAL, letter)
    text = _text(message, "需要补充的材料")
    await apply_transition(session, letter, "request_material", actor, message=text)
    # The writer is told by SMS/e-mail too: the request is useless unread.
    await issue_notice_for_transition(
        session, staff.tenant, letter, "request_material", actor, message=text
    )


async def close_letter(
    session: AsyncSession, staff: StaffUser, letter: Letter, actor: Actor
) -> None:
    require(staff, Action.CLOSE, letter)
    await apply_transition(session, letter, "close", actor)
    await session.execute(
        update(Assignment)
        .where(Assignment.letter_id == letter.id, Assignment.status == "active")
        .values(status="completed", completed_at=utcnow())
    )


async def archive_letter(
    session: AsyncSession, staff: StaffUser, letter: Letter, actor: Actor
) -> None:
    require(staff, Action.ARCHIVE, letter)
    await apply_transition(session, letter, "archive", actor)


#: The simple verbs the letter page offers as buttons: transition name →
#: (verb, action checked, needs a text field labelled ...).
SIMPLE_VERBS = {
    "register": (register_letter, Action.REGISTER, None),
    "accept": (accept_letter, Action.ACCEPT, None),
    "close": (close_letter, Action.CLOSE, None),
    "archive": (archive_letter, Action.ARCHIVE, None),
}
TEXT_VERBS = {
    "reject": (reject_letter, Action.ACCEPT, "不予受理的理由"),
    "request_material": (request_material, Action.REQUEST_MATERIAL, "需要补充的材料"),
    "urge": (urge_letter, Action.URGE, "催办意见"),
}
