"""The receiver's steps on a leg: 签收 and the completion report (办结报告).

    await accept_forwarding(context, tenant=county, forwarding_id=leg.id, actor=actor)
    await report_completion(context, tenant=county, forwarding_id=leg.id, actor=actor,
                            report="已答复来信人……")

A report answers the sender's letter (``completion.receive_completion_report``)
and, in a chain, passes itself up: the middle tenant did not handle the
matter, so it reports on by itself (:func:`pass_up`). Refusals raise
``ForwardingError``; a leg of someone else is ``ForwardingNotFound``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.audit.writer import Actor
from leadermail.platform.clock import utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.forwarding.access import ForwardingError
from leadermail.platform.forwarding.completion import receive_completion_report
from leadermail.platform.forwarding.models import Forwarding, ForwardingStatus
from leadermail.platform.forwarding.steps import Step
from leadermail.platform.jobs.outbox import enqueue
from leadermail.tenants.registry import TenantRef

#: Receiver states that count as answered (completion report due).
ANSWERED_STATES = frozenset({"replied", "evaluated", "closed", "archived"})


async def accept_forwarding(
    context: AppContext, *, tenant: TenantRef, forwarding_id: int, actor: Actor
) -> Forwarding:
    """The receiver signs for the letter (签收) and handles it."""
    step = Step(context, tenant, forwarding_id, "receiver")
    async with step as (session, leg, letter):
        if leg.status != ForwardingStatus.PENDING:
            raise ForwardingError(f"该转办当前为“{leg.status_label}”，不能签收")
        leg.status, leg.accepted_at = ForwardingStatus.ACCEPTED, utcnow()
        leg.receiver_state = letter.state
        await step.record(actor, "forwarding_accepted", "已签收转办来信", "forwarding.accepted")
        step.tell_other_side(
            "accepted", actor, "forwarding_accepted", f"{tenant.name}已签收", "forwarding.accepted"
        )
    return leg


async def report_completion(
    context: AppContext,
    *,
    tenant: TenantRef,
    forwarding_id: int,
    actor: Actor,
    report: str,
) -> Forwarding:
    """办结报告: the receiver reports back (art. 22(3)); passes up a chain by itself.

    The sender's letter is answered by it (``completion.receive_completion_report``).
    """
    if not (report or "").strip():
        raise ForwardingError("请填写办结报告")
    step = Step(context, tenant, forwarding_id, "receiver")
    parent_id: int | None = None
    async with step as (session, leg, letter):
        if leg.status not in (ForwardingStatus.PENDING, ForwardingStatus.ACCEPTED):
            raise ForwardingError(f"该转办当前为“{leg.status_label}”，不能报送办结报告")
        if letter.state not in ANSWERED_STATES and not await _children_completed(session, leg):
            raise ForwardingError("来信尚未答复来信人，答复后才能报送办结报告")
        now = utcnow()
        leg.status, leg.completed_at = ForwardingStatus.COMPLETED, now
        leg.accepted_at = leg.accepted_at or now
        leg.completion_report = report.strip()
        leg.receiver_state = letter.state
        await step.record(actor, "completion_reported", "已报送办结报告", "forwarding.completed")
        # The sender's letter is answered by this report (its own transaction,
        # run inline below; the outbox job is the safety net).
        enqueue(
            session,
            "receive_completion_report",
            forwarding_id=leg.id,
            actor_label=actor.label,
        )
        parent_id = leg.parent_id
    await receive_completion_report(context, forwarding_id=leg.id, actor_label=actor.label)
    if parent_id is not None:
        await pass_up(context, parent_id, leg)
    return leg


async def _children_completed(session: AsyncSession, leg: Forwarding) -> bool:
    """A pass-through tenant (it forwarded the copy on) may report once its leg below did."""
    return bool(
        await session.scalar(
            select(Forwarding.id).where(
                Forwarding.parent_id == leg.id, Forwarding.status == ForwardingStatus.COMPLETED
            )
        )
    )


async def pass_up(context: AppContext, parent_id: int, child: Forwarding) -> None:
    """The middle of a chain forwards the report up by itself (it did not handle the matter)."""
    async with context.database.core_session() as session:
        parent = await session.get(Forwarding, parent_id)
    if parent is None or parent.status not in (ForwardingStatus.PENDING, ForwardingStatus.ACCEPTED):
        return
    middle = await context.tenants.by_id(parent.to_tenant_id)
    receiver = await context.tenants.by_id(child.to_tenant_id)
    assert middle is not None and receiver is not None
    await report_completion(
        context,
        tenant=middle,
        forwarding_id=parent.id,
        actor=Actor.system(f"{middle.name}（转报）"),
        report=f"经{receiver.name}办理：{child.completion_report}",
    )
