"""催办: the sender presses the receiver of a leg still in hand.

    await urge_forwarding(context, tenant=city, forwarding_id=leg.id, actor=actor,
                          message="请本周内答复")

The sender's letter and the receiver's copy both get the event; the ledger
counts the urges (the overview and supervision show the count).
"""

from __future__ import annotations

from leadermail.platform.audit.writer import Actor
from leadermail.platform.clock import utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.forwarding.access import ForwardingError
from leadermail.platform.forwarding.models import OPEN_STATUSES, Forwarding
from leadermail.platform.forwarding.steps import Step
from leadermail.tenants.registry import TenantRef


async def urge_forwarding(
    context: AppContext,
    *,
    tenant: TenantRef,
    forwarding_id: int,
    actor: Actor,
    message: str | None = None,
) -> Forwarding:
    """催办: the sender presses the receiver."""
    step = Step(context, tenant, forwarding_id, "sender")
    async with step as (session, leg, letter):
        if leg.status not in OPEN_STATUSES or leg.to_letter_id is None:
            raise ForwardingError(f"该转办当前为“{leg.status_label}”，无需催办")
        leg.urge_count += 1
        leg.last_urged_at = utcnow()
        text = (message or "").strip() or "请抓紧办理并按期报送办结报告"
        await step.record(
            actor, "forwarding_urged", f"向受理机关催办：{text}", "forwarding.urged", message=text
        )
        step.tell_other_side(
            f"urge:{leg.urge_count}",
            actor,
            "urge",
            f"{tenant.name}催办：{text}",
            "forwarding.urged",
        )
    return leg
