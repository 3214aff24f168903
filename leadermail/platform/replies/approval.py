"""A leader's review of a draft: 审核通过, or 退回修改 with a comment.

    await approve_reply(session, staff, letter, actor, reply)
    await return_reply(session, staff, letter, actor, reply, "请补充整改时限")

An approval puts the reply on the registrars' bell (they sign and send it);
a returned draft goes back to its drafter.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.policy import Action, StaffUser
from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.letters.models import Letter, Reply
from leadermail.platform.letters.staff_actions import ActionRefused, require
from leadermail.platform.letters.workflow import add_timeline_event
from leadermail.platform.notifications.handoffs import reply_approved, reply_returned
from leadermail.platform.replies.review import send_back, settle

#: Timeline kind of a leader's 退回修改 (internal).
RETURNED_EVENT = "reply_returned"
MAX_RETURN_COMMENT_CHARS = 1000


async def approve_reply(
    session: AsyncSession, staff: StaffUser, letter: Letter, actor: Actor, reply: Reply
) -> None:
    require(staff, Action.APPROVE_REPLY, letter)
    if reply.status != "draft" or not reply.body_html:
        raise ActionRefused("只能审核尚未审核的答复草稿")
    reply.status = "approved"
    reply.approved_by_user_id = actor.user_id
    reply.approved_at = utcnow()
    settle(reply)
    await add_timeline_event(session, letter, "reply_approved", actor, message="答复已经领导审核")
    await record_audit(
        session,
        tenant_id=letter.tenant_id,
        actor=actor,
        action="reply.approve",
        object_type="reply",
        object_id=reply.id,
        data={"letter_id": letter.id},
    )
    await reply_approved(session, letter, reply, actor)


async def return_reply(
    session: AsyncSession,
    staff: StaffUser,
    letter: Letter,
    actor: Actor,
    reply: Reply,
    comment: str,
) -> None:
    """退回修改: the leader sends a draft back to its drafter with what to change.

    The reply stays a draft (the drafter edits it and saves again, which asks
    for approval anew); the comment is an internal timeline entry, never shown
    to the writer.
    """
    require(staff, Action.APPROVE_REPLY, letter)
    if reply.status != "draft" or not reply.body_html:
        raise ActionRefused("只能退回尚未审核的答复草稿")
    comment = (comment or "").strip()
    if not comment:
        raise ActionRefused("请填写退回修改的意见")
    if len(comment) > MAX_RETURN_COMMENT_CHARS:
        raise ActionRefused(f"退回意见不能超过 {MAX_RETURN_COMMENT_CHARS} 个字")
    send_back(reply)
    await add_timeline_event(
        session, letter, RETURNED_EVENT, actor,
        message=f"答复退回修改：{comment}", data={"reply_id": reply.id, "comment": comment},
    )
    await record_audit(
        session,
        tenant_id=letter.tenant_id,
        actor=actor,
        action="reply.return",
        object_type="reply",
        object_id=reply.id,
        data={"letter_id": letter.id, "comment": comment},
    )
    await reply_returned(session, letter, reply, actor, comment)
