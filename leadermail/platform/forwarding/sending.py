"""Sending a letter to another tenant (转办): the new leg and its copy's delivery.

    leg = await forward_letter(session, context, tenant=city, letter=letter,
                               to_tenant_id=county.id, actor=actor, note="请依法处理",
                               due_at=None, request_key=form_key)
    await session.commit()
    await after_commit(context, leg)      # deliver now; the outbox job is the safety net

or, with its own session, commit and delivery::

    leg = await forward_letter_by_id(context, tenant=city, letter_id=letter.id,
                                     to_tenant_id=county.id, actor=actor)

The sender's letter moves to "forwarded" (or, on a 改派, stays there with an
event of its own) in the same transaction as the ledger row and the outbox
job that delivers the copy (see ``crossings``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.deadlines.rules import DeadlineRule, compute_due
from leadermail.platform.deadlines.schedule import load_calendar
from leadermail.platform.forwarding.access import (
    ForwardingError,
    chain_tenant_ids,
    incoming_leg,
)
from leadermail.platform.forwarding.crossings import deliver_forwarding
from leadermail.platform.forwarding.matters import fingerprint, letter_text, writer_keys
from leadermail.platform.forwarding.models import Forwarding, ForwardingStatus
from leadermail.platform.jobs.outbox import enqueue
from leadermail.platform.letters.models import Letter
from leadermail.platform.letters.workflow import (
    IllegalTransition,
    add_timeline_event,
    apply_transition,
    check_transition,
)
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session

#: Default handling deadline when the sender sets none (art. 22: 15 日 to
#: process and hand on; receivers usually get the same).
DEFAULT_DEADLINE = DeadlineRule.parse("15d")
#: States whose letter is finished with: no forwarding any more.
FINISHED_STATES = frozenset(
    {"replied", "evaluated", "closed", "archived", "not_accepted", "merged"}
)


def why_not_forwardable(letter: Letter) -> str | None:
    """Why ``letter`` may not be 转办 now (Chinese), or None when it may."""
    if letter.state in FINISHED_STATES:
        return "来信已办结或已答复，不能再转办"
    if letter.state == "forwarded":
        return "来信已经转办，请在“已转办”中查看进度"
    try:
        check_transition(letter, "forward")
    except IllegalTransition as exc:
        return exc.message
    return None


def is_forwardable(letter: Letter) -> bool:
    """Whether ``letter`` may still be 转办 (:func:`why_not_forwardable` says why not)."""
    return why_not_forwardable(letter) is None


async def check_target(
    context: AppContext,
    session: AsyncSession,
    tenant: TenantRef,
    letter: Letter,
    to_tenant_id: int,
) -> TenantRef:
    """The tenant ``letter`` may go to, or ForwardingError (field "to_tenant_id")."""
    target = await context.tenants.by_id(to_tenant_id)
    if target is None:
        raise ForwardingError("接收信箱不存在", "to_tenant_id")
    if target.id == tenant.id:
        raise ForwardingError("不能转办给本信箱", "to_tenant_id")
    if not target.is_active:
        raise ForwardingError(f"“{target.name}”已停用，不能接收转办", "to_tenant_id")
    chain = await chain_tenant_ids(session, await incoming_leg(session, letter))
    if target.id in chain:
        raise ForwardingError(
            f"不能转回“{target.name}”：该来信正是经由它转来的，转办不能形成循环；"
            "如认为不属于本机关职责，请提出异议",
            "to_tenant_id",
        )
    return target


async def forward_letter(
    session: AsyncSession,
    context: AppContext,
    *,
    tenant: TenantRef,
    letter: Letter,
    to_tenant_id: int,
    actor: Actor,
    note: str | None = None,
    due_at: datetime | None = None,
    request_key: str | None = None,
    chosen_by: str = "manual",
) -> Forwarding:
    """Forward ``letter`` (in ``session``, the sender's tenant session) to another tenant.

    The caller commits, then calls :func:`after_commit`. ``request_key``
    makes a repeated request return the first leg instead of a second one.
    Routing rules pass ``chosen_by="rule:<id>"``.
    """
    request_key = request_key or uuid.uuid4().hex
    existing = await session.scalar(select(Forwarding).where(Forwarding.request_key == request_key))
    if existing is not None:
        return existing
    if letter.tenant_id != tenant.id:
        raise ForwardingError("来信不属于本信箱")
    refusal = why_not_forwardable(letter)
    if refusal is not None:
        raise ForwardingError(refusal)
    target = await check_target(context, session, tenant, letter, to_tenant_id)
    return await create_leg(
        session,
        context,
        tenant=tenant,
        letter=letter,
        target=target,
        actor=actor,
        note=note,
        due_at=due_at,
        request_key=request_key,
        chosen_by=chosen_by,
        parent=await incoming_leg(session, letter),
    )


async def create_leg(
    session: AsyncSession,
    context: AppContext,
    *,
    tenant: TenantRef,
    letter: Letter,
    target: TenantRef,
    actor: Actor,
    note: str | None,
    due_at: datetime | None,
    request_key: str,
    chosen_by: str,
    parent: Forwarding | None,
) -> Forwarding:
    """The ledger row, the sender's event and the delivery job (a checked ``target``)."""
    now = utcnow()
    if due_at is None:
        due_at = compute_due(now, DEFAULT_DEADLINE, await load_calendar(context.database)).due_at
    elif due_at <= now:
        raise ForwardingError("办理期限必须晚于现在", "due_at")
    secret = context.settings.secret_key
    keys = writer_keys(secret, letter.writer_phone, letter.writer_id_number)
    leg = Forwarding(
        request_key=request_key,
        parent_id=parent.id if parent else None,
        root_tenant_id=parent.root_tenant_id if parent else tenant.id,
        root_letter_id=parent.root_letter_id if parent else letter.id,
        tracking_code=parent.tracking_code if parent else letter.tracking_code,
        from_tenant_id=tenant.id,
        from_letter_id=letter.id,
        to_tenant_id=target.id,
        status=ForwardingStatus.PENDING,
        note=(note or "").strip() or None,
        chosen_by=chosen_by,
        due_at=due_at,
        forwarded_by_user_id=actor.user_id,
        forwarded_by_label=actor.label,
        writer_phone_key=keys.phone,
        writer_id_key=keys.id_number,
        fingerprint=fingerprint(secret, letter_text(letter.title, letter.body)),
        created_at=now,
    )
    session.add(leg)
    await session.flush()
    if letter.state != "forwarded":
        extra = dict(letter.extra or {})
        extra["state_before_forward"] = letter.state
        letter.extra = extra
        await apply_transition(
            session,
            letter,
            "forward",
            actor,
            message=f"来信已转交{target.name}办理",
            data={"forwarding_id": leg.id, "to_tenant_id": target.id},
        )
    else:  # 改派: the letter stays forwarded; the new leg is its own event
        await add_timeline_event(
            session,
            letter,
            "forward",
            actor,
            message=f"来信已改派{target.name}办理",
            public=True,
            data={"forwarding_id": leg.id, "to_tenant_id": target.id},
        )
        await record_audit(
            session,
            tenant_id=tenant.id,
            actor=actor,
            action="forwarding.reassigned",
            object_type="letter",
            object_id=letter.id,
            data={"forwarding_id": leg.id, "to_tenant_id": target.id},
        )
    enqueue(session, "deliver_forwarding", forwarding_id=leg.id)
    return leg


async def after_commit(context: AppContext, leg: Forwarding) -> Forwarding:
    """Deliver at once (the outbox job would do it within a second or two);
    returns the ledger row as it is after delivery."""
    await deliver_forwarding(context, leg.id)
    async with context.database.core_session() as session:
        fresh = await session.get(Forwarding, leg.id)
    assert fresh is not None
    return fresh


async def forward_letter_by_id(
    context: AppContext,
    *,
    tenant: TenantRef,
    letter_id: int,
    to_tenant_id: int,
    actor: Actor,
    note: str | None = None,
    due_at: datetime | None = None,
    request_key: str | None = None,
    chosen_by: str = "manual",
) -> Forwarding:
    """Convenience: own session, commit and delivery."""
    async with tenant_session(context.database, tenant) as session:
        letter = await session.get(Letter, letter_id, with_for_update=True)
        if letter is None:
            raise ForwardingError("来信不存在")
        leg = await forward_letter(
            session,
            context,
            tenant=tenant,
            letter=letter,
            to_tenant_id=to_tenant_id,
            actor=actor,
            note=note,
            due_at=due_at,
            request_key=request_key,
            chosen_by=chosen_by,
        )
        await session.commit()
    return await after_commit(context, leg)
