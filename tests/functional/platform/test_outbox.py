"""The transactional outbox: a job survives Redis being down and runs once."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from arq.connections import RedisSettings, create_pool
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import func, select, update

from leadermail.platform.embedded import ensure_redis, stop_redis
from leadermail.platform.jobs.models import OutboxJob
from leadermail.platform.jobs.outbox import arq_job_id, enqueue, relay_outbox
from leadermail.platform.jobs.worker import build_worker


async def _run_worker_once(settings) -> None:  # noqa: ANN001
    worker = build_worker(settings, burst=True, relay=False, poll_delay=0.05)
    try:
        await worker.async_run()
    finally:
        await worker.close()


async def test_a_job_written_while_redis_is_down_runs_exactly_once(context, tmp_path):
    redis_dir = tmp_path / "redis"
    redis_url = ensure_redis(redis_dir)
    settings = dataclasses.replace(context.settings, redis_url=redis_url)
    note = uuid.uuid4().hex
    counter_key = f"leadermail:heartbeat:{note}"

    # Earlier tests' unsent jobs are not this test's business: the private
    # Redis and burst worker below must only see the job under test.
    async with context.database.core_session() as session:
        await session.execute(
            update(OutboxJob).where(OutboxJob.sent_at.is_(None)).values(sent_at=func.now())
        )
        await session.commit()

    stop_redis(redis_dir)
    # The request's transaction commits the job although Redis is down.
    async with context.database.core_session() as session:
        row = enqueue(session, "record_heartbeat", note=note)
        await session.commit()
    with pytest.raises((RedisConnectionError, OSError)):
        down = RedisSettings.from_dsn(redis_url)
        down.conn_retries = 0
        pool = await create_pool(down)
        await relay_outbox(context.database, pool)
    async with context.database.core_session() as session:
        stored = await session.get(OutboxJob, row.id)
        assert stored is not None and stored.sent_at is None

    ensure_redis(redis_dir)
    pool = await create_pool(RedisSettings.from_dsn(redis_url))
    try:
        # A relay that died after enqueueing but before committing sent_at:
        # the same arq job id is refused, so the retry cannot duplicate it.
        await pool.enqueue_job("record_heartbeat", _job_id=arq_job_id(row.id), note=note)
        assert await relay_outbox(context.database, pool) == 1
        assert await relay_outbox(context.database, pool) == 0
        await _run_worker_once(settings)
        await _run_worker_once(settings)
        check = Redis.from_url(redis_url)
        assert int(await check.get(counter_key)) == 1
        await check.aclose()
        async with context.database.core_session() as session:
            stored = (
                await session.execute(select(OutboxJob).where(OutboxJob.id == row.id))
            ).scalar_one()
            assert stored.sent_at is not None
    finally:
        await pool.aclose()
        stop_redis(redis_dir)


async def test_a_job_rolled_back_with_its_transaction_never_runs(context):
    note = uuid.uuid4().hex
    async with context.database.core_session() as session:
        row = enqueue(session, "record_heartbeat", note=note)
        await session.flush()
        row_id = row.id
        await session.rollback()
    async with context.database.core_session() as session:
        assert await session.get(OutboxJob, row_id) is None
