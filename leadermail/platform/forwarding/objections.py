"""异议: the receiver says a forwarded matter is not its business; the sender decides.

    await object_forwarding(context, tenant=county, forwarding_id=leg.id, actor=actor,
                            reason="不属于本县职责")
    await decide_objection(context, tenant=city, forwarding_id=leg.id, actor=actor,
                           decision="return")            # or "reassign" / "dismiss"

《信访工作条例》 art. 23: the objection comes within 5 working days of receipt
(``leg.objection_due_at``). "return" (退回) gives the sender its letter back
in the state it had, "reassign" (改派) sends it on to another tenant as a new
leg, "dismiss" (异议不成立, with a reason) leaves it with the receiver.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.audit.writer import Actor
from leadermail.platform.clock import utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.forwarding.access import ForwardingError
from leadermail.platform.forwarding.crossings import deliver_forwarding
from leadermail.platform.forwarding.matter_events import enqueue_matter_refresh
from leadermail.platform.forwarding.models import Forwarding, ForwardingStatus
from leadermail.platform.forwarding.sending import check_target, create_leg
from leadermail.platform.forwarding.steps import Step, audit_step
from leadermail.platform.letters.models import Letter
from leadermail.platform.letters.workflow import add_timeline_event
from leadermail.tenants.registry import TenantRef


async def object_forwarding(
    context: AppContext, *, tenant: TenantRef, forwarding_id: int, actor: Actor, reason: str
) -> Forwarding:
    """异议: the receiver says the matter is not its business (art. 23, 5 working days)."""
    if not (reason or "").strip():
        raise ForwardingError("请填写异议理由")
    step = Step(context, tenant, forwarding_id, "receiver")
    async with step as (session, leg, letter):
        if leg.status not in (ForwardingStatus.PENDING, ForwardingStatus.ACCEPTED):
            raise ForwardingError(f"该转办当前为“{leg.status_label}”，不能提出异议")
        if leg.objection_due_at is not None and utcnow() > leg.objection_due_at:
            raise ForwardingError("已超过异议期限（收到转办后5个工作日内），请继续办理")
        leg.status, leg.objected_at = ForwardingStatus.OBJECTED, utcnow()
        leg.objection_reason = reason.strip()
        await step.record(
            actor,
            "forwarding_objected",
            f"提出异议：{leg.objection_reason}",
            "forwarding.objected",
            reason=leg.objection_reason,
        )
        step.tell_other_side(
            "objected",
            actor,
            "forwarding_objected",
            f"{tenant.name}提出异议：{leg.objection_reason}",
            "forwarding.objected",
        )
    return leg


async def decide_objection(
    context: AppContext,
    *,
    tenant: TenantRef,
    forwarding_id: int,
    actor: Actor,
    decision: str,
    to_tenant_id: int | None = None,
    note: str | None = None,
    due_at: datetime | None = None,
) -> Forwarding:
    """The sender rules on an objection: "return" (退回), "reassign" (改派) or "dismiss".

    Returns the leg decided on (for "reassign", its ``replaced_by_id`` is the new leg).
    """
    if decision not in ("return", "reassign", "dismiss"):
        raise ForwardingError("请选择审核结果")
    step = Step(context, tenant, forwarding_id, "sender")
    new_leg: Forwarding | None = None
    async with step as (session, leg, letter):
        if leg.status != ForwardingStatus.OBJECTED:
            raise ForwardingError("该转办没有待审核的异议")
        now = utcnow()
        leg.decided_at, leg.decided_by_label = now, actor.label
        leg.decision_note = (note or "").strip() or None
        if decision == "dismiss":
            if not leg.decision_note:
                raise ForwardingError("请说明异议不成立的理由")
            leg.status = ForwardingStatus.ACCEPTED
            message = f"异议不成立，请继续办理：{leg.decision_note}"
            state = None
        else:
            target = None
            if decision == "reassign":
                if to_tenant_id is None:
                    raise ForwardingError("请选择改派的信箱")
                target = await check_target(context, session, tenant, letter, to_tenant_id)
                if target.id == leg.to_tenant_id:
                    raise ForwardingError("改派对象不能是提出异议的信箱")
            leg.status = (
                ForwardingStatus.RETURNED if target is None else ForwardingStatus.REASSIGNED
            )
            message = (
                "异议成立，来信已退回转出机关"
                if target is None
                else f"异议成立，来信已改派{target.name}"
            )
            state = "forwarded"  # the copy leaves the receiver's hands
            if target is None:
                await _take_back(session, tenant, letter, leg, actor)
            else:
                parent = await session.get(Forwarding, leg.parent_id) if leg.parent_id else None
                new_leg = await create_leg(
                    session,
                    context,
                    tenant=tenant,
                    letter=letter,
                    target=target,
                    actor=actor,
                    note=leg.note,
                    due_at=due_at,
                    request_key=f"reassign:{leg.id}",
                    chosen_by="manual",
                    parent=parent,
                )
                leg.replaced_by_id = new_leg.id
        await audit_step(
            session,
            tenant,
            actor,
            f"forwarding.objection_{decision}",
            letter,
            leg,
            note=leg.decision_note,
        )
        step.tell_other_side(
            decision,
            actor,
            f"forwarding_objection_{decision}",
            message,
            f"forwarding.objection_{decision}",
            state=state,
        )
    if new_leg is not None:
        await deliver_forwarding(context, new_leg.id)
    return leg


async def _take_back(
    session: AsyncSession, tenant: TenantRef, letter: Letter, leg: Forwarding, actor: Actor
) -> None:
    """退回: the sender's letter is its own again, in the state it had before."""
    extra = dict(letter.extra or {})
    previous = extra.pop("state_before_forward", "accepted")
    letter.extra = extra
    letter.state = previous
    letter.updated_at = utcnow()
    enqueue_matter_refresh(session, letter.tenant_id, letter.id)  # the index shows the state
    await add_timeline_event(
        session,
        letter,
        "forwarding_returned",
        actor,
        public=True,
        message="转办未被接收，来信由本机关继续办理",
        data={"forwarding_id": leg.id, "from": "forwarded", "to": previous},
    )
