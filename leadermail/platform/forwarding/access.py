"""Reaching a forwarding leg, and the errors every forwarding step raises.

    leg = await access_forwarding(session, tenant, forwarding_id)   # or ForwardingNotFound
    leg = await incoming_leg(session, letter)                       # the leg that brought a copy
    chain = await chain_tenant_ids(session, leg)                    # senders up the chain

A leg exists only for the two tenants it joins: for anyone else it is the
same :class:`ForwardingNotFound` as a missing one. Refusals of a step raise
:class:`ForwardingError`, whose ``message`` is shown to staff as is.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.forwarding.models import Forwarding
from leadermail.platform.letters.models import Letter
from leadermail.tenants.registry import TenantRef


class ForwardingError(ValueError):
    """A forwarding step refused; ``message`` (Chinese) says why and ``field``
    names the argument at fault ("to_tenant_id", "due_at"), if one is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ForwardingNotFound(LookupError):
    """No such forwarding for this tenant (missing and forbidden look the same)."""


async def access_forwarding(
    session: AsyncSession, tenant: TenantRef, forwarding_id: int, *, for_update: bool = False
) -> Forwarding:
    """A ledger row this tenant sent or received, else ForwardingNotFound."""
    leg = await session.get(Forwarding, forwarding_id, with_for_update=for_update)
    if leg is None:
        raise ForwardingNotFound(forwarding_id)
    if tenant.id not in (leg.from_tenant_id, leg.to_tenant_id):
        raise ForwardingNotFound(forwarding_id)
    return leg


async def incoming_leg(session: AsyncSession, letter: Letter) -> Forwarding | None:
    """The leg that brought ``letter`` (a copy) into its tenant, if any."""
    forwarding_id = (letter.extra or {}).get("forwarding_id")
    if forwarding_id is None:
        return None
    return await session.get(Forwarding, int(forwarding_id))


async def chain_tenant_ids(session: AsyncSession, leg: Forwarding | None) -> list[int]:
    """Senders up the chain, nearest first (the tenants a forward must not go back to)."""
    seen: list[int] = []
    while leg is not None and len(seen) < 50:
        seen.append(leg.from_tenant_id)
        leg = await session.get(Forwarding, leg.parent_id) if leg.parent_id else None
    return seen
