"""Rate limits kept in Redis, shared by every web worker.

    limiter = RateLimiter(redis)
    if not await limiter.hit("submit", client_ip, "10/hour"):
        ... answer 429 with a clear message ...

    # Several limits in one round trip, checked in order:
    failed = await limiter.check(
        Step.hit("track-ip", ip, "30/10 minutes"),
        Step.test("track-wrong", code, "5/hour"),
        Step.hit("track-code", code, "20/hour"),
    )   # None, or the first step over its limit

Algorithm: a sliding window counter (two fixed windows, the previous one
weighted by how much of it still overlaps the sliding window), O(1) memory
per key, as in Cloudflare's and the ``limits`` package's implementation. It
is one Lua script so that a page with three limits costs one round trip
instead of three (measured on the tracking form: the three separate calls
through ``limits`` cost more CPU than the database look-up). A step that
counts (``hit``) only counts when it is allowed; a step before a failing one
has counted, exactly as three calls in a row would.

Key names say what is limited (``lm:rl:<scope>:<key>:<seconds>:<window>``) so
operators can read them in Redis.
"""

from __future__ import annotations

import functools
import re
import time
from dataclasses import dataclass

from redis.asyncio import Redis

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_LIMIT = re.compile(r"^\s*(\d+)\s*/\s*(\d+)?\s*(second|minute|hour|day)s?\s*$")

_SCRIPT = """
local now = tonumber(ARGV[1])
for i = 1, #KEYS / 2 do
  local base = 2 + (i - 1) * 3
  local limit = tonumber(ARGV[base])
  local seconds = tonumber(ARGV[base + 1])
  local counts = ARGV[base + 2] == "1"
  -- How much of the previous window the sliding window still covers.
  local weight = 1 - (now % seconds) / seconds
  local current = tonumber(redis.call("GET", KEYS[2 * i - 1]) or "0")
  local previous = tonumber(redis.call("GET", KEYS[2 * i]) or "0")
  if previous * weight + current + 1 > limit then
    return i
  end
  if counts then
    redis.call("INCR", KEYS[2 * i - 1])
    redis.call("EXPIRE", KEYS[2 * i - 1], 2 * seconds)
  end
end
return 0
"""


@functools.lru_cache(maxsize=256)
def parse_limit(limit: str) -> tuple[int, int]:
    """``"30/10 minutes"`` → (30, 600): attempts allowed per that many seconds."""
    match = _LIMIT.match(limit)
    if match is None:
        raise ValueError(f"not a rate limit: {limit!r} (expected e.g. '5/hour', '30/10 minutes')")
    amount, multiple, unit = match.groups()
    return int(amount), int(multiple or 1) * _UNITS[unit]


@dataclass(frozen=True)
class Step:
    scope: str
    key: str
    limit: str
    counts: bool

    @classmethod
    def hit(cls, scope: str, key: str, limit: str) -> Step:
        """Count one attempt if it is within the limit."""
        return cls(scope, key, limit, True)

    @classmethod
    def test(cls, scope: str, key: str, limit: str) -> Step:
        """Would one more attempt be allowed? Counts nothing."""
        return cls(scope, key, limit, False)


class RateLimiter:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._script = redis.register_script(_SCRIPT)

    async def check(self, *steps: Step, now: float | None = None) -> Step | None:
        """Apply ``steps`` in order in one round trip; the first over its limit, or None."""
        moment = time.time() if now is None else now
        keys: list[str] = []
        # Few, short arguments: the Lua script works out the windows' weights.
        args: list[str | int] = [repr(moment)]
        for step in steps:
            amount, seconds = parse_limit(step.limit)
            window = int(moment // seconds)
            name = f"lm:rl:{step.scope}:{step.key}:{seconds}"
            keys += [f"{name}:{window}", f"{name}:{window - 1}"]
            args += [amount, seconds, 1 if step.counts else 0]
        failed = int(await self._script(keys=keys, args=args))
        return steps[failed - 1] if failed else None

    async def hit(self, scope: str, key: str, limit: str) -> bool:
        """Count one attempt; False when ``limit`` (e.g. "5/minute") is exceeded."""
        return await self.check(Step.hit(scope, key, limit)) is None

    async def test(self, scope: str, key: str, limit: str) -> bool:
        """Would one more attempt be allowed? (Counts nothing.)"""
        return await self.check(Step.test(scope, key, limit)) is None

    async def clear(self, scope: str, key: str, limit: str) -> None:
        _, seconds = parse_limit(limit)
        window = int(time.time() // seconds)
        name = f"lm:rl:{scope}:{key}:{seconds}"
        await self.redis.delete(f"{name}:{window}", f"{name}:{window - 1}")
