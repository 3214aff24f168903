"""The process's Redis client: redis-py, with commands packed by hiredis.

    redis = connect_redis(settings.redis_url)   # redis.asyncio.Redis

redis-py's asyncio connections pack every command in Python, one encode and
several byte joins per argument, while its sync connections already hand that
to hiredis (installed with ``redis[hiredis]``). The rate limiter's script call
has 20 arguments; packing it in Python was the largest single Python cost of a
tracking POST (~7 % of it, profiled) and hiredis packs it ~20 µs faster per
call (measured). Everything else (parsing, pooling, retries) is redis-py's own.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection, Connection, parse_url
from redis.connection import HiredisRespSerializer
from redis.utils import HIREDIS_AVAILABLE


def connect_redis(url: str) -> Redis:
    """A client for ``url`` (``redis://``, ``rediss://`` or ``unix://``); connects on first use."""
    options: dict[str, Any] = dict(parse_url(url))
    if HIREDIS_AVAILABLE:
        base = options.get("connection_class", Connection)
        options["connection_class"] = _hiredis_packing(base)
    return Redis(connection_pool=ConnectionPool(**options))


@cache
def _hiredis_packing(base: type[AbstractConnection]) -> type[AbstractConnection]:
    """``base`` (TCP, TLS or Unix socket connection) packing commands with hiredis."""
    packer = HiredisRespSerializer()

    def pack_command(self: AbstractConnection, *args: Any) -> list[bytes]:
        return packer.pack(*args)

    return type(f"Hiredis{base.__name__}", (base,), {"pack_command": pack_command})
