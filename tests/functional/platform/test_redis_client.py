"""The Redis client packs commands with hiredis, checks pooled connections for
unread data cheaply, and otherwise behaves as redis-py's own."""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.asyncio.connection import Connection, UnixDomainSocketConnection
from redis.exceptions import DataError

from leadermail.platform.redis_client import _unread, connect_redis

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


# --- the pool's check for unread data ------------------------------------------


async def _pooled(client):
    """A connected connection of the client's pool (handed back by the caller)."""
    pool = client.connection_pool
    connection = await pool.get_connection()
    return pool, connection


async def test_an_idle_healthy_connection_is_passed_without_a_trip_through_the_loop(settings):
    client = connect_redis(settings.redis_url)
    try:
        await client.ping()
        pool, connection = await _pooled(client)
        assert _unread(connection) is False
        assert await connection.can_read_destructive() is False
        await pool.release(connection)
    finally:
        await client.aclose()


@pytest.mark.parametrize("where", ["stream buffer", "socket"])
async def test_a_connection_with_an_unread_reply_is_not_used_as_it_is(settings, where):
    """A reply nobody read (here: a PING sent and abandoned) must not be taken
    as the answer to the next command, wherever that reply sits."""
    client = connect_redis(settings.redis_url)
    try:
        await client.set("lm:test:unread", "右值")
        pool, connection = await _pooled(client)
        await connection.send_command("PING")
        if where == "stream buffer":
            await asyncio.sleep(0.05)  # the event loop moves the reply into the stream
            assert connection._reader._buffer
        else:
            time.sleep(0.05)  # noqa: ASYNC251 (no loop iteration: the reply stays in the kernel)
            assert not connection._reader._buffer
        assert _unread(connection) is True
        await pool.release(connection)
        assert await client.get("lm:test:unread") == "右值".encode()
    finally:
        await client.delete("lm:test:unread")
        await client.aclose()


async def test_a_connection_the_server_closed_is_replaced(settings):
    client = connect_redis(settings.redis_url)
    killer = connect_redis(settings.redis_url)
    try:
        pool, connection = await _pooled(client)
        await connection.send_command("CLIENT", "ID")
        client_id = await connection.read_response()
        await pool.release(connection)
        await killer.execute_command("CLIENT", "KILL", "ID", client_id)
        time.sleep(0.05)  # noqa: ASYNC251 (the close reaches the socket, unseen by the loop)
        assert _unread(connection) is True
        assert await client.ping() is True
    finally:
        await client.aclose()
        await killer.aclose()
