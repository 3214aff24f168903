"""Jobs go through the transactional outbox, never straight to Redis.

A request adds its job in the same database transaction as the change that
caused it; the relay then copies committed rows to arq. Nothing is lost when
Redis is down or the process dies between commit and enqueue::

    enqueue(session, "send_letter_receipt", tenant_id=tenant.id, letter_id=letter.id)
    await session.commit()        # the job exists now, durably

Jobs receive ids only, never ORM objects, and must be safe to run twice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from arq.connections import ArqRedis
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.clock import utcnow
from leadermail.platform.db import Database
from leadermail.platform.jobs.models import OutboxJob

log = logging.getLogger(__name__)


def enqueue(
    session: AsyncSession,
    job_name: str,
    *,
    queue: str = "default",
    tenant_id: int | None = None,
    defer_until: datetime | None = None,
    **kwargs: Any,
) -> OutboxJob:
    """Add a job to the outbox in the session's transaction (tenant or core)."""
    if tenant_id is not None:
        kwargs["tenant_id"] = tenant_id
    row = OutboxJob(
        job_name=job_name,
        kwargs=kwargs,
        queue=queue,
        tenant_id=tenant_id,
        defer_until=defer_until,
    )
    session.add(row)
    return row


def arq_job_id(outbox_id: int) -> str:
    """arq refuses a second job with the same id while the first is queued or
    its result is kept, so a row relayed twice (crash after enqueue, before
    the ``sent_at`` commit) still runs once."""
    return f"outbox:{outbox_id}"


QUEUE_NAMES = {"default": "arq:queue", "bulk": "arq:queue:bulk"}


async def relay_outbox(database: Database, redis: ArqRedis, *, batch: int = 200) -> int:
    """Move committed, unsent outbox rows to arq. Returns how many were sent.

    ``FOR UPDATE SKIP LOCKED`` lets several relays run without sending a row
    twice; if Redis fails the transaction rolls back and the rows stay unsent.
    """
    sent = 0
    async with database.core_session() as session, session.begin():
        rows = (
            (
                await session.execute(
                    select(OutboxJob)
                    .where(OutboxJob.sent_at.is_(None))
                    .order_by(OutboxJob.id)
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                )
            )
            .scalars()
            .all()
        )
        for row in rows:
            await redis.enqueue_job(
                row.job_name,
                _job_id=arq_job_id(row.id),
                _queue_name=QUEUE_NAMES.get(row.queue, "arq:queue"),
                _defer_until=row.defer_until,
                **row.kwargs,
            )
            sent += 1
        if rows:
            await session.execute(
                update(OutboxJob)
                .where(OutboxJob.id.in_([r.id for r in rows]))
                .values(sent_at=utcnow(), attempts=OutboxJob.attempts + 1)
            )
    return sent
