"""The printable documents of 网下办理, built from a letter and rendered to PDF.

    slip = await load_assignment_slip(session, letter)           # the newest 分办
    pdf = assignment_slips_pdf(tenant, [slip])                   # one page per slip
    pdf = acceptance_notice_pdf(tenant, await load_acceptance_notice(session, letter))
    pdf = reply_document_pdf(tenant, ReplyDocument(...))         # 信访处理意见书
    pdf = duty_log_pdf(tenant, DutyLogDocument.from_log(entries, start, end))

Loaders take a letter already fetched through the access layer; the
``*_pdf`` functions are pure (data in, bytes out) so the benchmark and the
tests can call them without a database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.clock import utcnow
from leadermail.platform.documents.render import DocumentHeader, render_pdf
from leadermail.platform.duty.rota import KIND_LABELS, ROTA_LABELS
from leadermail.platform.duty.services import LogEntry
from leadermail.platform.letters.models import (
    CHANNEL_LABELS,
    LETTER_TYPE_LABELS,
    Assignment,
    Letter,
    LetterEvent,
    Unit,
)
from leadermail.platform.letters.staff_models import LeaderInstruction
from leadermail.platform.privacy import mask_phone
from leadermail.tenants.registry import TenantRef


@dataclass(frozen=True)
class AssignmentSlip:
    """交办单: what a unit receives with the letter."""

    tracking_code: str
    unit_name: str
    title: str
    letter_type: str
    writer_name: str
    writer_phone: str | None
    received_at: datetime
    channel: str
    body: str
    instruction: str | None
    note: str | None
    due_at: datetime | None
    assigned_at: datetime


@dataclass(frozen=True)
class AcceptanceNotice:
    tracking_code: str
    writer_name: str
    title: str
    received_at: datetime
    accepted: bool
    due_at: datetime | None = None
    reason: str | None = None
    guidance: str | None = None
    decided_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class ReplyDocument:
    """信访处理意见书: the request, the facts found, the opinion and its basis."""

    tracking_code: str
    writer_name: str
    title: str
    received_at: datetime
    request: str
    facts: str
    opinion: str
    basis: str
    unit_name: str | None = None
    decided_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class DutyLogRow:
    starts_at: datetime
    ends_at: datetime
    label: str
    staff_name: str
    visits: int
    letters: list[str]
    handover_note: str | None


@dataclass(frozen=True)
class DutyLogDocument:
    start: datetime
    end: datetime
    rows: list[DutyLogRow]
    query: str | None = None
    printed_at: datetime = field(default_factory=utcnow)

    @classmethod
    def from_log(
        cls, entries: Sequence[LogEntry], start: datetime, end: datetime, query: str | None = None
    ) -> DutyLogDocument:
        rows = [
            DutyLogRow(
                starts_at=e.shift.starts_at,
                ends_at=e.shift.ends_at,
                label=" ".join(
                    part
                    for part in (
                        ROTA_LABELS.get(e.shift.rota, e.shift.rota),
                        KIND_LABELS.get(e.shift.kind, e.shift.kind),
                        e.shift.holiday_name or "",
                    )
                    if part
                ),
                staff_name=e.shift.staff_name,
                visits=e.visits,
                letters=[f"{letter.tracking_code} {letter.title}" for letter in e.letters],
                handover_note=e.shift.handover_note,
            )
            for e in entries
        ]
        return cls(start=start, end=end, rows=rows, query=query)


def _received(letter: Letter) -> datetime:
    return letter.received_at or letter.submitted_at


async def load_assignment_slip(
    session: AsyncSession, letter: Letter, *, show_phone: bool = True
) -> AssignmentSlip | None:
    """The slip of the letter's newest assignment (None if never assigned)."""
    assignment = (
        await session.execute(
            select(Assignment)
            .where(Assignment.letter_id == letter.id)
            .order_by(Assignment.created_at.desc(), Assignment.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if assignment is None:
        return None
    unit = await session.get(Unit, assignment.unit_id)
    instructions = (
        await session.execute(
            select(LeaderInstruction.author_label, LeaderInstruction.body)
            .where(LeaderInstruction.letter_id == letter.id)
            .order_by(LeaderInstruction.created_at)
        )
    ).all()
    phone = letter.writer_phone
    return AssignmentSlip(
        tracking_code=letter.tracking_code,
        unit_name=unit.name if unit is not None else "",
        title=letter.title,
        letter_type=LETTER_TYPE_LABELS.get(letter.letter_type, letter.letter_type),
        writer_name=letter.writer_name,
        writer_phone=(phone if show_phone else mask_phone(phone)) if phone else None,
        received_at=_received(letter),
        channel=CHANNEL_LABELS.get(letter.channel, letter.channel),
        body=letter.body,
        instruction="\n".join(f"{author}：{body}" for author, body in instructions) or None,
        note=assignment.note,
        due_at=assignment.due_at or letter.reply_due_at,
        assigned_at=assignment.created_at,
    )


async def load_acceptance_notice(session: AsyncSession, letter: Letter) -> AcceptanceNotice | None:
    """受理 / 不予受理告知书, once the decision is made (None before)."""
    decision = (
        await session.execute(
            select(LetterEvent)
            .where(LetterEvent.letter_id == letter.id, LetterEvent.kind.in_(("accept", "reject")))
            .order_by(LetterEvent.created_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if decision is None:
        return None
    accepted = decision.kind == "accept"
    return AcceptanceNotice(
        tracking_code=letter.tracking_code,
        writer_name=letter.writer_name,
        title=letter.title,
        received_at=_received(letter),
        accepted=accepted,
        due_at=letter.reply_due_at if accepted else None,
        reason=None if accepted else decision.message,
        decided_at=decision.created_at,
    )


def assignment_slips_pdf(tenant: TenantRef, slips: Sequence[AssignmentSlip]) -> bytes:
    """One PDF, one slip per page (print a day's slips in one go)."""
    return render_pdf(
        "assignment_slip.html", {"slips": list(slips)}, header=DocumentHeader.of(tenant)
    )


def acceptance_notice_pdf(tenant: TenantRef, notice: AcceptanceNotice) -> bytes:
    return render_pdf(
        "acceptance_notice.html", {"notice": notice}, header=DocumentHeader.of(tenant)
    )


def reply_document_pdf(tenant: TenantRef, reply: ReplyDocument) -> bytes:
    return render_pdf("reply_document.html", {"reply": reply}, header=DocumentHeader.of(tenant))


def duty_log_pdf(tenant: TenantRef, log: DutyLogDocument) -> bytes:
    return render_pdf("duty_log.html", {"log": log}, header=DocumentHeader.of(tenant))
