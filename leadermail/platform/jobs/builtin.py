"""Jobs of the platform itself."""

from __future__ import annotations

from typing import Any

from leadermail.platform.context import AppContext


async def record_heartbeat(ctx: dict[str, Any], *, note: str = "") -> int:
    """Count one run under ``leadermail:heartbeat:<note>`` in Redis.

    Operators enqueue it to check the outbox → Redis → worker pipeline end to
    end; the tests use the counter to prove a job runs exactly once.
    """
    app: AppContext = ctx["app"]
    return int(await app.redis.incr(f"leadermail:heartbeat:{note}"))


JOBS = [record_heartbeat]
CRON_JOBS: list[Any] = []
