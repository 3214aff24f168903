"""Rate limits kept in Redis, shared by every web worker.

    limiter = RateLimiter(settings.redis_url)
    if not await limiter.hit("submit", client_ip, "10/hour"):
        ... answer 429 with a clear message ...

``limits`` does the counting (sliding window counter); the key names say what is
limited so operators can read them in Redis.
"""

from __future__ import annotations

from limits import parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter


def _storage_uri(redis_url: str) -> str:
    if redis_url.startswith("unix://"):
        return "async+redis+unix://" + redis_url.removeprefix("unix://")
    return "async+" + redis_url


class RateLimiter:
    def __init__(self, redis_url: str) -> None:
        # redis-py (already a dependency), not the default coredis client.
        self.storage = RedisStorage(_storage_uri(redis_url), implementation="redispy")
        # Sliding window counter: two counters per key, O(1) per hit. A moving
        # window keeps one list entry per hit and reads it by index, which gets
        # slow for generous limits (measured: the track POST at 16 req/s).
        self.strategy = SlidingWindowCounterRateLimiter(self.storage)

    async def hit(self, scope: str, key: str, limit: str) -> bool:
        """Count one attempt; False when ``limit`` (e.g. "5/minute") is exceeded."""
        return await self.strategy.hit(parse(limit), "leadermail", scope, key)

    async def test(self, scope: str, key: str, limit: str) -> bool:
        """Would one more attempt be allowed? (Counts nothing.)"""
        return await self.strategy.test(parse(limit), "leadermail", scope, key)

    async def clear(self, scope: str, key: str, limit: str) -> None:
        await self.strategy.clear(parse(limit), "leadermail", scope, key)
