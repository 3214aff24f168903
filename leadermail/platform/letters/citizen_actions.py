"""What a citizen may do with their own letter, and what they may see of it.

    view = await citizen_view(session, letter)        # timeline, replies, evaluation
    await evaluate_letter(session, tenant, letter, actor, satisfaction="unsatisfied",
                          problem_solved=False, comment="...", wants_rehandling=True)
    await add_material(session, letter, actor, text="补充说明", attachments=[...])

State changes go through :func:`workflow.apply_transition` (``evaluate``,
``rehandle``, ``receive_material``); the caller has already proved access
(:mod:`citizen_access`) and commits. A request to handle the letter again and
material received go on the bell of the registrars and the unit's handlers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.audit.writer import Actor
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.letters import refresh_deadlines, restart_reply_clock
from leadermail.platform.letters.models import (
    Attachment,
    Evaluation,
    Letter,
    LetterEvent,
    Reply,
    Satisfaction,
    Unit,
)
from leadermail.platform.letters.submission import StoredFile
from leadermail.platform.letters.workflow import (
    MAX_REHANDLING,
    IllegalTransition,
    apply_transition,
)
from leadermail.platform.notifications.handoffs import material_received, rehandling_requested
from leadermail.tenants.registry import TenantRef

COMMENT_MAX = 500
MATERIAL_MAX = 2000


class CitizenActionError(Exception):
    """The citizen's request cannot be done; ``errors`` maps form fields to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class CitizenView:
    letter: Letter
    events: list[LetterEvent]
    replies: list[Reply]
    attachments: list[Attachment]
    evaluations: list[Evaluation]
    unit_name: str | None

    @property
    def can_evaluate(self) -> bool:
        return self.letter.state == "replied"

    @property
    def can_add_material(self) -> bool:
        return self.letter.state == "awaiting_material"

    @property
    def material_request(self) -> str | None:
        for event in reversed(self.events):
            if event.kind == "request_material":
                return event.message
        return None

    @property
    def can_ask_rehandling(self) -> bool:
        return self.letter.rehandle_count < MAX_REHANDLING


async def citizen_view(session: AsyncSession, letter: Letter) -> CitizenView:
    """Only what the writer may see: public events, *sent* replies, their own files."""
    events = (
        await session.scalars(
            select(LetterEvent)
            .where(LetterEvent.letter_id == letter.id, LetterEvent.is_public.is_(True))
            .order_by(LetterEvent.created_at, LetterEvent.id)
        )
    ).all()
    replies = (
        await session.scalars(
            select(Reply)
            .where(Reply.letter_id == letter.id, Reply.status == "sent")
            .order_by(Reply.sent_at, Reply.id)
        )
    ).all()
    attachments = (
        await session.scalars(
            select(Attachment)
            .where(Attachment.letter_id == letter.id, Attachment.uploaded_by == "citizen")
            .order_by(Attachment.id)
        )
    ).all()
    evaluations = (
        await session.scalars(
            select(Evaluation).where(Evaluation.letter_id == letter.id).order_by(Evaluation.id)
        )
    ).all()
    unit_name = None
    if letter.unit_id is not None and unit_confirmed(letter):
        unit_name = await session.scalar(select(Unit.name).where(Unit.id == letter.unit_id))
    return CitizenView(
        letter, list(events), list(replies), list(attachments), list(evaluations), unit_name
    )


#: States in which the unit on the letter is not (or no longer) the one that
#: handles it for this mailbox: refused, sent to another authority, merged.
_NO_UNIT_STATES = frozenset({"not_accepted", "forwarded", "merged"})


def unit_confirmed(letter: Letter) -> bool:
    """Has staff settled which unit handles the letter?

    Routing rules put a unit on a letter as soon as it arrives, as a
    suggestion for the registrar; the writer is told a unit only once staff
    accepted the letter (the 受理告知 names it) and while it stays here.
    """
    return letter.accepted_at is not None and letter.state not in _NO_UNIT_STATES


async def citizen_attachment(
    session: AsyncSession, letter: Letter, attachment_id: int
) -> Attachment | None:
    """One of the files the writer sent with ``letter`` (the letter or material
    they added), or None: never staff's files, never another letter's."""
    return await session.scalar(
        select(Attachment).where(
            Attachment.id == attachment_id,
            Attachment.letter_id == letter.id,
            Attachment.uploaded_by == "citizen",
        )
    )


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get((value or "").strip())


def clean_evaluation(form: dict[str, str]) -> tuple[dict[str, object], dict[str, str]]:
    """Check the evaluation form: ``(values, errors)``."""
    errors: dict[str, str] = {}
    satisfaction = (form.get("satisfaction") or "").strip()
    if satisfaction not in {s.value for s in Satisfaction}:
        errors["satisfaction"] = "请选择满意、基本满意或不满意"
    solved = _yes_no(form.get("problem_solved"))
    if solved is None:
        errors["problem_solved"] = "请选择问题是否已解决"
    comment = (form.get("comment") or "").strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = f"评价意见不能超过 {COMMENT_MAX} 个字，当前 {len(comment)} 个字"
    wants = (form.get("wants_rehandling") or "") not in ("", "0", "off")
    if wants and satisfaction != Satisfaction.UNSATISFIED:
        errors["wants_rehandling"] = "只有选择“不满意”时才能申请重新办理"
    if wants and not comment:
        errors["comment"] = "申请重新办理时，请写明不满意的原因"
    values = {
        "satisfaction": satisfaction,
        "problem_solved": solved,
        "comment": comment or None,
        "wants_rehandling": wants,
    }
    return values, errors


async def evaluate_letter(
    session: AsyncSession,
    tenant: TenantRef,
    letter: Letter,
    actor: Actor,
    *,
    satisfaction: str,
    problem_solved: bool | None,
    comment: str | None,
    wants_rehandling: bool = False,
) -> Evaluation:
    """Record the rating after a reply; 不满意 may ask for handling again (once)."""
    if letter.state != "replied":
        raise CitizenActionError({"satisfaction": "该来信目前不能评价"})
    if wants_rehandling and letter.rehandle_count >= MAX_REHANDLING:
        raise CitizenActionError(
            {"wants_rehandling": "该来信已重新办理过一次，不能再次申请重新办理"}
        )
    reply_id = await session.scalar(
        select(Reply.id)
        .where(Reply.letter_id == letter.id, Reply.status == "sent")
        .order_by(Reply.sent_at.desc(), Reply.id.desc())
        .limit(1)
    )
    evaluation = Evaluation(
        tenant_id=letter.tenant_id,
        letter_id=letter.id,
        reply_id=reply_id,
        unit_id=letter.unit_id,
        satisfaction=satisfaction,
        problem_solved=problem_solved,
        comment=comment,
        wants_rehandling=wants_rehandling,
    )
    session.add(evaluation)
    try:
        await apply_transition(
            session, letter, "evaluate", actor, data={"satisfaction": satisfaction}
        )
        if wants_rehandling:
            # On the public timeline the reason alone ("夜里仍在施工") would
            # not say what happened.
            reason = f"来信人对答复不满意，申请重新办理：{comment}" if comment else None
            await apply_transition(session, letter, "rehandle", actor, message=reason)
    except IllegalTransition as illegal:
        raise CitizenActionError({"satisfaction": illegal.message}) from None
    if wants_rehandling:
        # A new round with its own reply deadline, not the first round's
        # (long past by now, which would show the letter overdue at once).
        restart_reply_clock(letter, utcnow())
        await refresh_deadlines(session, letter, tenant.settings)
        await rehandling_requested(session, letter, actor, comment)
    return evaluation


async def add_material(
    session: AsyncSession,
    letter: Letter,
    actor: Actor,
    *,
    text: str,
    attachments: Sequence[StoredFile] = (),
) -> None:
    """Answer a request for material: a note and/or files, then back to handling."""
    text = (text or "").strip()
    if not text and not attachments:
        raise CitizenActionError({"material_text": "请填写补充说明或上传补充材料"})
    if len(text) > MATERIAL_MAX:
        raise CitizenActionError(
            {"material_text": f"补充说明不能超过 {MATERIAL_MAX} 个字，当前 {len(text)} 个字"}
        )
    for stored in attachments:
        session.add(
            Attachment(
                tenant_id=letter.tenant_id,
                letter_id=letter.id,
                filename=stored.filename,
                content_type=stored.content_type,
                size_bytes=stored.size,
                sha256=stored.sha256,
                storage_key=stored.storage_key,
                uploaded_by="citizen",
            )
        )
    try:
        await apply_transition(
            session,
            letter,
            "receive_material",
            actor,
            message="已收到补充材料" + (f"：{text}" if text else ""),
            data={"attachments": len(attachments)},
        )
    except IllegalTransition as illegal:
        raise CitizenActionError({"material_text": illegal.message}) from None
    await material_received(session, letter, actor, text, len(attachments))
