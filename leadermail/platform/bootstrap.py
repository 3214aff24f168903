"""Turning settings into running services: the embedded default or real URLs.

settings = resolve_services(Settings.from_env())
# settings.database_url / settings.redis_url are now set
"""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from leadermail.platform.config import Settings
from leadermail.platform.db import NEUTRAL_SEARCH_PATH, async_url


def resolve_services(settings: Settings) -> Settings:
    """Start the embedded PostgreSQL/Redis for whichever URL is missing."""
    if not settings.embedded:
        return settings
    from leadermail.platform.embedded import ensure_postgres, ensure_redis

    var_dir = settings.var_dir
    database_url = settings.database_url or ensure_postgres(var_dir / "pg")
    redis_url = settings.redis_url or ensure_redis(var_dir / "redis")
    return settings.with_urls(database_url, redis_url)


def sync_engine_from_env() -> Engine:
    """For the ``alembic`` command line (autogenerate); the app uses Database."""
    settings = resolve_services(Settings.from_env())
    assert settings.database_url is not None
    return create_engine(
        async_url(settings.database_url),
        connect_args={
            "prepare_threshold": None,
            "options": f"-c search_path={NEUTRAL_SEARCH_PATH}",
        },
    )
