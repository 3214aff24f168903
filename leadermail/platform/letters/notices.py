"""Statutory notices (告知) as first-class milestones of a letter.

《信访工作条例》 art. 23 requires a written notice, within 15 days, of whether
a letter is accepted (and where it went); art. 34 requires the reason of an
extension to be told. Each notice here is generated from a template with the
letter's facts, published on the citizen's tracking page as a public timeline
event (kind ``notice_<kind>``), sent to the citizen's e-mail/phone by a job,
and time-stamped against its own deadline::

    notice = await issue_notice(session, tenant, letter, "acceptance", actor)
    notice.due_at, notice.sent_at, notice.on_time

Call :func:`issue_notice_for_transition` after a workflow transition
(accept / reject / forward / request_material / send_reply) to issue the
matching notice. The last two have no deadline of their own: they tell the
writer that something waits for them on the tracking page (a request for
material, a reply).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Identity, String, Text, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.db import TenantBase, TenantScoped
from leadermail.platform.deadlines.calendar import WorkCalendar
from leadermail.platform.deadlines.letters import clock_start, session_calendar
from leadermail.platform.deadlines.policies import ACCEPTANCE_NOTICE_CAP
from leadermail.platform.deadlines.rules import compute_due
from leadermail.platform.jobs.outbox import enqueue
from leadermail.platform.letters.models import Letter, Unit
from leadermail.platform.letters.tracking import format_tracking_code
from leadermail.platform.letters.workflow import add_timeline_event
from leadermail.platform.web.templating import format_date, format_datetime
from leadermail.tenants.registry import TenantRef

#: Delivers a notice to the writer (``notifications.staff_jobs.send_citizen_notice``).
NOTICE_JOB = "send_citizen_notice"

NOTICE_LABELS: dict[str, str] = {
    "acceptance": "受理告知",
    "non_acceptance": "不予受理告知",
    "forwarded": "转送告知",
    "extension": "延期告知",
    "material_request": "补充材料告知",
    "replied": "答复告知",
}
#: Notices a letter gets at most once.
ONCE = frozenset({"acceptance", "non_acceptance", "forwarded"})
TRANSITION_NOTICES = {
    "accept": "acceptance",
    "reject": "non_acceptance",
    "forward": "forwarded",
    "request_material": "material_request",
    "send_reply": "replied",
}
#: Notices that say what staff wrote, so cannot go out without it.
NEEDS_REASON = frozenset({"non_acceptance", "extension", "material_request"})
#: Notices with a deadline of their own (the others are told when they happen).
DUE = frozenset({"acceptance", "non_acceptance", "forwarded", "extension"})

# No personal data in the text: it is shown on the tracking page and sent by
# SMS; the tracking code identifies the letter well enough. Nor the query
# password (only the receipt carries it), nor a reply's text: the writer
# reads that on the tracking page, behind the password.
TEMPLATES: dict[str, str] = {
    "acceptance": (
        "尊敬的来信人：您于{submitted}提交的来信《{title}》（查询码 {code}）已于{today}受理，"
        "由{unit}负责办理，答复期限至{reply_due}。您可凭查询码和查询密码随时查询办理进度。"
        "特此告知。\n{tenant}\n{today}"
    ),
    "non_acceptance": (
        "尊敬的来信人：您于{submitted}提交的来信《{title}》（查询码 {code}）经审查，不予受理。"
        "理由：{reason}。如对本决定有异议，可向本机关或其上级机关反映。特此告知。\n{tenant}\n{today}"
    ),
    "forwarded": (
        "尊敬的来信人：您于{submitted}提交的来信《{title}》（查询码 {code}）反映的事项依法应由"
        "{target}处理，已于{today}转送该机关办理。您仍可凭原查询码查询办理进度。特此告知。"
        "\n{tenant}\n{today}"
    ),
    "extension": (
        "尊敬的来信人：您于{submitted}提交的来信《{title}》（查询码 {code}）情况较为复杂，"
        "因{reason}，经单位负责人批准，办理期限由{previous_due}延长至{new_due}。"
        "特此告知。\n{tenant}\n{today}"
    ),
    "material_request": (
        "尊敬的来信人：您于{submitted}提交的来信《{title}》（查询码 {code}）需要您补充材料："
        "{reason}。请凭查询码和查询密码在本信箱“信件查询”页面提交补充材料。特此告知。"
        "\n{tenant}\n{today}"
    ),
    "replied": (
        "尊敬的来信人：您于{submitted}提交的来信《{title}》（查询码 {code}）已于{today}答复。"
        "请凭查询码和查询密码在本信箱“信件查询”页面查看答复，并可对办理结果作出评价。"
        "特此告知。\n{tenant}\n{today}"
    ),
}

#: The 答复告知 of a letter handled again at the writer's request (重新办理):
#: the same facts, but it must not read as if the first answer were repeated.
REHANDLED_REPLY_TEMPLATE = (
    "尊敬的来信人：您于{submitted}提交的来信《{title}》（查询码 {code}）经您申请重新办理，"
    "已于{today}作出重新办理后的答复。请凭查询码和查询密码在本信箱“信件查询”页面查看，"
    "并可对重新办理的结果作出评价。特此告知。\n{tenant}\n{today}"
)

#: Marks staff end their text with, which the templates supply themselves.
_CLOSING_MARKS = "。．.，,；;、：:！!？? \t\r\n\u3000"


def embedded_text(text: str | None) -> str:
    """Staff text as it sits inside a template's sentence: trimmed, and without
    the closing mark the template adds after it::

        embedded_text("反映事项已进入诉讼程序。")   # "反映事项已进入诉讼程序"
    """
    return (text or "").strip().rstrip(_CLOSING_MARKS)


class NoticeError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LetterNotice(TenantScoped, TenantBase):
    __tablename__ = "letter_notices"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    letter_id: Mapped[int] = mapped_column(
        ForeignKey("letters.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text)
    #: When the notice was due by law (or by the deadline it announces).
    due_at: Mapped[datetime | None]
    #: When it was published on the tracking page (and handed to delivery).
    sent_at: Mapped[datetime]
    on_time: Mapped[bool | None]
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    issued_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def label(self) -> str:
        return NOTICE_LABELS.get(self.kind, self.kind)


def notice_due_at(
    letter: Letter, kind: str, calendar: WorkCalendar, facts: dict[str, Any]
) -> datetime | None:
    """The notice's own deadline: 15 days from receipt (art. 23) for the
    acceptance, non-acceptance and forwarding notices; an extension must be
    told before the deadline it extends runs out; the others have none."""
    if kind not in DUE:
        return None
    if kind == "extension":
        return facts.get("previous_due_at")
    return compute_due(clock_start(letter), ACCEPTANCE_NOTICE_CAP, calendar).due_at


async def render_notice(
    session: AsyncSession, tenant: TenantRef, letter: Letter, kind: str, facts: dict[str, Any]
) -> str:
    if kind not in TEMPLATES:
        raise NoticeError(f"未知的告知类型“{kind}”")
    unit_name = "相关单位"
    if letter.unit_id is not None:
        unit = await session.get(Unit, letter.unit_id)
        unit_name = unit.name if unit is not None else unit_name
    now = utcnow()
    values = {
        "submitted": format_date(letter.submitted_at),
        "title": letter.title,
        "code": format_tracking_code(letter.tracking_code),
        "today": format_date(now),
        "unit": unit_name,
        "reply_due": format_datetime(letter.reply_due_at) if letter.reply_due_at else "另行告知",
        "reason": embedded_text(facts.get("reason")),
        "target": facts.get("target_name") or "有权处理的机关",
        "previous_due": format_datetime(facts.get("previous_due_at")),
        "new_due": format_datetime(facts.get("new_due_at")),
        "tenant": tenant.name,
    }
    template = TEMPLATES[kind]
    if kind == "replied" and letter.rehandle_count > 0:
        template = REHANDLED_REPLY_TEMPLATE
    return template.format(**values)


async def issue_notice(
    session: AsyncSession,
    tenant: TenantRef,
    letter: Letter,
    kind: str,
    actor: Actor,
    *,
    reason: str | None = None,
    target_name: str | None = None,
    previous_due_at: datetime | None = None,
    new_due_at: datetime | None = None,
    calendar: WorkCalendar | None = None,
) -> LetterNotice:
    """Generate, publish and queue delivery of a notice (in the caller's transaction).

    Issuing a once-only notice again returns the first one unchanged.
    """
    if kind not in TEMPLATES:
        raise NoticeError(f"未知的告知类型“{kind}”")
    if kind in ONCE:
        existing = (
            await session.execute(
                select(LetterNotice).where(
                    LetterNotice.letter_id == letter.id, LetterNotice.kind == kind
                )
            )
        ).scalars().first()
        if existing is not None:
            return existing
    if kind in NEEDS_REASON and not embedded_text(reason):
        raise NoticeError(f"“{NOTICE_LABELS[kind]}”需要写明理由")
    facts: dict[str, Any] = {
        "reason": reason,
        "target_name": target_name,
        "previous_due_at": previous_due_at,
        "new_due_at": new_due_at,
    }
    calendar = calendar or await session_calendar(session)
    text = await render_notice(session, tenant, letter, kind, facts)
    due_at = notice_due_at(letter, kind, calendar, facts)
    sent_at = utcnow()
    on_time = None if due_at is None else sent_at <= due_at
    data = {
        "notice_kind": kind,
        "due_at": due_at.isoformat() if due_at else None,
        "on_time": on_time,
    }
    event = await add_timeline_event(
        session, letter, f"notice_{kind}", actor, message=text, public=True, data=data
    )
    notice = LetterNotice(
        tenant_id=letter.tenant_id,
        letter_id=letter.id,
        kind=kind,
        text=text,
        due_at=due_at,
        sent_at=sent_at,
        on_time=on_time,
        event_id=event.id,
        issued_by_user_id=actor.user_id,
        data={k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in facts.items() if v},
    )
    session.add(notice)
    await session.flush()
    await record_audit(
        session,
        tenant_id=letter.tenant_id,
        actor=actor,
        action=f"letter.notice_{kind}",
        object_type="letter",
        object_id=letter.id,
        data={"notice_id": notice.id, "on_time": on_time},
    )
    if letter.writer_email or letter.writer_phone:
        enqueue(session, NOTICE_JOB, tenant_id=letter.tenant_id, notice_id=notice.id)
    return notice


async def issue_notice_for_transition(
    session: AsyncSession,
    tenant: TenantRef,
    letter: Letter,
    transition: str,
    actor: Actor,
    *,
    message: str | None = None,
    target_name: str | None = None,
) -> LetterNotice | None:
    """The notice that follows ``transition`` (see ``TRANSITION_NOTICES``), or None."""
    kind = TRANSITION_NOTICES.get(transition)
    if kind is None:
        return None
    return await issue_notice(
        session, tenant, letter, kind, actor, reason=message, target_name=target_name
    )


async def notices_of(session: AsyncSession, letter_id: int) -> list[LetterNotice]:
    return list(
        (
            await session.execute(
                select(LetterNotice)
                .where(LetterNotice.letter_id == letter_id)
                .order_by(LetterNotice.sent_at, LetterNotice.id)
            )
        ).scalars().all()
    )
