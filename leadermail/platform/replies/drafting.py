"""Drafting a reply: the editor's save and autosave, and which reply is which.

    reply = await save_draft(session, staff, letter, actor, form["body"])
    reply = await save_draft(session, staff, letter, actor, typed, autosave=True)

    replies = await letter_replies(session, letter)   # oldest first
    working_reply(replies)                            # the draft or approved one, or None
    sent_replies(replies)                             # what the citizen received

Editing an approved draft sends it back to draft: a leader approves exactly
the text that goes out. Saving a draft (the editor's button, not the
autosave) puts it on the leaders' bell.

After 不满意 and re-handling (once, ``workflow.MAX_REHANDLING``) the letter is
draftable again while its last reply is sent: the next draft is a *new*
reply, and the sent ones stay as they were (the citizen received them).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.policy import Action, StaffUser
from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.letters.models import Letter, Reply
from leadermail.platform.letters.staff_actions import ActionRefused, require
from leadermail.platform.notifications.handoffs import reply_ready
from leadermail.platform.replies.review import put_forward
from leadermail.platform.replies.sanitize import MAX_REPLY_CHARS, reply_html_from_form

DRAFTABLE_STATES = frozenset({"accepted", "assigned", "awaiting_material"})
#: A reply in these statuses is still being worked on; "sent" is final.
WORKING_STATUSES = frozenset({"draft", "approved"})


async def current_reply(session: AsyncSession, letter: Letter) -> Reply | None:
    """The newest reply of the letter (a draft being worked on, or the last sent)."""
    return (
        await session.execute(
            select(Reply)
            .where(Reply.letter_id == letter.id, Reply.tenant_id == letter.tenant_id)
            .order_by(Reply.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def letter_replies(session: AsyncSession, letter: Letter) -> list[Reply]:
    """Every reply of the letter, oldest first (several once it was handled again)."""
    return list(
        await session.scalars(
            select(Reply)
            .where(Reply.letter_id == letter.id, Reply.tenant_id == letter.tenant_id)
            .order_by(Reply.id)
        )
    )


def working_reply(replies: Sequence[Reply]) -> Reply | None:
    """The reply being drafted or awaiting sending: the newest, unless it was sent."""
    newest = replies[-1] if replies else None
    return newest if newest is not None and newest.status in WORKING_STATUSES else None


def sent_replies(replies: Sequence[Reply]) -> list[Reply]:
    """What the citizen received, oldest first; the last one is the answer in force."""
    return [reply for reply in replies if reply.status == "sent"]


async def save_draft(
    session: AsyncSession,
    staff: StaffUser,
    letter: Letter,
    actor: Actor,
    raw_body: str,
    *,
    autosave: bool = False,
) -> Reply:
    require(staff, Action.DRAFT_REPLY, letter)
    if letter.state not in DRAFTABLE_STATES:
        raise ActionRefused("来信当前状态不能起草答复")
    body_html = reply_html_from_form(raw_body)
    if len((raw_body or "").strip()) > MAX_REPLY_CHARS:
        raise ActionRefused(f"答复不能超过 {MAX_REPLY_CHARS} 个字符")
    if not body_html and not autosave:
        raise ActionRefused("请填写答复内容")
    reply = await current_reply(session, letter)
    if reply is not None and reply.status == "sent":
        reply = None  # handled again after 不满意: a new reply
    if reply is None or reply.body_html != body_html:
        reply = await _write_draft(session, letter, actor, reply, body_html, autosave=autosave)
    if not autosave and reply.status == "draft":
        # Also when the autosave already holds this text: pressing the button
        # is what says the draft is ready.
        put_forward(reply)
        await reply_ready(session, letter, reply, actor)
    return reply


async def _write_draft(
    session: AsyncSession,
    letter: Letter,
    actor: Actor,
    reply: Reply | None,
    body_html: str,
    *,
    autosave: bool,
) -> Reply:
    created = reply is None
    if reply is None:
        reply = Reply(
            tenant_id=letter.tenant_id,
            letter_id=letter.id,
            unit_id=letter.unit_id,
            body_html=body_html,
            status="draft",
            drafted_by_user_id=actor.user_id,
        )
        session.add(reply)
        await session.flush()
    else:
        reply.body_html = body_html
        reply.drafted_by_user_id = actor.user_id
        if reply.status == "approved":
            # The leader approved another text: approve again.
            reply.status = "draft"
            reply.approved_by_user_id = None
            reply.approved_at = None
        reply.updated_at = utcnow()
    await record_audit(
        session,
        tenant_id=letter.tenant_id,
        actor=actor,
        action="reply.autosave" if autosave else ("reply.draft" if created else "reply.edit"),
        object_type="reply",
        object_id=reply.id,
        data={"letter_id": letter.id},
    )
    return reply
