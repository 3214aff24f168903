"""What the citizen sees of a forwarded letter, on the site where they wrote.

The citizen keeps the tracking code and password of the letter they wrote;
the receivers' copies have internal codes only. The tracking page (issue 3)
asks this module for the path and the final reply::

    legs = await forwarding_path(context, tenant, letter)      # [] if never forwarded
    reply = await final_reply_for(context, tenant, letter)     # FinalReply | None

and includes ``_partials/forwarding_path.html`` with ``legs`` and ``final_reply``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from leadermail.platform.context import AppContext
from leadermail.platform.forwarding.models import Forwarding, ForwardingStatus
from leadermail.platform.letters.models import Letter, Reply
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session

#: What the citizen reads for each leg status (staff words stay internal).
CITIZEN_STATUS = {
    ForwardingStatus.PENDING: "已转交，待接收",
    ForwardingStatus.ACCEPTED: "办理中",
    ForwardingStatus.OBJECTED: "正在确认办理机关",
    ForwardingStatus.RETURNED: "已退回转出机关",
    ForwardingStatus.REASSIGNED: "已改由其他机关办理",
    ForwardingStatus.COMPLETED: "已办结",
}


@dataclass(frozen=True)
class Leg:
    forwarding_id: int
    depth: int
    from_name: str
    to_name: str
    forwarded_at: datetime
    status: str
    status_label: str
    due_at: datetime | None
    completed_at: datetime | None


@dataclass(frozen=True)
class FinalReply:
    tenant_name: str
    body_html: str  # sanitised when it was written (nh3)
    signer_name: str | None
    sent_at: datetime | None


async def legs_of(
    context: AppContext, root_tenant_id: int, root_letter_id: int
) -> list[Forwarding]:
    async with context.database.core_session() as session:
        return list(
            (
                await session.execute(
                    select(Forwarding)
                    .where(
                        Forwarding.root_tenant_id == root_tenant_id,
                        Forwarding.root_letter_id == root_letter_id,
                    )
                    .order_by(Forwarding.id)
                )
            ).scalars()
        )


async def _name(context: AppContext, tenant_id: int) -> str:
    tenant = await context.tenants.by_id(tenant_id)
    return tenant.name if tenant else "（已撤销的信箱）"


async def forwarding_path(context: AppContext, tenant: TenantRef, letter: Letter) -> list[Leg]:
    """Every leg of the letter the citizen wrote to ``tenant``, in order."""
    rows = await legs_of(context, tenant.id, letter.id)
    depth: dict[int, int] = {}
    legs = []
    for row in rows:
        depth[row.id] = depth.get(row.parent_id, -1) + 1 if row.parent_id else 0
        legs.append(
            Leg(
                forwarding_id=row.id,
                depth=depth[row.id],
                from_name=await _name(context, row.from_tenant_id),
                to_name=await _name(context, row.to_tenant_id),
                forwarded_at=row.created_at,
                status=row.status,
                status_label=CITIZEN_STATUS.get(row.status, row.status),
                due_at=row.due_at,
                completed_at=row.completed_at,
            )
        )
    return legs


def handling_leg(rows: list[Forwarding]) -> Forwarding | None:
    """The deepest leg still standing (not returned or reassigned), if any."""
    standing = {
        r.id: r
        for r in rows
        if r.status not in (ForwardingStatus.RETURNED, ForwardingStatus.REASSIGNED)
    }
    leaves = [
        r for r in standing.values() if not any(c.parent_id == r.id for c in standing.values())
    ]
    return max(leaves, key=lambda r: r.id) if leaves else None


async def handling_tenant(
    context: AppContext, tenant: TenantRef, letter: Letter
) -> tuple[TenantRef, int]:
    """Which tenant (and letter id there) handles the citizen's letter now."""
    leaf = handling_leg(await legs_of(context, tenant.id, letter.id))
    if leaf is None or leaf.to_letter_id is None:
        return tenant, letter.id
    receiver = await context.tenants.by_id(leaf.to_tenant_id)
    assert receiver is not None
    return receiver, leaf.to_letter_id


async def subtree_of(context: AppContext, leg: Forwarding) -> list[Forwarding]:
    """``leg`` and every leg forwarded on from it, down the chain."""
    rows = await legs_of(context, leg.root_tenant_id, leg.root_letter_id)
    inside = {leg.id}
    for row in rows:  # ordered by id: a parent comes before its children
        if row.parent_id in inside:
            inside.add(row.id)
    return [row for row in rows if row.id in inside]


async def final_reply_below(context: AppContext, leg: Forwarding) -> FinalReply | None:
    """The reply of the tenant that handled the matter below ``leg`` (the
    sender's "forwarded" view), or None while there is none."""
    leaf = handling_leg(await subtree_of(context, leg))
    if leaf is None or leaf.to_letter_id is None:
        return None
    holder = await context.tenants.by_id(leaf.to_tenant_id)
    if holder is None:
        return None
    return await _last_sent_reply(context, holder, leaf.to_letter_id)


async def final_reply_for(
    context: AppContext, tenant: TenantRef, letter: Letter
) -> FinalReply | None:
    """The reply sent to the citizen by whoever handled the letter, or None yet."""
    holder, letter_id = await handling_tenant(context, tenant, letter)
    return await _last_sent_reply(context, holder, letter_id)


async def _last_sent_reply(
    context: AppContext, holder: TenantRef, letter_id: int
) -> FinalReply | None:
    async with tenant_session(context.database, holder) as session:
        reply = await session.scalar(
            select(Reply)
            .where(Reply.letter_id == letter_id, Reply.status == "sent")
            .order_by(Reply.sent_at.desc(), Reply.id.desc())
            .limit(1)
        )
    if reply is None:
        return None
    return FinalReply(
        tenant_name=holder.name,
        body_html=reply.body_html,
        signer_name=reply.signer_name,
        sent_at=reply.sent_at,
    )
