"""The bell (站内提醒) when a letter's work passes to someone, written in the
transaction of the action that passed it on::

    assignment = await assign_letter(session, staff, letter, actor, unit_id)
    # inside: await assignment_arrived(session, letter, unit, actor, note)
    await session.commit()

Who hears of what:

========================  =============================================
分办                       the receiving unit's handlers
调整办理时限                the assigned unit's handlers
催办, 批示                  the letter's unit's handlers (registrars if none)
答复草稿保存                the leaders (tenant admins if there are none)
答复审核通过                the registrars (tenant admins if none)
申请重新办理, 补充材料       the registrars and the unit's handlers; the
                          writer gets a confirmation (:mod:`.confirmations`)
========================  =============================================

The person who acted is never told of their own action. Each notification has
a ``dedupe_key`` naming the *round* of the handover (the n-th approval of a
reply, the n-th material received, ...), so a double click or a retried
request that repeats the action in the same round adds no second one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.audit.writer import Actor
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.calendar import SHANGHAI
from leadermail.platform.letters.models import Assignment, Letter, LetterEvent, Reply, Unit
from leadermail.platform.notifications.confirmations import confirm_to_writer
from leadermail.platform.notifications.console import (
    leaders_or_admins,
    notify,
    registrars_or_admins,
    unit_handlers,
)
from leadermail.platform.web.templating import format_datetime


def _others(users: Iterable[int], actor: Actor) -> list[int]:
    return [user for user in dict.fromkeys(users) if user != actor.user_id]


def _same_words_key(kind: str, letter: Letter, actor: Actor, text: str) -> str:
    """A 催办 or 批示 has no round of its own: the same words from the same
    person on the same letter and day are one (a double click), anything
    else is a new one."""
    day = utcnow().astimezone(SHANGHAI).date().isoformat()
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return f"{kind}:{letter.id}:{actor.user_id or 0}:{day}:{digest}"


async def _count_events(session: AsyncSession, letter: Letter, kind: str) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(LetterEvent)
            .where(LetterEvent.letter_id == letter.id, LetterEvent.kind == kind)
        )
        or 0
    )


async def assignment_arrived(
    session: AsyncSession,
    letter: Letter,
    unit: Unit,
    actor: Actor,
    note: str | None = None,
    *,
    due_at: datetime | None = None,
) -> None:
    """分办 (by a person or a routing rule) → the handlers of ``unit``, with
    their 办理时限."""
    # Assigning to the same unit again (double click, retry) stays in the
    # round; an assignment to another unit in between starts a new one.
    elsewhere = await session.scalar(
        select(func.count())
        .select_from(Assignment)
        .where(Assignment.letter_id == letter.id, Assignment.unit_id != unit.id)
    )
    body = f"{actor.label}将来信交{unit.name}办理"
    body += f"，办理时限：{format_datetime(due_at)}" if due_at else ""
    body += f"，分办意见：{note}" if note else ""
    await notify(
        session, letter.tenant_id,
        _others(await unit_handlers(session, letter.tenant_id, unit.id), actor),
        kind="assignment", title=f"新分办来信：{letter.title}", body=body,
        letter_id=letter.id, dedupe_key=f"assignment:{letter.id}:{unit.id}:{elsewhere or 0}",
    )


async def assignment_deadline_changed(
    session: AsyncSession,
    letter: Letter,
    assignment: Assignment,
    unit: Unit,
    actor: Actor,
    reason: str,
) -> None:
    """调整办理时限 → the handlers of the assigned unit. Each new date is a
    round of its own; the same date posted twice is one."""
    due = format_datetime(assignment.due_at) if assignment.due_at else "未定"
    await notify(
        session, letter.tenant_id,
        _others(await unit_handlers(session, letter.tenant_id, unit.id), actor),
        kind="assignment_deadline", title=f"办理时限调整：{letter.title}",
        body=f"{actor.label}将{unit.name}的办理时限调整为{due}，理由：{reason}",
        letter_id=letter.id,
        dedupe_key=(
            f"assignment_deadline:{assignment.id}:"
            f"{assignment.due_at.isoformat() if assignment.due_at else ''}"
        ),
    )


async def letter_urged(session: AsyncSession, letter: Letter, actor: Actor, text: str) -> None:
    """催办 → the handlers of the letter's unit (the registrars before it has one)."""
    await notify(
        session, letter.tenant_id,
        _others(await unit_handlers(session, letter.tenant_id, letter.unit_id), actor),
        kind="urge", title=f"来信被催办：{letter.title}", body=f"{actor.label}：{text}",
        letter_id=letter.id, dedupe_key=_same_words_key("urge", letter, actor, text),
    )


async def instruction_given(
    session: AsyncSession, letter: Letter, actor: Actor, text: str
) -> None:
    """批示 → the handlers of the letter's unit (the registrars before it has one)."""
    await notify(
        session, letter.tenant_id,
        _others(await unit_handlers(session, letter.tenant_id, letter.unit_id), actor),
        kind="instruction", title=f"领导批示：{letter.title}", body=f"{actor.label}：{text}",
        letter_id=letter.id, dedupe_key=_same_words_key("instruction", letter, actor, text),
    )


async def reply_ready(session: AsyncSession, letter: Letter, reply: Reply, actor: Actor) -> None:
    """A draft saved (not autosaved) waits for a leader's approval.

    Saving again before the approval stays in the round; a draft edited after
    approval goes back to draft and needs approving again: a new round.
    """
    approvals = await _count_events(session, letter, "reply_approved")
    # A draft returned for revision and saved again is a new round too.
    returns = await _count_events(session, letter, "reply_returned")
    await notify(
        session, letter.tenant_id,
        _others(await leaders_or_admins(session, letter.tenant_id), actor),
        kind="reply_review", title=f"待审核答复：{letter.title}",
        body=f"{actor.label}提交了答复草稿，请审核",
        letter_id=letter.id, dedupe_key=f"reply_review:{reply.id}:{approvals}:{returns}",
    )


async def reply_approved(
    session: AsyncSession, letter: Letter, reply: Reply, actor: Actor
) -> None:
    """An approved reply waits for a registrar to sign and send it."""
    approvals = await _count_events(session, letter, "reply_approved")
    await notify(
        session, letter.tenant_id,
        _others(await registrars_or_admins(session, letter.tenant_id), actor),
        kind="reply_to_send", title=f"待发送答复：{letter.title}",
        body=f"{actor.label}已审核通过答复，请签名并发送",
        letter_id=letter.id, dedupe_key=f"reply_to_send:{reply.id}:{approvals}",
    )


async def reply_returned(
    session: AsyncSession, letter: Letter, reply: Reply, actor: Actor, comment: str
) -> None:
    """A leader sent the draft back: its drafter (else the unit) revises it."""
    if reply.drafted_by_user_id is not None:
        users = [reply.drafted_by_user_id]
    else:
        users = await unit_handlers(session, letter.tenant_id, letter.unit_id)
    returns = await _count_events(session, letter, "reply_returned")
    await notify(
        session, letter.tenant_id, _others(users, actor),
        kind="reply_returned", title=f"答复被退回修改：{letter.title}",
        body=f"{actor.label}：{comment}",
        letter_id=letter.id, dedupe_key=f"reply_returned:{reply.id}:{returns}",
    )


async def _front_door_and_unit(session: AsyncSession, letter: Letter) -> list[int]:
    users = await registrars_or_admins(session, letter.tenant_id)
    if letter.unit_id is not None:
        users += await unit_handlers(session, letter.tenant_id, letter.unit_id)
    return users


async def rehandling_requested(
    session: AsyncSession, letter: Letter, actor: Actor, comment: str | None
) -> None:
    """The writer is 不满意 and asks for the letter to be handled again."""
    await notify(
        session, letter.tenant_id, _others(await _front_door_and_unit(session, letter), actor),
        kind="rehandling", title=f"来信人申请重新办理：{letter.title}",
        body=f"来信人对答复不满意：{comment}" if comment else "来信人对答复不满意",
        letter_id=letter.id, dedupe_key=f"rehandling:{letter.id}:{letter.rehandle_count}",
    )
    confirm_to_writer(session, letter, "rehandling", round_number=letter.rehandle_count)


async def material_received(
    session: AsyncSession, letter: Letter, actor: Actor, text: str, files: int
) -> None:
    """The writer answered a request for material."""
    received = await _count_events(session, letter, "receive_material")
    parts = [f"补充说明：{text}" if text else "", f"附件 {files} 个" if files else ""]
    await notify(
        session, letter.tenant_id, _others(await _front_door_and_unit(session, letter), actor),
        kind="material", title=f"来信人已补充材料：{letter.title}",
        body="；".join(part for part in parts if part),
        letter_id=letter.id, dedupe_key=f"material:{letter.id}:{received}",
    )
    confirm_to_writer(session, letter, "material", round_number=received)
