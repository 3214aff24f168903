"""Forwarding jobs: delivery, the other side's crossings, art. 19 intake flags,
and a sweep that keeps the senders' view of the receivers' progress fresh.

``sync_forwardings`` also turns a receiver's sent reply into the completion
report (办结报告) when staff did not file one by hand, so the sender always
hears that the matter is done.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from arq import cron
from arq.worker import func
from sqlalchemy import select

from leadermail.platform.audit.writer import Actor
from leadermail.platform.clock import utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.forwarding.access import ForwardingError
from leadermail.platform.forwarding.completion import receive_completion_report_job
from leadermail.platform.forwarding.crossings import deliver_forwarding_job, record_crossing_job
from leadermail.platform.forwarding.intake import flag_matter_in_progress
from leadermail.platform.forwarding.matter_index import refresh_open_matter
from leadermail.platform.forwarding.models import Forwarding, ForwardingStatus
from leadermail.platform.forwarding.progress import mark_progress_synced
from leadermail.platform.forwarding.receiving import ANSWERED_STATES, report_completion
from leadermail.platform.letters.models import Letter, Reply
from leadermail.tenants.session import tenant_session

_TAGS = re.compile(r"<[^>]+>")


def reply_text(body_html: str) -> str:
    return _TAGS.sub("", body_html or "").strip()


async def sync_forwardings(ctx: dict[str, Any], *, batch: int = 2000) -> int:
    """Refresh ``receiver_state`` of every open leg, ``batch`` legs at a time;
    report answered ones; record when the sweep started (``progress``), which
    is what the senders' pages show the column "as of". Returns legs touched."""
    context: AppContext = ctx["app"]
    started_at = utcnow()
    touched = after = 0
    while True:
        legs = await _open_legs(context, after=after, limit=batch)
        await _sync_legs(context, legs)
        touched += len(legs)
        if len(legs) < batch:
            break
        after = legs[-1].id
    await mark_progress_synced(context.redis, started_at)
    return touched


async def _open_legs(context: AppContext, *, after: int, limit: int) -> list[Forwarding]:
    async with context.database.core_session() as session:
        return list(
            (
                await session.execute(
                    select(Forwarding)
                    .where(
                        Forwarding.status.in_(
                            (ForwardingStatus.PENDING, ForwardingStatus.ACCEPTED)
                        ),
                        Forwarding.to_letter_id.is_not(None),
                        Forwarding.id > after,
                    )
                    .order_by(Forwarding.id)
                    .limit(limit)
                )
            )
            .scalars()
            .all()
        )


async def _sync_legs(context: AppContext, legs: list[Forwarding]) -> None:
    by_tenant: dict[int, list[Forwarding]] = defaultdict(list)
    for leg in legs:
        by_tenant[leg.to_tenant_id].append(leg)
    answered: list[tuple[int, int, str]] = []
    for tenant_id, group in by_tenant.items():
        tenant = await context.tenants.by_id(tenant_id)
        if tenant is None:
            continue
        async with tenant_session(context.database, tenant) as session, session.begin():
            ids = [leg.to_letter_id for leg in group]
            states = dict(
                (
                    await session.execute(select(Letter.id, Letter.state).where(Letter.id.in_(ids)))
                ).all()
            )
            for leg in group:
                state = states.get(leg.to_letter_id)
                row = await session.get(Forwarding, leg.id, with_for_update=True)
                if row is not None and state is not None:
                    row.receiver_state = state
                if state in ANSWERED_STATES:
                    reply = await session.scalar(
                        select(Reply)
                        .where(Reply.letter_id == leg.to_letter_id, Reply.status == "sent")
                        .order_by(Reply.id.desc())
                        .limit(1)
                    )
                    text = reply_text(reply.body_html) if reply else ""
                    answered.append((tenant_id, leg.id, text or "已答复来信人"))
    for tenant_id, leg_id, text in answered:
        tenant = await context.tenants.by_id(tenant_id)
        assert tenant is not None
        try:
            await report_completion(
                context,
                tenant=tenant,
                forwarding_id=leg_id,
                actor=Actor.system(f"{tenant.name}（自动报送）"),
                report=f"答复内容：{text}",
            )
        except ForwardingError:
            pass  # someone filed it by hand meanwhile


JOBS = [
    func(deliver_forwarding_job, name="deliver_forwarding"),
    func(record_crossing_job, name="record_crossing"),
    func(receive_completion_report_job, name="receive_completion_report"),
    flag_matter_in_progress,
    refresh_open_matter,
    sync_forwardings,
]
CRON_JOBS = [cron(sync_forwardings, minute=set(range(0, 60, 5)), unique=True, run_at_startup=False)]
