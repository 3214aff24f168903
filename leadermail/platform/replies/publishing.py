"""公示: putting a replied letter on the citizen site, with signed public text.

    preview = public_preview(letter, reply)                    # what the public sees
    await set_publication(session, staff, letter, actor, True, secret)   # only with consent
    await mark_attachment_public(session, staff, letter, actor, file_id, True, secret)

Publishing signs the public text of every sent reply (kind "public"), so
the published page carries a verifiable signature. The public text is the
automatic redaction, or what staff corrected it to (``public_version``).
Only a letter whose writer consented goes public; "do not publish" blocks it
whatever staff do.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.policy import Action, StaffUser
from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.letters.models import Attachment, Letter, Reply
from leadermail.platform.letters.public_text import (
    public_body,
    public_reply_text,
    public_title,
)
from leadermail.platform.letters.staff_actions import ActionRefused, require
from leadermail.platform.letters.workflow import add_timeline_event
from leadermail.platform.replies.attachments import set_attachment_public
from leadermail.platform.replies.drafting import letter_replies, sent_replies
from leadermail.platform.replies.models import ReplySignature, SigningKey
from leadermail.platform.replies.signing import (
    covered_attachments,
    ensure_signing_key,
    sign_reply,
)


@dataclass(frozen=True)
class PublicPreview:
    title: str
    body: str
    reply_text: str


def public_preview(letter: Letter, reply: Reply | None) -> PublicPreview:
    """What the public will see: letter and reply with the writer's personal
    data (names, phones, ID numbers, e-mails, home and house numbers)
    redacted, or as staff corrected them."""
    name, extra = letter.writer_name, letter.extra
    reply_text = (
        public_reply_text(reply.id, reply.body_html, name, extra, body=letter.body)
        if reply is not None
        else ""
    )
    return PublicPreview(
        title=public_title(letter.title, name, extra, body=letter.body),
        body=public_body(letter.body, name, extra),
        reply_text=reply_text,
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
        await sign_public_text(session, key, secret, letter, reply, staff.tenant.name)
        for reply in sent
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


async def sign_public_text(
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
        await sign_public_text(session, key, secret, letter, reply, staff.tenant.name)
    return attachment
