"""复查 and 复核: asking the next level up to look at a final reply again.

    step = await next_appeal_step(context, tenant, letter)   # what the citizen may ask now
    appeal = await request_appeal(context, tenant=tenant, letter=letter, reason="……")
    await answer_appeal(context, tenant=reviewer, appeal_id=appeal.id, actor=actor,
                        outcome="upheld", opinion="……")

``tenant``/``letter`` are the site and letter the citizen wrote (their
tracking code). The reviewing tenant gets a copy of the letter in its inbox;
the ledger row in ``core.appeals`` links both, and each side's timeline and
audit trail record it (reviewer side in the same transaction as the row, the
citizen's side by an idempotent crossing, as for forwarding).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from leadermail.platform.appeals.models import Appeal, AppealKind, AppealOutcome, AppealStatus
from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.deadlines.rules import DeadlineRule, compute_due
from leadermail.platform.deadlines.schedule import load_calendar
from leadermail.platform.forwarding.crossings import record_crossing
from leadermail.platform.forwarding.matters import fingerprint, letter_text, writer_keys
from leadermail.platform.forwarding.tracking import final_reply_for, handling_tenant
from leadermail.platform.jobs.outbox import enqueue
from leadermail.platform.letters.models import Channel, Letter
from leadermail.platform.letters.workflow import OPEN_STATES, add_timeline_event
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session

#: art. 35–36: 30 days to ask, 30 days to answer.
APPEAL_WINDOW = DeadlineRule.parse("30d")
ANSWER_PERIOD = DeadlineRule.parse("30d")
COPY_CODE_PREFIX = "A0"


class AppealError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AppealNotFound(LookupError):
    pass


@dataclass(frozen=True)
class AppealStep:
    """What the citizen may ask for now, or why not (``refusal``)."""

    kind: str | None
    to_tenant: TenantRef | None = None
    decided_tenant: TenantRef | None = None
    deadline: datetime | None = None
    refusal: str | None = None

    @property
    def label(self) -> str:
        return "复查" if self.kind == AppealKind.REVIEW else "复核"


async def appeals_for(context: AppContext, tracking_code: str) -> list[Appeal]:
    async with context.database.core_session() as session:
        return list(
            (
                await session.execute(
                    select(Appeal).where(Appeal.tracking_code == tracking_code).order_by(Appeal.id)
                )
            ).scalars()
        )


async def next_appeal_step(context: AppContext, tenant: TenantRef, letter: Letter) -> AppealStep:
    existing = await appeals_for(context, letter.tracking_code)
    calendar = await load_calendar(context.database)
    now = utcnow()
    if not existing:
        reply = await final_reply_for(context, tenant, letter)
        if reply is None or reply.sent_at is None:
            return AppealStep(None, refusal="收到书面答复后，如不满意可以申请复查")
        if letter.rehandle_count and letter.state in OPEN_STATES:
            # 重新办理 is under way and will end in a new reply: the one on
            # record is no longer the answer a 复查 reviews (art. 35); the
            # 30 days run from the new one.
            return AppealStep(
                None, refusal="来信正在重新办理，收到新的答复后如仍不满意，可以申请复查"
            )
        decided, _ = await handling_tenant(context, tenant, letter)
        kind, start = AppealKind.REVIEW, reply.sent_at
    else:
        last = existing[-1]
        if last.status == AppealStatus.PENDING:
            return AppealStep(None, refusal=f"{last.kind_label}申请正在办理中")
        if last.kind == AppealKind.RE_REVIEW:
            return AppealStep(
                None, refusal="该事项已经复核终结，依《信访工作条例》第三十六条不再受理"
            )
        found = await context.tenants.by_id(last.to_tenant_id)
        assert found is not None and last.answered_at is not None
        decided, kind, start = found, AppealKind.RE_REVIEW, last.answered_at
    deadline = compute_due(start, APPEAL_WINDOW, calendar).due_at
    label = "复查" if kind == AppealKind.REVIEW else "复核"
    if now > deadline:
        return AppealStep(None, refusal=f"已超过申请{label}的期限（收到意见之日起30日内）")
    parent = await context.tenants.by_id(decided.parent_id) if decided.parent_id else None
    if parent is None or not parent.is_active:
        return AppealStep(None, refusal=f"“{decided.name}”没有可受理{label}的上一级机关")
    return AppealStep(kind, to_tenant=parent, decided_tenant=decided, deadline=deadline)


async def request_appeal(
    context: AppContext, *, tenant: TenantRef, letter: Letter, reason: str
) -> Appeal:
    """File the next appeal for the citizen's letter (idempotent per kind)."""
    reason = (reason or "").strip()
    if not reason:
        raise AppealError("请填写申请理由")
    if len(reason) > 2000:
        raise AppealError("申请理由不超过 2000 个字符")
    step = await next_appeal_step(context, tenant, letter)
    if step.kind is None:
        raise AppealError(step.refusal or "现在不能申请")
    assert step.to_tenant is not None and step.decided_tenant is not None
    existing = await appeals_for(context, letter.tracking_code)
    secret = context.settings.secret_key
    keys = writer_keys(secret, letter.writer_phone, letter.writer_id_number)
    now = utcnow()
    due = compute_due(now, ANSWER_PERIOD, await load_calendar(context.database)).due_at
    reviewer = step.to_tenant
    actor = Actor(user_id=None, label="来信人")
    async with tenant_session(context.database, reviewer) as session, session.begin():
        appeal = Appeal(
            kind=step.kind,
            request_key=f"{step.kind}:{letter.tracking_code}",
            parent_id=existing[-1].id if existing else None,
            tracking_code=letter.tracking_code,
            origin_tenant_id=tenant.id,
            origin_letter_id=letter.id,
            decided_tenant_id=step.decided_tenant.id,
            to_tenant_id=reviewer.id,
            reason=reason,
            status=AppealStatus.PENDING,
            answer_due_at=due,
            writer_phone_key=keys.phone,
            writer_id_key=keys.id_number,
            fingerprint=fingerprint(secret, letter_text(letter.title, letter.body)),
            created_at=now,
        )
        session.add(appeal)
        await session.flush()
        copy = Letter(
            tenant_id=reviewer.id,
            tracking_code=f"{COPY_CODE_PREFIX}{appeal.id:014d}",
            query_password_hash="!appeal",  # noqa: S106 - unusable on purpose
            letter_type=letter.letter_type,
            title=f"【{step.label}申请】{letter.title}"[:100],
            body=f"申请理由：{reason}\n\n原来信：{letter.body}",
            region=letter.region,
            writer_name=letter.writer_name,
            writer_phone=letter.writer_phone,
            writer_email=letter.writer_email,
            publish_consent=False,
            channel=Channel.FORWARDED,
            state="submitted",
            received_at=now,
            reply_due_at=due,
            submission_key=f"appeal:{appeal.id}",
            origin_tenant_id=tenant.id,
            origin_letter_id=letter.id,
            extra={"appeal_id": appeal.id, "appeal_kind": step.kind},
        )
        session.add(copy)
        await session.flush()
        appeal.to_letter_id = copy.id
        data = {
            "appeal_id": appeal.id,
            "kind": step.kind,
            "decided_tenant_id": step.decided_tenant.id,
        }
        await add_timeline_event(
            session,
            copy,
            f"appeal_{step.kind}",
            actor,
            message=f"来信人申请{step.label}：{reason}",
            data=data,
        )
        await record_audit(
            session,
            tenant_id=reviewer.id,
            actor=actor,
            action="appeal.received",
            object_type="letter",
            object_id=copy.id,
            data=data,
        )
        crossing = {
            "event_key": f"appeal:{appeal.id}:requested",
            "tenant_id": tenant.id,
            "letter_id": letter.id,
            "kind": f"appeal_{step.kind}",
            "public": True,
            "message": f"已申请{step.label}，由{reviewer.name}办理，应于{due:%Y-%m-%d}前出具意见",
            "action": "appeal.requested",
            "actor_label": "来信人",
            "data": data,
        }
        enqueue(session, "record_crossing", **crossing)
    await record_crossing(context, **crossing)  # type: ignore[arg-type]
    return appeal


async def answer_appeal(
    context: AppContext,
    *,
    tenant: TenantRef,
    appeal_id: int,
    actor: Actor,
    outcome: str,
    opinion: str,
) -> Appeal:
    """The reviewing tenant's written opinion; after 复核 the matter is final."""
    if outcome not in {o.value for o in AppealOutcome}:
        raise AppealError("请选择审查结论")
    if not (opinion or "").strip():
        raise AppealError("请填写书面意见")
    async with tenant_session(context.database, tenant) as session, session.begin():
        appeal = await session.get(Appeal, appeal_id, with_for_update=True)
        if appeal is None or appeal.to_tenant_id != tenant.id:
            raise AppealNotFound(appeal_id)
        if appeal.status != AppealStatus.PENDING:
            raise AppealError("该申请已经出具意见")
        now = utcnow()
        appeal.status, appeal.answered_at, appeal.answered_by_label = (
            AppealStatus.ANSWERED,
            now,
            actor.label,
        )
        appeal.outcome, appeal.opinion = outcome, opinion.strip()
        appeal.is_final = appeal.kind == AppealKind.RE_REVIEW
        copy = await session.get(Letter, appeal.to_letter_id, with_for_update=True)
        data = {"appeal_id": appeal.id, "outcome": outcome, "final": appeal.is_final}
        if copy is not None:
            copy.state, copy.closed_at, copy.replied_at = "closed", now, now
            await add_timeline_event(
                session,
                copy,
                "appeal_answered",
                actor,
                message=f"已出具{appeal.kind_label}意见",
                data=data,
            )
        await record_audit(
            session,
            tenant_id=tenant.id,
            actor=actor,
            action="appeal.answered",
            object_type="appeal",
            object_id=appeal.id,
            data=data,
        )
        final_note = "。该事项已复核终结，不再受理" if appeal.is_final else ""
        crossing = {
            "event_key": f"appeal:{appeal.id}:answered",
            "tenant_id": appeal.origin_tenant_id,
            "letter_id": appeal.origin_letter_id,
            "kind": "appeal_answered",
            "public": True,
            "message": (
                f"{tenant.name}{appeal.kind_label}意见（{appeal.outcome_label}）："
                f"{appeal.opinion}{final_note}"
            ),
            "action": "appeal.answered",
            "actor_label": tenant.name,
            "data": data,
        }
        enqueue(session, "record_crossing", **crossing)
    await record_crossing(context, **crossing)  # type: ignore[arg-type]
    return appeal
