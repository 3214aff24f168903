"""One step on a leg after it was sent: the actor's side now, the other side after.

    step = Step(context, tenant, forwarding_id, "receiver")
    async with step as (session, leg, letter):      # leg and letter locked
        leg.status = ...
        await step.record(actor, "forwarding_accepted", "已签收转办来信", "forwarding.accepted")
        step.tell_other_side("accepted", actor, "forwarding_accepted", "…已签收",
                             "forwarding.accepted")
    # committed; the other side's crossing has run (its outbox job is the safety net)

The actor's letter, the ledger row and an outbox job for the other side are
written in ONE transaction of the actor's tenant session (see ``crossings``
for why a step cannot write both tenants at once).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.context import AppContext
from leadermail.platform.forwarding.access import (
    ForwardingError,
    ForwardingNotFound,
    access_forwarding,
)
from leadermail.platform.forwarding.crossings import record_crossing
from leadermail.platform.forwarding.models import Forwarding
from leadermail.platform.jobs.outbox import enqueue
from leadermail.platform.letters.models import Letter
from leadermail.platform.letters.workflow import add_timeline_event
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session


def cross(session: AsyncSession, key: str, **kwargs: object) -> dict[str, object]:
    """Queue a crossing in this transaction; returns it for the inline run."""
    crossing = {"event_key": key, **kwargs}
    enqueue(session, "record_crossing", **crossing)
    return crossing


class Step:
    """Open the actor's tenant session, lock the leg and the actor's letter."""

    def __init__(
        self, context: AppContext, tenant: TenantRef, forwarding_id: int, side: str
    ) -> None:
        self.context, self.tenant, self.forwarding_id, self.side = (
            context,
            tenant,
            forwarding_id,
            side,
        )
        self.crossings: list[dict[str, object]] = []

    async def __aenter__(self) -> tuple[AsyncSession, Forwarding, Letter]:
        self._cm = tenant_session(self.context.database, self.tenant)
        self.session = await self._cm.__aenter__()
        leg = await access_forwarding(
            self.session, self.tenant, self.forwarding_id, for_update=True
        )
        expected = leg.from_tenant_id if self.side == "sender" else leg.to_tenant_id
        if expected != self.tenant.id:
            raise ForwardingNotFound(self.forwarding_id)
        letter_id = leg.from_letter_id if self.side == "sender" else leg.to_letter_id
        letter = (
            await self.session.get(Letter, letter_id, with_for_update=True) if letter_id else None
        )
        if letter is None:
            raise ForwardingError("转办来信尚未送达，请稍后再试")
        self.leg, self.letter = leg, letter
        return self.session, leg, letter

    async def record(
        self, actor: Actor, kind: str, message: str, action: str, /, **audit: object
    ) -> None:
        """This side's timeline event and audit record of the step (``audit``:
        extra audit data, which may itself hold a "message")."""
        await add_timeline_event(
            self.session,
            self.letter,
            kind,
            actor,
            message=message,
            data={"forwarding_id": self.leg.id},
        )
        await audit_step(self.session, self.tenant, actor, action, self.letter, self.leg, **audit)

    def tell_other_side(
        self, key: str, actor: Actor, kind: str, message: str, action: str, /, **extra: object
    ) -> None:
        """Queue the crossing that records the step in the other tenant's letter
        and audit trail (run inline after commit; the outbox is the safety net)."""
        leg = self.leg
        to_sender = self.side == "receiver"
        self.crossings.append(
            cross(
                self.session,
                f"fwd:{leg.id}:{key}",
                tenant_id=leg.from_tenant_id if to_sender else leg.to_tenant_id,
                letter_id=leg.from_letter_id if to_sender else leg.to_letter_id,
                kind=kind,
                message=message,
                action=action,
                actor_label=f"{self.tenant.name} {actor.label}",
                data={"forwarding_id": leg.id},
                **extra,
            )
        )

    async def __aexit__(self, exc_type, exc, tb) -> None:  # noqa: ANN001
        try:
            if exc_type is None:
                await self.session.commit()
        finally:
            await self._cm.__aexit__(exc_type, exc, tb)
        if exc_type is None:
            for crossing in self.crossings:
                await record_crossing(self.context, **crossing)  # type: ignore[arg-type]


async def audit_step(
    session: AsyncSession,
    tenant: TenantRef,
    actor: Actor,
    action: str,
    letter: Letter,
    leg: Forwarding,
    **data: object,
) -> None:
    """The actor's audit record of a step on ``leg`` (its letter is the object)."""
    await record_audit(
        session,
        tenant_id=tenant.id,
        actor=actor,
        action=action,
        object_type="letter",
        object_id=letter.id,
        data={"forwarding_id": leg.id, **data},
    )
