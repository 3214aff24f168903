"""Reply verbs: draft (and autosave), approve, send, publish.

    reply = await save_draft(session, staff, letter, actor, form["body"])
    await approve_reply(session, staff, letter, actor, reply)          # leader
    await send_reply(session, staff, letter, actor, reply, secret)     # signs, 已答复
    await set_publication(session, staff, letter, actor, True, secret) # only with consent
    await mark_attachment_public(session, staff, letter, actor, file_id, True, secret)

A reply goes draft → approved → sent. Editing an approved draft sends it back
to draft: a leader approves exactly the text that goes out. The text sent is
signed with the tenant key (kind "sent"); publishing signs the redacted public
text (kind "public") so the published page carries a verifiable signature.
Sending also tells the writer (答复告知, by SMS/e-mail). Saving a draft (the
editor's button, not the autosave) puts it on the leaders' bell, an approval
on the registrars'.

After 不满意 and re-handling (once, ``workflow.MAX_REHANDLING``) the letter is
draftable again while its last reply is sent: the next draft is a *new* reply,
and the sent ones stay as they were (the citizen received them)::

    replies = await letter_replies(session, letter)   # oldest first
    working_reply(replies)                            # the draft or approved one, or None
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.models import User
from leadermail.platform.accounts.policy import Action, StaffUser
from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.letters.models import Attachment, Letter, Reply
from leadermail.platform.letters.notices import issue_notice_for_transition
from leadermail.platform.letters.staff_actions import ActionRefused, require
from leadermail.platform.letters.workflow import add_timeline_event, apply_transition
from leadermail.platform.notifications.handoffs import reply_approved, reply_ready, reply_returned
from leadermail.platform.privacy import redact
from leadermail.platform.replies.attachments import set_attachment_public
from leadermail.platform.replies.models import CannedReply, ReplySignature, SigningKey
from leadermail.platform.replies.sanitize import (
    MAX_REPLY_CHARS,
    html_to_editor_text,
    html_to_text,
    reply_html_from_form,
    sanitize_reply_html,
)
from leadermail.platform.replies.signing import (
    covered_attachments,
    ensure_signing_key,
    sign_reply,
)

DRAFTABLE_STATES = frozenset({"accepted", "assigned", "awaiting_material"})
#: A reply in these statuses is still being worked on; "sent" is final.
WORKING_STATUSES = frozenset({"draft", "approved"})
#: Timeline kind of a leader's 退回修改 (internal).
RETURNED_EVENT = "reply_returned"
MAX_RETURN_COMMENT_CHARS = 1000


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


async def approve_reply(
    session: AsyncSession, staff: StaffUser, letter: Letter, actor: Actor, reply: Reply
) -> None:
    require(staff, Action.APPROVE_REPLY, letter)
    if reply.status != "draft" or not reply.body_html:
        raise ActionRefused("只能审核尚未审核的答复草稿")
    reply.status = "approved"
    reply.approved_by_user_id = actor.user_id
    reply.approved_at = utcnow()
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
    if letter.is_published and letter.publish_consent:
        # Published before (re-handled after 不满意): the new answer goes on the
        # public page at once, so it needs its public signature too.
        await _sign_public(session, key, secret, letter, reply)
    await record_audit(
        session,
        tenant_id=letter.tenant_id,
        actor=actor,
        action="reply.send",
        object_type="reply",
        object_id=reply.id,
        data={"letter_id": letter.id, "key": key.fingerprint, "signature_id": signature.id},
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


@dataclass(frozen=True)
class PublicPreview:
    title: str
    body: str
    reply_text: str


def public_preview(letter: Letter, reply: Reply | None) -> PublicPreview:
    """What the public will see: letter and reply with the writer's personal
    data (name, phones, ID numbers, e-mails, house numbers) redacted."""
    names = [letter.writer_name]
    reply_text = html_to_text(reply.body_html) if reply is not None else ""
    return PublicPreview(
        title=redact(letter.title, names=names),
        body=redact(letter.body, names=names),
        reply_text=redact(reply_text, names=names),
    )


async def set_publication(
    session: AsyncSession,
    staff: StaffUser,
    letter: Letter,
    actor: Actor,
    publish: bool,
    secret: str,
) -> ReplySignature | None:
    """公示 on or off. Only a replied letter whose writer consented goes public."""
    require(staff, Action.PUBLISH, letter)
    if not publish:
        if letter.is_published:
            letter.is_published = False
            await add_timeline_event(session, letter, "unpublished", actor, message="已撤下公示")
            await record_audit(
                session,
                tenant_id=letter.tenant_id,
                actor=actor,
                action="letter.unpublish",
                object_type="letter",
                object_id=letter.id,
            )
        return None
    if not letter.publish_consent:
        raise ActionRefused("来信人不同意公开，不能公示")
    # Every sent reply goes on the public page (the first one too, after
    # re-handling), so each gets a signature over its public text.
    sent = sent_replies(await letter_replies(session, letter))
    if not sent:
        raise ActionRefused("答复发送后才能公示")
    key = await ensure_signing_key(session, letter.tenant_id, secret)
    signatures = [
        await _sign_public(session, key, secret, letter, reply, staff.tenant.name) for reply in sent
    ]
    signature = signatures[-1]
    letter.is_published = True
    letter.published_at = utcnow()
    await add_timeline_event(
        session, letter, "published", actor, message="来信及答复已公示", public=True
    )
    await record_audit(
        session,
        tenant_id=letter.tenant_id,
        actor=actor,
        action="letter.publish",
        object_type="letter",
        object_id=letter.id,
        data={"signature_id": signature.id, "signature_ids": [s.id for s in signatures]},
    )
    return signature


async def _sign_public(
    session: AsyncSession,
    key: SigningKey,
    secret: str,
    letter: Letter,
    reply: Reply,
    fallback_signer: str = "",
) -> ReplySignature:
    """Sign the redacted text of a sent reply, as the public page shows it."""
    return await sign_reply(
        session,
        key,
        secret,
        reply,
        kind="public",
        text=public_preview(letter, reply).reply_text,
        signer_name=reply.signer_name or fallback_signer,
        tracking_code=letter.tracking_code,
        attachments=await covered_attachments(session, reply, "public"),
    )


async def mark_attachment_public(
    session: AsyncSession,
    staff: StaffUser,
    letter: Letter,
    actor: Actor,
    attachment_id: int,
    public: bool,
    secret: str,
) -> Attachment:
    """公开 or not for one file of a sent reply. On a published letter the public
    signature covers the public files, so that reply is signed again."""
    attachment = await set_attachment_public(session, staff, letter, actor, attachment_id, public)
    reply = await session.get(Reply, attachment.reply_id)
    if letter.is_published and letter.publish_consent and reply is not None:
        key = await ensure_signing_key(session, letter.tenant_id, secret)
        await _sign_public(session, key, secret, letter, reply, staff.tenant.name)
    return attachment


async def canned_replies(session: AsyncSession, tenant_id: int) -> list[CannedReply]:
    return list(
        (
            await session.execute(
                select(CannedReply)
                .where(CannedReply.tenant_id == tenant_id, CannedReply.is_active.is_(True))
                .order_by(CannedReply.position, CannedReply.id)
            )
        ).scalars()
    )


async def add_canned_reply(
    session: AsyncSession, staff: StaffUser, actor: Actor, title: str, body: str
) -> CannedReply:
    require(staff, Action.MANAGE_CANNED_REPLIES)
    title = (title or "").strip()
    body_html = sanitize_reply_html(reply_html_from_form(body))
    if not title or len(title) > 100 or not body_html:
        raise ActionRefused("请填写常用语标题（不超过 100 字）和内容")
    canned = CannedReply(tenant_id=staff.tenant.id, title=title, body_html=body_html)
    session.add(canned)
    await session.flush()
    await record_audit(
        session,
        tenant_id=staff.tenant.id,
        actor=actor,
        action="canned_reply.add",
        object_type="canned_reply",
        object_id=canned.id,
    )
    return canned


async def canned_reply_by_id(
    session: AsyncSession, tenant_id: int, canned_id: int
) -> CannedReply | None:
    """An active 常用语 of the tenant (what the editor's picker offers)."""
    return (
        await session.execute(
            select(CannedReply).where(
                CannedReply.id == canned_id,
                CannedReply.tenant_id == tenant_id,
                CannedReply.is_active.is_(True),
            )
        )
    ).scalar_one_or_none()


def insert_canned(body: str, canned_html: str) -> str:
    """The editor's text with a 常用语 added at the end (the no-JavaScript path)::

        insert_canned("您好：", "<p>感谢来信。</p>")        # "您好：\\n\\n感谢来信。"
    """
    body = (body or "").rstrip()
    text = canned_text(canned_html)
    return f"{body}\n\n{text}" if body else text


def canned_text(canned_html: str) -> str:
    """A 常用语 as editor text: its paragraphs separated by blank lines."""
    return html_to_editor_text(canned_html)
