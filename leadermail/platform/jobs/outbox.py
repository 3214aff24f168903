"""Jobs go through the transactional outbox, never straight to Redis.

A request adds its job in the same database transaction as the change that
caused it; the relay then copies committed rows to arq. Nothing is lost when
Redis is down or the process dies between commit and enqueue::

    enqueue(session, "send_letter_receipt", tenant_id=tenant.id, letter_id=letter.id)
    await session.commit()        # the job exists now, durably

Jobs receive ids only, never ORM objects, and must be safe to run twice.

A statement that writes a new letter adds its jobs in the same statement, the
letter's id not being known before (:func:`letter_jobs_insert`)::

    statement = ... letter_jobs_insert(new_letter_ids) ...
    parameters = letter_jobs_parameters(tenant.id, [LetterJob("route_new_letter")])
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from arq.connections import ArqRedis
from sqlalchemy import (
    BigInteger,
    Insert,
    String,
    bindparam,
    column,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import CTE

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


@dataclass(frozen=True)
class LetterJob:
    """A job about a letter being written by the same statement; the outbox
    row's kwargs get ``tenant_id`` and ``letter_id`` besides ``kwargs``."""

    job_name: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    queue: str = "default"


def letter_jobs_insert(letter_ids: CTE) -> Insert:
    """The outbox rows of the jobs in :func:`letter_jobs_parameters` for each
    letter id in ``letter_ids`` (a CTE with a ``letter_id`` column): the rows
    :func:`enqueue` would write. Built once and reused with new parameters."""
    outbox = OutboxJob.__table__
    # The jobs travel as one JSONB parameter that PostgreSQL unpacks, so the
    # statement is the same whatever the jobs (SQLAlchemy compiles it once).
    planned = (
        func.jsonb_to_recordset(bindparam("jobs", type_=JSONB))
        .table_valued(column("job_name", String), column("kwargs", JSONB), column("queue", String))
        .render_derived(name="job", with_types=True)
    )
    tenant_id = bindparam("jobs_tenant_id", type_=BigInteger)
    ids = func.jsonb_build_object("tenant_id", tenant_id, "letter_id", letter_ids.c.letter_id)
    rows = select(
        planned.c.job_name,
        planned.c.kwargs.op("||")(ids),
        planned.c.queue,
        tenant_id,
        bindparam("jobs_created_at", type_=outbox.c.created_at.type),
        literal(0),
    ).select_from(letter_ids.join(planned, literal(True)))
    return insert(outbox).from_select(
        ["job_name", "kwargs", "queue", "tenant_id", "created_at", "attempts"],
        rows,
        include_defaults=False,
    )


def letter_jobs_parameters(tenant_id: int, jobs: Sequence[LetterJob]) -> dict[str, Any]:
    """The parameters of :func:`letter_jobs_insert`."""
    return {
        "jobs": [{"job_name": j.job_name, "kwargs": j.kwargs, "queue": j.queue} for j in jobs],
        "jobs_tenant_id": tenant_id,
        "jobs_created_at": utcnow(),
    }


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
