"""Everything the letter page shows, gathered in one place for the views.

ctx = await letter_page_context(session, request, staff, letter)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from leadermail.console.auth import SESSION_PENDING_DRAFT
from leadermail.console.forwarded_copy import forwarded_from
from leadermail.console.inbox_rows import row_level
from leadermail.console.routes.inbox import lookups
from leadermail.platform.accounts.policy import Action, StaffUser, can, sees_personal_data
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.assignments import (
    assignment_level,
    default_day,
    latest_day,
)
from leadermail.platform.deadlines.calendar import local_day
from leadermail.platform.deadlines.levels import WARNING_LEVEL_LABELS
from leadermail.platform.forwarding.services import is_forwardable
from leadermail.platform.letters.duplicates import DuplicateCandidate
from leadermail.platform.letters.models import (
    ASSIGNMENT_STATUS_LABELS,
    CHANNEL_LABELS,
    LETTER_TYPE_LABELS,
    PRIORITY_LABELS,
    Assignment,
    Attachment,
    Evaluation,
    Letter,
    LetterEvent,
    Reply,
)
from leadermail.platform.letters.public_text import held_replies, is_edited
from leadermail.platform.letters.staff_actions import SIMPLE_VERBS, TEXT_VERBS
from leadermail.platform.letters.staff_models import InternalNote, LeaderInstruction
from leadermail.platform.letters.workflow import OPEN_STATES, STATE_LABELS, allowed_transitions
from leadermail.platform.privacy import mask_email, mask_id_number, mask_phone
from leadermail.platform.replies.attachments import EDITABLE_STATUSES, MAX_REPLY_ATTACHMENTS
from leadermail.platform.replies.models import ReplySignature, SigningKey
from leadermail.platform.replies.sanitize import html_to_editor_text
from leadermail.platform.replies.services import (
    DRAFTABLE_STATES,
    RETURNED_EVENT,
    canned_replies,
    canned_text,
    letter_replies,
    public_preview,
    sent_replies,
    working_reply,
)
from leadermail.platform.replies.signing import SignatureCheck, verify_reply_signature


def writer_details(staff: StaffUser, letter: Letter) -> dict[str, str | None]:
    """Phone, ID number and e-mail in full only for roles allowed to see
    personal data (an e-mail address identifies a person as well as a phone)."""
    full = sees_personal_data(staff)
    phone, id_number, email = letter.writer_phone, letter.writer_id_number, letter.writer_email
    return {
        "name": letter.writer_name,
        "phone": phone if full or not phone else mask_phone(phone),
        "id_number": id_number if full or not id_number else mask_id_number(id_number),
        "email": email if full or not email else mask_email(email),
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
    assignments = (
        (
            await session.execute(
                select(Assignment)
                .where(Assignment.letter_id == letter.id)
                .order_by(Assignment.created_at, Assignment.id)
            )
        )
        .scalars()
        .all()
    )
    evaluations = (
        (
            await session.execute(
                select(Evaluation).where(Evaluation.letter_id == letter.id).order_by(Evaluation.id)
            )
        )
        .scalars()
        .all()
    )
    replies = await letter_replies(session, letter)
    reply = working_reply(replies)
    sent = sent_replies(replies)
    reply_signatures = await _signatures(session, sent)
    pending = request.session.get(SESSION_PENDING_DRAFT)
    pending_body = (
        pending.get("body")
        if isinstance(pending, dict) and pending.get("letter_id") == letter.id
        else None
    )
    # Drafting goes on whatever was sent before: after 不满意 and re-handling
    # the next draft is a new reply and the sent ones stay as they are.
    editable = letter.state in DRAFTABLE_STATES and can(staff, Action.DRAFT_REPLY, letter)
    names = await lookups(session, tenant_id)
    now = utcnow()
    return {
        "letter": letter,
        "writer": writer_details(staff, letter),
        "state_label": STATE_LABELS.get(letter.state, letter.state),
        "type_label": LETTER_TYPE_LABELS.get(letter.letter_type, letter.letter_type),
        "channel_label": CHANNEL_LABELS.get(letter.channel, letter.channel),
        "level": row_level(letter, now, staff.tenant.settings),
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
        "assignments": assignments,
        "assignment_labels": ASSIGNMENT_STATUS_LABELS,
        **assignment_deadline_context(staff, letter, assignments, now),
        # Refused forms that come back with what was typed (routes/letters.py).
        "forms": {},
        "actions": available_actions(staff, letter),
        "may_forward": is_forwardable(letter) and can(staff, Action.FORWARD, letter),
        "forwarded_from": await forwarded_from(request, session, letter),
        "may_classify": letter.state in OPEN_STATES and can(staff, Action.REGISTER, letter),
        "letter_types": LETTER_TYPE_LABELS,
        "priorities": PRIORITY_LABELS,
        "reply": reply,
        "reply_editable": editable,
        # The leader's latest 退回修改 of the draft in hand, for its drafter.
        "returned": next(
            (
                e
                for e in reversed(events)
                if e.kind == RETURNED_EVENT and reply is not None and reply.status == "draft"
                and (e.data or {}).get("reply_id") == reply.id
            ),
            None,
        ),
        "reply_editor_text": html_to_editor_text(reply.body_html) if reply is not None else "",
        "sent_replies": [
            SentReply(
                number,
                sent_reply,
                [a for a in attachments if a.reply_id == sent_reply.id],
                reply_signatures.get(sent_reply.id, []),
                current=number == len(sent),
            )
            for number, sent_reply in enumerate(sent, start=1)
        ],
        "rehandling": rehandling_request(letter, sent, evaluations),
        "pending_body": pending_body,
        "canned": [
            {"id": c.id, "title": c.title, "html": c.body_html, "text": canned_text(c.body_html)}
            for c in (await canned_replies(session, tenant_id) if editable else [])
        ],
        "preview": (
            public_preview(letter, sent[-1]) if sent and _can_publish(staff, letter) else None
        ),
        "earlier_previews": (
            [public_preview(letter, r).reply_text for r in sent[:-1]]
            if _can_publish(staff, letter)
            else []
        ),
        "public_files": [a for a in attachments if a.reply_id in {r.id for r in sent}],
        **publication_state(letter, sent),
        **names,
    }


def assignment_deadline_context(
    staff: StaffUser, letter: Letter, assignments: Sequence[Assignment], now: datetime
) -> dict[str, Any]:
    """The 办理时限 parts of the page: what the 分办 form offers and allows,
    and how urgent each active assignment's deadline is."""
    latest = latest_day(letter)
    offered = default_day(letter, now)
    return {
        "today": local_day(now).isoformat(),
        "assign_latest_day": latest.isoformat() if latest else "",
        "assign_default_day": offered.isoformat() if offered else "",
        "letter_overdue": letter.reply_due_at is not None and letter.reply_due_at < now,
        "assignment_levels": {
            a.id: level.value
            for a in assignments
            if a.status == "active" and letter.state in OPEN_STATES
            and (level := assignment_level(a.due_at, a.created_at, now))
        },
        "may_change_deadline": letter.state in OPEN_STATES and can(staff, Action.ASSIGN, letter),
    }


def publication_state(letter: Letter, sent: Sequence[Reply]) -> dict[str, Any]:
    """What the 公示 part says beside the preview: whether staff corrected the
    text, and which sent replies (by number) wait for 公示 on a letter that is
    already public (``public_text.held_replies``)."""
    held = held_replies(letter.extra) if letter.is_published else frozenset()
    return {
        "public_text_edited": is_edited(letter.extra),
        "held_numbers": [n for n, r in enumerate(sent, start=1) if r.id in held],
    }


def _can_publish(staff: StaffUser, letter: Letter) -> bool:
    return can(staff, Action.PUBLISH, letter) and letter.publish_consent


@dataclass(frozen=True)
class SignatureRow:
    signature: ReplySignature
    key: SigningKey
    check: SignatureCheck


@dataclass(frozen=True)
class SentReply:
    """One reply the citizen received, shown read-only."""

    number: int
    reply: Reply
    files: list[Attachment]
    signatures: list[SignatureRow]
    #: The newest sent reply: the answer in force (the one the citizen rates).
    current: bool


async def _signatures(session: AsyncSession, replies: list[Reply]) -> dict[int, list[SignatureRow]]:
    """Each sent reply's signatures, checked against their keys and the files now."""
    if not replies:
        return {}
    rows = (
        await session.execute(
            select(ReplySignature, SigningKey)
            .join(SigningKey, SigningKey.id == ReplySignature.signing_key_id)
            .where(ReplySignature.reply_id.in_([r.id for r in replies]))
            .order_by(ReplySignature.id)
        )
    ).all()
    # The newest public signature supersedes older ones (made before a file was
    # marked public, or before re-publication): those no longer match the files.
    newest_public = {s.reply_id: s.id for s, _ in rows if s.kind == "public"}
    found: dict[int, list[SignatureRow]] = {}
    for signature, key in rows:
        if signature.kind == "public" and newest_public[signature.reply_id] != signature.id:
            continue
        check = await verify_reply_signature(session, signature, key)
        found.setdefault(signature.reply_id, []).append(SignatureRow(signature, key, check))
    return found


def rehandling_request(
    letter: Letter, sent: list[Reply], evaluations: Sequence[Evaluation]
) -> Evaluation | None:
    """The citizen's 不满意 that sent the letter back, while no new reply went out."""
    if letter.state not in DRAFTABLE_STATES or not sent:
        return None
    asked = [e for e in evaluations if e.wants_rehandling and e.reply_id == sent[-1].id]
    return asked[-1] if asked else None
