"""What staff do with an art. 19 flag: see the matter in hand, link the new letter to it.

    status = await matter_status(context, tenant, letter)     # None: no flag
    status.is_open, status.holder_name, status.state_label

    crossing = await link_to_matter(session, context, tenant=tenant, letter=letter, actor=actor)
    await session.commit()
    await record_crossing(context, **crossing)    # the outbox job is the safety net

Linking does not open a second case: the new letter is merged (workflow
``merge``) with a public timeline event that tells the citizen where the
matter is being handled and under which of their tracking codes to follow it;
the tenant handling it hears of the repeat letter (timeline + audit). A matter
that was closed meanwhile is not linked to: the flag then only informs, and
the new letter is handled as a new case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.forwarding.access import ForwardingError
from leadermail.platform.forwarding.matter_index import open_matter
from leadermail.platform.forwarding.models import OPEN_STATUSES, Forwarding
from leadermail.platform.forwarding.tracking import handling_leg, legs_of, subtree_of
from leadermail.platform.jobs.outbox import enqueue
from leadermail.platform.letters.models import Letter
from leadermail.platform.letters.workflow import (
    STATE_LABELS,
    IllegalTransition,
    apply_transition,
)
from leadermail.tenants.registry import TenantRef


@dataclass(frozen=True)
class MatterStatus:
    """The flagged matter as it is now (the flag itself was written on arrival)."""

    kind: str  # "in_progress" | "final"
    source: str  # "below" | "forwarded" | "appeal"
    label: str
    is_open: bool
    #: The tenant the matter is with (where the citizen wrote, for "below").
    holder: TenantRef | None
    #: Where it is handled now, when that tenant forwarded it on.
    now_with: TenantRef | None
    state_label: str
    #: The citizen's tracking code of the matter's letter.
    tracking_code: str | None
    #: The letter of the matter (in ``holder`` for "below"; this tenant's own
    #: forwarded letter for "forwarded").
    target_tenant_id: int | None
    target_letter_id: int | None
    linked_at: str | None
    similarity: float

    @property
    def holder_name(self) -> str:
        return self.holder.name if self.holder else "（已撤销的信箱）"

    @property
    def can_link(self) -> bool:
        return self.kind == "in_progress" and self.is_open and not self.linked_at


async def _deepest(context: AppContext, tenant_id: int, letter_id: int) -> TenantRef | None:
    leaf = handling_leg(await legs_of(context, tenant_id, letter_id))
    return await context.tenants.by_id(leaf.to_tenant_id) if leaf is not None else None


async def matter_status(
    context: AppContext, tenant: TenantRef, letter: Letter
) -> MatterStatus | None:
    """The flagged matter of ``letter`` (a letter of ``tenant``), looked up afresh."""
    flag: dict[str, Any] | None = (letter.extra or {}).get("matter_flag")
    if not flag:
        return None
    kind, source = flag.get("kind", "in_progress"), flag.get("source", "forwarded")
    if kind == "final":
        source = "appeal"
    holder = await context.tenants.by_id(int(flag["handled_by_tenant_id"]))
    common = {
        "kind": kind,
        "source": source,
        "label": flag.get("label", ""),
        "holder": holder,
        "linked_at": flag.get("linked_at"),
        "similarity": float(flag.get("similarity", 0.0)),
    }
    if source == "below":
        row = await open_matter(
            context, int(flag["handled_by_tenant_id"]), int(flag["matter_letter_id"])
        )
        now_with = None
        if row is not None and row.state == "forwarded":
            now_with = await _deepest(context, row.tenant_id, row.letter_id)
        return MatterStatus(
            **common,
            is_open=row is not None,
            now_with=now_with,
            state_label=STATE_LABELS.get(row.state, row.state) if row else "已办结或不再办理",
            tracking_code=row.tracking_code if row else None,
            target_tenant_id=int(flag["handled_by_tenant_id"]),
            target_letter_id=int(flag["matter_letter_id"]),
        )
    if source == "forwarded" and flag.get("forwarding_id"):
        async with context.database.core_session() as session:
            leg = await session.get(Forwarding, int(flag["forwarding_id"]))
        if leg is None:
            return None
        leaf = handling_leg(await subtree_of(context, leg))
        now_with = await context.tenants.by_id(leaf.to_tenant_id) if leaf else None
        return MatterStatus(
            **common,
            is_open=leg.status in OPEN_STATUSES,
            now_with=now_with if now_with and now_with != holder else None,
            state_label=leg.status_label,
            tracking_code=leg.tracking_code,
            target_tenant_id=leg.from_tenant_id,
            target_letter_id=leg.from_letter_id,
        )
    return MatterStatus(
        **common,
        is_open=False,
        now_with=None,
        state_label="已复核终结",
        tracking_code=None,
        target_tenant_id=None,
        target_letter_id=None,
    )


def _citizen_message(status: MatterStatus) -> str:
    where = status.holder_name
    if status.now_with is not None:
        where = f"{status.holder_name}（现由{status.now_with.name}办理）"
    code = f"（查询码 {status.tracking_code}）" if status.tracking_code else ""
    return (
        f"您反映的事项已由{where}受理，正在办理中{code}。依据《信访工作条例》第十九条，"
        "本机关不再重复立案，请凭原来信的查询码关注办理进展和答复。"
    )


async def link_to_matter(
    session: AsyncSession,
    context: AppContext,
    *,
    tenant: TenantRef,
    letter: Letter,
    actor: Actor,
) -> dict[str, Any]:
    """Link the flagged ``letter`` (locked, in ``session``) to the matter in hand.

    Returns the crossing for the handling tenant's side; the caller commits,
    then runs it with ``crossings.record_crossing``.
    """
    status = await matter_status(context, tenant, letter)
    if status is None or status.kind != "in_progress":
        raise ForwardingError("该来信没有“同一事项正在办理”的提示，不能关联")
    if status.linked_at:
        raise ForwardingError("该来信已关联至正在办理的事项")
    if not status.is_open or status.target_letter_id is None:
        raise ForwardingError("该事项已经办结或不再办理，请按新来信正常办理")
    data = {
        "matter_tenant_id": status.target_tenant_id,
        "matter_letter_id": status.target_letter_id,
        "source": status.source,
    }
    try:
        await apply_transition(
            session, letter, "merge", actor, message=_citizen_message(status), data=data
        )
    except IllegalTransition as exc:
        raise ForwardingError(exc.message) from exc
    extra = dict(letter.extra or {})
    extra["matter_flag"] = {
        **extra["matter_flag"],
        "linked_at": utcnow().isoformat(),
        "linked_by": actor.label,
    }
    letter.extra = extra
    await record_audit(
        session,
        tenant_id=tenant.id,
        actor=actor,
        action="letter.matter_linked",
        object_type="letter",
        object_id=letter.id,
        data=data,
    )
    same_tenant = status.target_tenant_id == tenant.id
    crossing: dict[str, Any] = {
        "event_key": f"matter:{tenant.id}:{letter.id}:linked",
        "tenant_id": status.target_tenant_id,
        "letter_id": status.target_letter_id,
        "kind": "matter_linked",
        "message": (
            f"本机关收到来信人就同一事项的新来信（{letter.tracking_code}），已并入本件跟踪"
            if same_tenant
            else f"{tenant.name}收到来信人就同一事项的来信，依《信访工作条例》第十九条"
            "不另行立案，已告知来信人由本机关继续办理"
        ),
        "action": "matter.linked_from_above" if not same_tenant else "matter.linked",
        "actor_label": f"{tenant.name} {actor.label}",
        "data": {"from_tenant_id": tenant.id, "from_letter_id": letter.id},
    }
    enqueue(session, "record_crossing", **crossing)
    return crossing
