"""Everything the letter page shows, gathered in one place for the views.

ctx = await letter_page_context(session, request, staff, letter)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from leadermail.console.auth import SESSION_PENDING_DRAFT
from leadermail.console.inbox_query import row_level
from leadermail.console.routes.inbox import lookups
from leadermail.platform.accounts.policy import Action, StaffUser, can, sees_personal_data
from leadermail.platform.db import utcnow
from leadermail.platform.deadlines.levels import WARNING_LEVEL_LABELS
from leadermail.platform.letters.duplicates import DuplicateCandidate
from leadermail.platform.letters.models import (
    CHANNEL_LABELS,
    LETTER_TYPE_LABELS,
    Attachment,
    Evaluation,
    Letter,
    LetterEvent,
    Reply,
)
from leadermail.platform.letters.staff_actions import SIMPLE_VERBS, TEXT_VERBS
from leadermail.platform.letters.staff_models import InternalNote, LeaderInstruction
from leadermail.platform.letters.workflow import STATE_LABELS, allowed_transitions
from leadermail.platform.privacy import mask_id_number, mask_phone
from leadermail.platform.replies.attachments import EDITABLE_STATUSES, MAX_REPLY_ATTACHMENTS
from leadermail.platform.replies.models import ReplySignature
from leadermail.platform.replies.services import (
    DRAFTABLE_STATES,
    canned_replies,
    canned_text,
    current_reply,
    public_preview,
)
from leadermail.platform.replies.signing import active_signing_key


def writer_details(staff: StaffUser, letter: Letter) -> dict[str, str | None]:
    """Phone and ID number in full only for roles allowed to see personal data."""
    full = sees_personal_data(staff)
    phone, id_number = letter.writer_phone, letter.writer_id_number
    return {
        "name": letter.writer_name,
        "phone": phone if full or not phone else mask_phone(phone),
        "id_number": id_number if full or not id_number else mask_id_number(id_number),
        "email": letter.writer_email,
        "masked": not full,
    }


def available_actions(
    staff: StaffUser, letter: Letter
) -> dict[str, list[tuple[str, str, str | None]]]:
    """(verb, label, text label) of the buttons this user may press now."""
    possible = {t.name: t.label for t in allowed_transitions(letter)}
    simple = [
        (verb, possible[verb], None)
        for verb, (_, action, _) in SIMPLE_VERBS.items()
        if verb in possible and can(staff, action, letter)
    ]
    texts = [
        (verb, possible.get(verb, "催办"), label)
        for verb, (_, action, label) in TEXT_VERBS.items()
        if (verb in possible or (verb == "urge" and letter.state in {"assigned", "accepted"}))
        and can(staff, action, letter)
    ]
    return {"simple": simple, "text": texts}


async def letter_page_context(
    session: AsyncSession, request: Request, staff: StaffUser, letter: Letter
) -> dict[str, Any]:
    tenant_id = letter.tenant_id
    events = (
        (
            await session.execute(
                select(LetterEvent)
                .where(LetterEvent.letter_id == letter.id, LetterEvent.tenant_id == tenant_id)
                .order_by(LetterEvent.created_at, LetterEvent.id)
            )
        )
        .scalars()
        .all()
    )
    attachments = (
        (
            await session.execute(
                select(Attachment).where(Attachment.letter_id == letter.id).order_by(Attachment.id)
            )
        )
        .scalars()
        .all()
    )
    # Merged duplicates (duplicate_of_id) and the candidates the duplicate
    # check flagged, in either direction, unless dismissed.
    # Ids first: an OR with a sub-select would make PostgreSQL scan every letter.
    candidate_ids = list(
        (
            await session.execute(
                select(
                    case(
                        (
                            DuplicateCandidate.letter_id == letter.id,
                            DuplicateCandidate.duplicate_of_id,
                        ),
                        else_=DuplicateCandidate.letter_id,
                    )
                ).where(
                    or_(
                        DuplicateCandidate.letter_id == letter.id,
                        DuplicateCandidate.duplicate_of_id == letter.id,
                    ),
                    DuplicateCandidate.status != "dismissed",
                )
            )
        ).scalars()
    )
    if letter.duplicate_of_id is not None:
        candidate_ids.append(letter.duplicate_of_id)
    duplicate_filter = [Letter.duplicate_of_id == letter.id]
    if candidate_ids:
        duplicate_filter.append(Letter.id.in_(candidate_ids))
    duplicates = (
        await session.execute(
            select(Letter.id, Letter.tracking_code, Letter.title, Letter.state)
            .where(or_(*duplicate_filter), Letter.id != letter.id)
            .limit(50)
        )
    ).all()
    instructions = (
        (
            await session.execute(
                select(LeaderInstruction)
                .where(LeaderInstruction.letter_id == letter.id)
                .order_by(LeaderInstruction.id)
            )
        )
        .scalars()
        .all()
    )
    notes = (
        (
            await session.execute(
                select(InternalNote)
                .where(InternalNote.letter_id == letter.id)
                .order_by(InternalNote.id)
            )
        )
        .scalars()
        .all()
    )
    evaluations = (
        (await session.execute(select(Evaluation).where(Evaluation.letter_id == letter.id)))
        .scalars()
        .all()
    )
    reply = await current_reply(session, letter)
    signatures: list[ReplySignature] = []
    if reply is not None:
        signatures = list(
            (
                await session.execute(
                    select(ReplySignature).where(ReplySignature.reply_id == reply.id)
                )
            ).scalars()
        )
    key = await active_signing_key(session, tenant_id) if signatures else None
    pending = request.session.get(SESSION_PENDING_DRAFT)
    pending_body = (
        pending.get("body")
        if isinstance(pending, dict) and pending.get("letter_id") == letter.id
        else None
    )
    editable = (
        letter.state in DRAFTABLE_STATES
        and can(staff, Action.DRAFT_REPLY, letter)
        and (reply is None or reply.status in {"draft", "approved", "sent"})
    )
    names = await lookups(session, tenant_id)
    return {
        "letter": letter,
        "writer": writer_details(staff, letter),
        "state_label": STATE_LABELS.get(letter.state, letter.state),
        "type_label": LETTER_TYPE_LABELS.get(letter.letter_type, letter.letter_type),
        "channel_label": CHANNEL_LABELS.get(letter.channel, letter.channel),
        "level": row_level(letter, utcnow(), staff.tenant.settings),
        "level_labels": WARNING_LEVEL_LABELS,
        "events": events,
        "attachments": [a for a in attachments if a.reply_id is None],
        "reply_files": [a for a in attachments if reply is not None and a.reply_id == reply.id],
        "reply_files_editable": reply is not None and reply.status in EDITABLE_STATUSES,
        "max_reply_files": MAX_REPLY_ATTACHMENTS,
        "reply_errors": {},
        "editor_body": None,
        "duplicates": duplicates,
        "instructions": instructions,
        "notes": notes,
        "evaluations": evaluations,
        "actions": available_actions(staff, letter),
        "reply": reply,
        "reply_editable": editable
        and (reply is None or reply.status != "sent" or letter.state in DRAFTABLE_STATES),
        "pending_body": pending_body,
        "canned": [
            {"id": c.id, "title": c.title, "html": c.body_html, "text": canned_text(c.body_html)}
            for c in (await canned_replies(session, tenant_id) if editable else [])
        ],
        "signatures": signatures,
        "signing_key": key,
        "preview": public_preview(letter, reply) if _can_publish(staff, letter, reply) else None,
        **names,
    }


def _can_publish(staff: StaffUser, letter: Letter, reply: Reply | None) -> bool:
    return (
        can(staff, Action.PUBLISH, letter)
        and letter.publish_consent
        and reply is not None
        and reply.status == "sent"
    )
