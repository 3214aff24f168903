"""What a running process holds: settings, database, tenant directory, Redis.

Built once at start-up (web app lifespan, worker start-up, CLI command) and
passed down; jobs find it in ``ctx["app"]``::

    app_context = AppContext.create(settings)
    ...
    await app_context.close()
"""

from __future__ import annotations

from dataclasses import dataclass, field

from redis.asyncio import Redis

from leadermail.platform.bootstrap import resolve_services
from leadermail.platform.config import Settings
from leadermail.platform.db import Database
from leadermail.platform.redis_client import connect_redis
from leadermail.platform.web.ratelimit import RateLimiter
from leadermail.tenants.registry import TenantDirectory


@dataclass
class AppContext:
    settings: Settings
    database: Database
    tenants: TenantDirectory
    redis: Redis
    _rate_limiter: RateLimiter | None = field(default=None, repr=False)

    @property
    def rate_limiter(self) -> RateLimiter:
        if self._rate_limiter is None:
            self._rate_limiter = RateLimiter(self.redis)
        return self._rate_limiter

    @classmethod
    def create(cls, settings: Settings) -> AppContext:
        """Connect lazily (pools open on first use); starts embedded services."""
        settings = resolve_services(settings)
        assert settings.redis_url is not None
        database = Database(settings)
        return cls(
            settings=settings,
            database=database,
            tenants=TenantDirectory(database),
            redis=connect_redis(settings.redis_url),
        )

    async def close(self) -> None:
        await self.redis.aclose()
        await self.database.dispose()
