"""When the senders' view of the receivers' progress was last brought up to date.

The ledger keeps each leg's ``receiver_state`` (the receiver's letter state)
so a sender's overview reads one table instead of every receiver's schema.
Steps on the leg (delivery, 签收, 办结报告) set it as they happen; everything
else the receiver does reaches it through the sweep ``jobs.sync_forwardings``,
which reads every open leg's copy every few minutes and records here when it
started. A sender's page therefore shows the column "as of" that time::

    await mark_progress_synced(context.redis, started_at)     # the sweep, when done
    synced_at = await progress_synced_at(context.redis)       # the page; None: never

A lost Redis only loses the time (the page then says it does not know it).
"""

from __future__ import annotations

import logging
from datetime import datetime

from redis.asyncio import Redis

log = logging.getLogger(__name__)

_KEY = "leadermail:forwarding:progress-synced-at"


async def mark_progress_synced(redis: Redis | None, started_at: datetime) -> None:
    """The sweep that started at ``started_at`` has read every open leg's copy."""
    if redis is None:
        return
    try:
        await redis.set(_KEY, started_at.isoformat())
    except Exception:  # the figures are refreshed all the same
        log.warning("could not record the forwarding sweep time", exc_info=True)


async def progress_synced_at(redis: Redis | None) -> datetime | None:
    """Start of the last complete sweep, or None if unknown."""
    if redis is None:
        return None
    try:
        raw = await redis.get(_KEY)
    except Exception:
        log.warning("could not read the forwarding sweep time", exc_info=True)
        return None
    if raw is None:
        return None
    return datetime.fromisoformat(raw.decode() if isinstance(raw, bytes) else raw)
