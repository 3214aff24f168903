"""公示: putting a replied letter on the citizen site, with signed public text.

    preview = public_preview(letter, reply)                    # what the public sees
    await set_publication(session, staff, letter, actor, True, secret)   # only with consent
    hold_reply(letter, reply)          # sending on a published letter (``sending``)
    await mark_attachment_public(session, staff, letter, actor, file_id, True, secret)

Publishing signs the public text of every reply it makes public (kind
"public"), so the published page carries a verifiable signature. The public
text is the automatic redaction, or what staff corrected it to
(``public_version``); the redaction's own detectors check it once more, and
a text they still find personal data in is not published. Only a letter whose
writer consented goes public; "do not publish" blocks it whatever staff do.

A reply sent on a letter that is already public (handled again after 不满意)
is held (``letters.public_text.held_replies``): the public page keeps what was
published, and says the letter was handled again, until staff review the new
reply's public text and publish it here, the same way. Held replies are not
signed as public text: their signature page would show them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.policy import Action, StaffUser
from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.letters.models import Attachment, Letter, Reply
from leadermail.platform.letters.public_text import (
    held_replies,
    letter_names,
    personal_data_problem,
    public_body,
    public_reply_text,
    public_title,
    with_held,
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
from leadermail.platform.written_names import Part


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
    """公示 on or off. Only a replied letter whose writer consented goes public.

    On a letter already public, 公示 publishes the held replies (and does
    nothing when none is held). Returns the newest public signature made."""
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
    sent = sent_replies(await letter_replies(session, letter))
    if not sent:
        raise ActionRefused("答复发送后才能公示")
    held = held_replies(letter.extra)
    first = not letter.is_published
    # The first 公示 puts every sent reply on the page (the first one too,
    # after re-handling); later ones only the replies held since.
    going_public = sent if first else [reply for reply in sent if reply.id in held]
    if not going_public:
        return None
    _refuse_personal_data(letter, sent, going_public, with_letter=first)
    key = await ensure_signing_key(session, letter.tenant_id, secret)
    signatures = [
        await sign_public_text(session, key, secret, letter, reply, staff.tenant.name)
        for reply in going_public
    ]
    signature = signatures[-1]
    letter.extra = with_held(letter.extra, held - {reply.id for reply in going_public})
    if first:
        letter.is_published = True
        # When the letter went public: the list keeps its place when a reply
        # held after re-handling is published later.
        letter.published_at = utcnow()
    await add_timeline_event(
        session,
        letter,
        "published",
        actor,
        message="来信及答复已公示" if first else "重新办理的答复已公示",
        public=True,
    )
    await record_audit(
        session,
        tenant_id=letter.tenant_id,
        actor=actor,
        action="letter.publish",
        object_type="letter",
        object_id=letter.id,
        data={
            "signature_id": signature.id,
            "signature_ids": [s.id for s in signatures],
            "reply_ids": [reply.id for reply in going_public],
            "held": not first,
        },
    )
    return signature


def hold_reply(letter: Letter, reply: Reply) -> None:
    """Keep a reply sent on a published letter off the public page until
    staff publish it (``set_publication``)."""
    letter.extra = with_held(letter.extra, held_replies(letter.extra) | {reply.id})


_THEN = "公示（在“审核、修改公示文本”中修改）。"


def _refuse_personal_data(
    letter: Letter, sent: list[Reply], going_public: list[Reply], *, with_letter: bool
) -> None:
    # The editor checks what staff type; this checks what is published, so a
    # text nobody opened (the automatic one) meets the same detectors.
    names = letter_names(letter.writer_name, letter.body)
    preview = public_preview(letter, None)
    parts: list[tuple[str, str, Part]] = []
    if with_letter:
        parts += [("标题", preview.title, "letter"), ("来信内容", preview.body, "letter")]
    for reply in going_public:
        label = f"第 {sent.index(reply) + 1} 次答复" if len(sent) > 1 else "答复"
        parts.append((label, public_preview(letter, reply).reply_text, "reply"))
    problems = [
        problem
        for label, text, part in parts
        if (problem := personal_data_problem(label, text, names, part, then=_THEN))
    ]
    if problems:
        raise ActionRefused("".join(problems))


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
    signature covers the public files, so that reply is signed again (unless
    it is held: it is signed when it is published)."""
    attachment = await set_attachment_public(session, staff, letter, actor, attachment_id, public)
    reply = await session.get(Reply, attachment.reply_id)
    if (
        letter.is_published
        and letter.publish_consent
        and reply is not None
        and reply.id not in held_replies(letter.extra)
    ):
        key = await ensure_signing_key(session, letter.tenant_id, secret)
        await sign_public_text(session, key, secret, letter, reply, staff.tenant.name)
    return attachment
