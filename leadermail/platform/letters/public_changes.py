"""Telling every worker at once that a tenant's public pages changed.

Public pages are served from caches inside each worker process (the data
caches of ``letters.figures``, up to 15 s for published letters, and the
rendered pages of ``public_site.page_cache``). Staff who take a letter off
the public site (撤下公示) usually do it because something in it should not
be public, and the letter must not stay up for another 20 s on whichever
worker cached it. So the console announces each change after its commit, on
a Redis channel every worker listens to, and each worker drops its public
caches when the announcement arrives (milliseconds later)::

    await session.commit()
    await announce_public_change(context.redis, tenant_id)

    # each worker, for its whole life (leadermail.app's lifespan):
    asyncio.create_task(listen_for_public_changes(context.redis, on_change))

When Redis is unreachable, announcing logs and carries on, and the caches'
own expiry (at most ~20 s) is the bound, as before. A listener that lost its
connection drops everything when it is back, since it may have missed
announcements meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

CHANNEL = "lm:public-pages"
#: Wait before subscribing again after Redis went away.
RETRY_SECONDS = 1.0

logger = logging.getLogger(__name__)

#: Called with the tenant whose public pages changed; None: any tenant's may have.
OnChange = Callable[[int | None], None]


async def announce_public_change(redis: Redis, tenant_id: int) -> None:
    """After the commit: the tenant's public pages are no longer what workers cached."""
    try:
        await redis.publish(CHANNEL, str(tenant_id))
    except (RedisError, OSError):
        logger.warning("could not announce a public change of tenant %s", tenant_id, exc_info=True)


async def listen_for_public_changes(
    redis: Redis,
    on_change: OnChange,
    *,
    subscribed: asyncio.Event | None = None,
) -> None:
    """Call ``on_change`` for each announcement, until cancelled.

    ``subscribed`` is set once the subscription is in place (tests wait on it).
    """
    first = True
    while True:
        try:
            async with redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                await pubsub.subscribe(CHANNEL)
                if not first:
                    on_change(None)  # announcements may have been missed meanwhile
                first = False
                if subscribed is not None:
                    subscribed.set()
                async for message in pubsub.listen():
                    on_change(_tenant_of(message.get("data")))
        except asyncio.CancelledError:
            raise
        except (RedisError, OSError):
            logger.warning("public-change listener lost Redis; retrying", exc_info=True)
            first = False
            await asyncio.sleep(RETRY_SECONDS)


def _tenant_of(data: object) -> int | None:
    try:
        return int(data)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
