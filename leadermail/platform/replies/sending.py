"""Sending an approved reply: signed with the tenant key, the letter 已答复.

    signature = await send_reply(session, staff, letter, actor, reply, secret)

The text sent is signed (kind "sent") in the name of the leader who approved
it, and the writer is told (答复告知, by SMS/e-mail). On a letter published
before (re-handled after 不满意) the new reply is held off the public page
until staff review its public text and publish it (``publishing``).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.models import User
from leadermail.platform.accounts.policy import Action, StaffUser
from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.letters.models import Letter, Reply
from leadermail.platform.letters.notices import issue_notice_for_transition
from leadermail.platform.letters.staff_actions import ActionRefused, require
from leadermail.platform.letters.workflow import apply_transition
from leadermail.platform.replies.models import ReplySignature
from leadermail.platform.replies.publishing import hold_reply
from leadermail.platform.replies.sanitize import html_to_text
from leadermail.platform.replies.signing import (
    covered_attachments,
    ensure_signing_key,
    sign_reply,
)


async def send_reply(
    session: AsyncSession,
    staff: StaffUser,
    letter: Letter,
    actor: Actor,
    reply: Reply,
    secret: str,
) -> ReplySignature:
    require(staff, Action.SEND_REPLY, letter)
    if reply.status != "approved":
        raise ActionRefused("答复须经领导审核后才能发送")
    await apply_transition(session, letter, "send_reply", actor, data={"reply_id": reply.id})
    signer = await _signer_name(session, staff, reply)
    key = await ensure_signing_key(session, letter.tenant_id, secret)
    signature = await sign_reply(
        session,
        key,
        secret,
        reply,
        kind="sent",
        text=html_to_text(reply.body_html),
        signer_name=signer,
        tracking_code=letter.tracking_code,
        attachments=await covered_attachments(session, reply, "sent"),
    )
    reply.status = "sent"
    reply.sent_at = utcnow()
    reply.signer_name = signer
    reply.signature = signature.signature
    held = letter.is_published
    if held:
        # Published before (re-handled after 不满意): nobody has reviewed this
        # text for the public yet; the page keeps what was published.
        hold_reply(letter, reply)
    await record_audit(
        session,
        tenant_id=letter.tenant_id,
        actor=actor,
        action="reply.send",
        object_type="reply",
        object_id=reply.id,
        data={
            "letter_id": letter.id,
            "key": key.fingerprint,
            "signature_id": signature.id,
            "held_for_publication": held,
        },
    )
    await issue_notice_for_transition(session, staff.tenant, letter, "send_reply", actor)
    return signature


async def _signer_name(session: AsyncSession, staff: StaffUser, reply: Reply) -> str:
    # The leader who approved the text is the one who answers for it.
    name = staff.display_name
    if reply.approved_by_user_id is not None:
        approver = (
            await session.execute(
                select(User.display_name).where(User.id == reply.approved_by_user_id)
            )
        ).scalar_one_or_none()
        name = approver or name
    return f"{staff.tenant.name} {name}"
