"""The sender's side of a completion report (办结报告): its letter is answered.

When the receiver reports (``receiving.report_completion``), the sender's
letter, which has waited in "forwarded", moves on in the *sender's* workflow
by the ``complete_forwarded`` transition to "replied": the same state a reply
of its own would have given it, so the citizen may evaluate (满意/不满意)
and, after the reply, ask for 复查 exactly as for a letter answered at home.
The final reply itself stays with the tenant that wrote it; the tracking page
and the "forwarded" view read it from there (``tracking.final_reply_for``).

    await receive_completion_report(context, forwarding_id=leg.id, actor_label="乙县 张三")

Called inline right after the receiver's commit and again by the outbox job
``receive_completion_report`` (so a crash in between loses nothing); it is
keyed by the crossing's ``event_key`` and does its work once. In a chain the
middle tenant's copy is answered this way first, which lets it pass the
report up (``receiving.pass_up``), which answers the next sender, up to the
letter the citizen wrote.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.context import AppContext
from leadermail.platform.forwarding.models import Forwarding, ForwardingStatus
from leadermail.platform.forwarding.tracking import handling_leg, subtree_of
from leadermail.platform.letters.models import Letter, LetterEvent
from leadermail.platform.letters.workflow import add_timeline_event, apply_transition
from leadermail.tenants.session import tenant_session


def completion_key(forwarding_id: int) -> str:
    return f"fwd:{forwarding_id}:completed"


async def _is_current_leg(session: AsyncSession, letter: Letter, leg: Forwarding) -> bool:
    """Is ``leg`` the letter's latest forwarding (the one it is waiting for)?"""
    latest = await session.scalar(
        select(Forwarding.id)
        .where(
            Forwarding.from_tenant_id == letter.tenant_id,
            Forwarding.from_letter_id == letter.id,
        )
        .order_by(Forwarding.id.desc())
        .limit(1)
    )
    return latest == leg.id


async def handler_of(context: AppContext, leg: Forwarding) -> int:
    """The tenant that actually handled the matter below ``leg`` (the deepest leg)."""
    leaf = handling_leg(await subtree_of(context, leg))
    return leaf.to_tenant_id if leaf is not None else leg.to_tenant_id


async def receive_completion_report(
    context: AppContext, *, forwarding_id: int, actor_label: str = "系统"
) -> bool:
    """Record the report on the sender's letter and answer it. False if done before."""
    async with context.database.core_session() as session:
        leg = await session.get(Forwarding, forwarding_id)
    if leg is None or leg.status != ForwardingStatus.COMPLETED:
        return False
    sender = await context.tenants.by_id(leg.from_tenant_id)
    receiver = await context.tenants.by_id(leg.to_tenant_id)
    if sender is None or receiver is None:
        return False
    handler = await context.tenants.by_id(await handler_of(context, leg)) or receiver
    key = completion_key(leg.id)
    actor = Actor(user_id=None, label=f"{receiver.name} {actor_label}")
    async with tenant_session(context.database, sender) as session, session.begin():
        letter = await session.get(Letter, leg.from_letter_id, with_for_update=True)
        if letter is None:
            return False
        seen = await session.scalar(
            select(LetterEvent.id).where(
                LetterEvent.letter_id == letter.id,
                LetterEvent.data["event_key"].astext == key,
            )
        )
        if seen is not None:
            return False
        data = {"event_key": key, "forwarding_id": leg.id, "report": leg.completion_report}
        await add_timeline_event(
            session,
            letter,
            "completion_report",
            actor,
            public=True,
            message=f"{receiver.name}已办结并报送办结报告",
            data=data,
        )
        await record_audit(
            session,
            tenant_id=sender.id,
            actor=actor,
            action="forwarding.completion_received",
            object_type="letter",
            object_id=letter.id,
            data=data,
        )
        # A letter taken back (退回) or forwarded again meanwhile is not
        # answered by an old leg's report; the report is still on record.
        if letter.state == "forwarded" and await _is_current_leg(session, letter, leg):
            await apply_transition(
                session,
                letter,
                "complete_forwarded",
                actor,
                message=(
                    f"您的来信已由{handler.name}办结并答复，"
                    "答复内容请见“转办经过”中的最终答复"
                ),
                data={"forwarding_id": leg.id, "handled_by_tenant_id": handler.id},
            )
    return True


async def receive_completion_report_job(ctx: dict[str, Any], **kwargs: Any) -> bool:
    return await receive_completion_report(ctx["app"], **kwargs)
