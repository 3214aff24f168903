"""The Redis client packs commands with hiredis and behaves as redis-py's own."""

from __future__ import annotations

import pytest
from redis.asyncio.connection import Connection, UnixDomainSocketConnection
from redis.exceptions import DataError

from leadermail.platform.redis_client import connect_redis

ARGUMENTS = [
    ("SET", "键:中文", "值 with spaces"),
    ("EVALSHA", "a" * 40, 2, "k1", "k2", 30, 0.25, b"\x00\xff raw", -7),
    ("HSET", "h", "f", 1.5e-7),
]


@pytest.mark.parametrize("arguments", ARGUMENTS)
def test_commands_pack_to_the_same_bytes_as_redis_py(arguments):
    client = connect_redis("unix:///tmp/unused.sock?db=3")
    pool = client.connection_pool
    ours = pool.connection_class(**pool.connection_kwargs)
    theirs = UnixDomainSocketConnection(**pool.connection_kwargs)
    assert isinstance(ours, UnixDomainSocketConnection)
    assert pool.connection_kwargs["db"] == 3
    assert b"".join(ours.pack_command(*arguments)) == b"".join(theirs.pack_command(*arguments))


def test_tcp_urls_keep_tcp_connections():
    pool = connect_redis("redis://localhost:6390/2").connection_pool
    assert issubclass(pool.connection_class, Connection)
    assert pool.connection_kwargs["port"] == 6390 and pool.connection_kwargs["db"] == 2


def test_values_redis_cannot_store_are_refused_as_before():
    pool = connect_redis("redis://localhost").connection_pool
    with pytest.raises(DataError):
        pool.connection_class(**pool.connection_kwargs).pack_command("SET", "k", {"a": 1})


async def test_commands_round_trip_through_a_real_server(settings):
    client = connect_redis(settings.redis_url)
    try:
        await client.set("lm:test:redis-client", "来信 1.5")
        assert await client.get("lm:test:redis-client") == "来信 1.5".encode()
        assert await client.eval("return ARGV[1] + ARGV[2]", 0, 2, 0.5) == 2
    finally:
        await client.delete("lm:test:redis-client")
        await client.aclose()
