"""Staff attachments of a reply: add and remove while drafting, mark public.

    checks = check_reply_files(files, already=len(await reply_attachments(session, reply)))
    await add_reply_attachments(session, staff, letter, actor, reply, checked, upload_dir)
    await remove_reply_attachment(session, staff, letter, actor, reply, attachment_id)
    await set_attachment_public(session, staff, letter, actor, attachment_id, True)

    # who may download what
    files = await sent_reply_attachments(session, letter)        # the writer (tracking page)
    links = await public_reply_attachments(session, letter_id)   # everyone, once published

They are rows of the letters' ``attachments`` table (``reply_id`` set,
``uploaded_by`` "staff") stored like the citizens' uploads and checked by the
same rules (:mod:`leadermail.platform.uploads`). The citizen sees them once the
reply is sent; the public only those a staff member marked public, because a
scan or a photo cannot be redacted automatically the way the text is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.policy import Action, StaffUser
from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.letters.figures import cached
from leadermail.platform.letters.models import Attachment, Letter, Reply
from leadermail.platform.letters.public_text import reply_is_held
from leadermail.platform.letters.publication import PAGE_CACHE_SECONDS
from leadermail.platform.letters.staff_actions import ActionRefused, require
from leadermail.platform.uploads import (
    MAX_ATTACHMENTS,
    MAX_UPLOAD_BYTES,
    UploadCheck,
    UploadRejected,
    check_upload,
    store_upload,
)

#: Files one reply may carry (the same limit as a citizen's letter).
MAX_REPLY_ATTACHMENTS = MAX_ATTACHMENTS
#: Statuses in which the attachments can still change.
EDITABLE_STATUSES = frozenset({"draft", "approved"})


@dataclass(frozen=True)
class CheckedFile:
    check: UploadCheck
    data: bytes


@dataclass(frozen=True)
class FileLink:
    """What a page needs to show a download link (safe to cache)."""

    id: int
    filename: str
    size_bytes: int
    reply_id: int


def check_reply_files(files: Sequence[tuple[str, bytes]], *, already: int) -> list[CheckedFile]:
    """Check the files posted with a draft, or raise :class:`UploadRejected`.

    Every bad file is named in the one message (shown next to the field), so
    the user fixes them all at once rather than one per round trip.
    """
    if already + len(files) > MAX_REPLY_ATTACHMENTS:
        left = max(MAX_REPLY_ATTACHMENTS - already, 0)
        raise UploadRejected(
            f"每份答复最多 {MAX_REPLY_ATTACHMENTS} 个附件，已有 {already} 个，还能上传 {left} 个"
        )
    checked: list[CheckedFile] = []
    problems: list[str] = []
    for name, data in files:
        try:
            checked.append(CheckedFile(check_upload(name, data), data))
        except UploadRejected as rejected:
            problems.append(rejected.message)
    if problems:
        raise UploadRejected("；".join(problems))
    return checked


#: Read at most this much of one posted file: one byte more than allowed is
#: enough to say "too big" without holding a huge upload in memory.
READ_LIMIT = MAX_UPLOAD_BYTES + 1


async def reply_attachments(session: AsyncSession, reply: Reply) -> list[Attachment]:
    return list(
        await session.scalars(
            select(Attachment)
            .where(
                Attachment.tenant_id == reply.tenant_id,
                Attachment.letter_id == reply.letter_id,
                Attachment.reply_id == reply.id,
            )
            .order_by(Attachment.id)
        )
    )


def _require_editable(reply: Reply) -> None:
    if reply.status not in EDITABLE_STATUSES:
        raise ActionRefused("答复已发送，附件不能再更改")


def _back_to_draft(reply: Reply) -> None:
    # A leader approves exactly what goes out: the files are part of it.
    if reply.status == "approved":
        reply.status = "draft"
        reply.approved_by_user_id = None
        reply.approved_at = None
    reply.updated_at = utcnow()


async def add_reply_attachments(
    session: AsyncSession,
    staff: StaffUser,
    letter: Letter,
    actor: Actor,
    reply: Reply,
    files: Sequence[CheckedFile],
    upload_dir: Path,
) -> list[Attachment]:
    """Store checked files and attach them to the reply draft."""
    require(staff, Action.DRAFT_REPLY, letter)
    _require_editable(reply)
    if not files:
        return []
    already = await session.scalar(
        select(func.count()).select_from(Attachment).where(Attachment.reply_id == reply.id)
    )
    if (already or 0) + len(files) > MAX_REPLY_ATTACHMENTS:
        raise ActionRefused(f"每份答复最多 {MAX_REPLY_ATTACHMENTS} 个附件")
    added: list[Attachment] = []
    for file in files:
        attachment = Attachment(
            tenant_id=letter.tenant_id,
            letter_id=letter.id,
            reply_id=reply.id,
            filename=file.check.safe_filename,
            content_type=file.check.content_type,
            size_bytes=file.check.size,
            sha256=file.check.sha256,
            storage_key=store_upload(upload_dir, letter.tenant_id, file.data),
            uploaded_by="staff",
            is_public=False,
        )
        session.add(attachment)
        added.append(attachment)
    await session.flush()
    _back_to_draft(reply)
    for attachment in added:
        await record_audit(
            session,
            tenant_id=letter.tenant_id,
            actor=actor,
            action="reply.attachment_add",
            object_type="attachment",
            object_id=attachment.id,
            data={
                "letter_id": letter.id,
                "reply_id": reply.id,
                "filename": attachment.filename,
                "sha256": attachment.sha256,
            },
        )
    return added


async def _reply_attachment(
    session: AsyncSession, letter: Letter, attachment_id: int
) -> Attachment:
    attachment = await session.scalar(
        select(Attachment).where(
            Attachment.id == attachment_id,
            Attachment.tenant_id == letter.tenant_id,
            Attachment.letter_id == letter.id,
            Attachment.reply_id.is_not(None),
            Attachment.uploaded_by == "staff",
        )
    )
    if attachment is None:
        raise ActionRefused("附件不存在")
    return attachment


async def remove_reply_attachment(
    session: AsyncSession,
    staff: StaffUser,
    letter: Letter,
    actor: Actor,
    reply: Reply,
    attachment_id: int,
) -> str:
    """Take a file off the draft; returns its name. The stored bytes stay
    (content-addressed: the same file may belong to another letter)."""
    require(staff, Action.DRAFT_REPLY, letter)
    _require_editable(reply)
    attachment = await _reply_attachment(session, letter, attachment_id)
    if attachment.reply_id != reply.id:
        raise ActionRefused("附件不存在")
    filename = attachment.filename
    await session.delete(attachment)
    _back_to_draft(reply)
    await record_audit(
        session,
        tenant_id=letter.tenant_id,
        actor=actor,
        action="reply.attachment_remove",
        object_type="attachment",
        object_id=attachment_id,
        data={"letter_id": letter.id, "reply_id": reply.id, "filename": filename},
    )
    return filename


async def set_attachment_public(
    session: AsyncSession,
    staff: StaffUser,
    letter: Letter,
    actor: Actor,
    attachment_id: int,
    public: bool,
) -> Attachment:
    """公开 or not, one file at a time, by someone who may publish the letter."""
    require(staff, Action.PUBLISH, letter)
    attachment = await _reply_attachment(session, letter, attachment_id)
    status = await session.scalar(select(Reply.status).where(Reply.id == attachment.reply_id))
    if status != "sent":
        raise ActionRefused("答复发送后才能设置附件是否公开")
    if attachment.is_public == public:
        return attachment
    attachment.is_public = public
    await record_audit(
        session,
        tenant_id=letter.tenant_id,
        actor=actor,
        action="reply.attachment_public" if public else "reply.attachment_private",
        object_type="attachment",
        object_id=attachment.id,
        data={"letter_id": letter.id, "reply_id": attachment.reply_id},
    )
    return attachment


# --- what citizens and the public may download -------------------------------------


def _of_sent_replies(letter_id: int):  # noqa: ANN202 - a select statement
    return (
        select(Attachment)
        .join(Reply, Reply.id == Attachment.reply_id)
        .where(
            Attachment.letter_id == letter_id,
            Attachment.uploaded_by == "staff",
            Reply.letter_id == letter_id,
            Reply.status == "sent",
        )
        .order_by(Attachment.id)
    )


async def sent_reply_attachments(session: AsyncSession, letter: Letter) -> list[Attachment]:
    """The files of every sent reply: what the letter's writer may download."""
    return list(await session.scalars(_of_sent_replies(letter.id)))


async def sent_reply_attachment(
    session: AsyncSession, letter: Letter, attachment_id: int
) -> Attachment | None:
    return await session.scalar(_of_sent_replies(letter.id).where(Attachment.id == attachment_id))


def _public(letter_id: int):  # noqa: ANN202 - a select statement
    # Checked again here, not only by the caller: published *and* consented,
    # and the reply itself on the page (not held for 公示 after re-handling).
    return (
        _of_sent_replies(letter_id)
        .join(Letter, Letter.id == Attachment.letter_id)
        .where(
            Attachment.is_public.is_(True),
            Letter.is_published.is_(True),
            Letter.publish_consent.is_(True),
            ~reply_is_held(Letter.extra, Reply.id),
        )
    )


async def public_reply_attachment(
    session: AsyncSession, letter_id: int, attachment_id: int
) -> Attachment | None:
    """A file anyone may download: of a sent reply of a published letter, marked public."""
    return await session.scalar(_public(letter_id).where(Attachment.id == attachment_id))


async def public_reply_attachments(
    session: AsyncSession, tenant_id: int, letter_id: int
) -> list[FileLink]:
    """The links of the published letter page (cached like the page itself)."""

    async def load() -> list[FileLink]:
        rows = await session.scalars(_public(letter_id))
        return [FileLink(a.id, a.filename, a.size_bytes, a.reply_id or 0) for a in rows]

    return await cached(
        ("published-reply-attachments", tenant_id, letter_id), load, ttl=PAGE_CACHE_SECONDS
    )
