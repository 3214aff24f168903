"""Taking a letter off the public site takes effect at once on every worker."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx
import pytest
from redis.asyncio import Redis

from leadermail.app import drop_public_caches
from leadermail.platform.letters.figures import clear_cache
from leadermail.platform.letters.public_changes import (
    announce_public_change,
    listen_for_public_changes,
)
from leadermail.public_site import page_cache
from tests.functional.console.test_reply_attachments import (
    approve_and_send,
    draft_with_files,
    open_desk,
)


@pytest.fixture
def caches_on(context, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setattr(context, "settings", replace(context.settings, page_cache_seconds=5))
    page_cache.clear()
    clear_cache()
    yield
    page_cache.clear()
    clear_cache()


async def _listening(context, changes: list[int | None]) -> asyncio.Task[None]:  # noqa: ANN001
    def on_change(tenant_id: int | None) -> None:
        changes.append(tenant_id)
        drop_public_caches(tenant_id)

    subscribed = asyncio.Event()
    listener = asyncio.create_task(
        listen_for_public_changes(context.redis, on_change, subscribed=subscribed)
    )
    await asyncio.wait_for(subscribed.wait(), timeout=5)
    return listener


async def _announced(changes: list[int | None], tenant_id: int) -> None:
    for _ in range(200):
        if tenant_id in changes:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"no announcement for tenant {tenant_id}: {changes}")


async def test_a_letter_taken_down_leaves_the_cached_public_pages_at_once(
    context, make_tenant, client, caches_on
):
    desk = await open_desk(context, make_tenant)
    await draft_with_files(client, desk, "已经处理完毕。", [])
    await approve_and_send(client, desk)
    assert (await client.post(desk.base + "/publish", data={"publish": "1"})).status_code == 303
    changes: list[int | None] = []
    listener = await _listening(context, changes)
    try:
        public_page = f"/t/{desk.tenant.slug}/letters/{desk.letter.id}"
        public_list = f"/t/{desk.tenant.slug}/letters"
        anonymous = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
        async with anonymous:
            assert (await anonymous.get(public_page)).status_code == 200
            assert desk.letter.title in (await anonymous.get(public_list)).text
            assert page_cache._pages, "both pages are now cached in this worker"

            down = await client.post(desk.base + "/publish", data={"publish": "0"})
            assert down.status_code == 303
            await _announced(changes, desk.tenant.id)
            # Within every cache's lifetime, and yet gone.
            assert (await anonymous.get(public_page)).status_code == 404
            assert desk.letter.title not in (await anonymous.get(public_list)).text
    finally:
        listener.cancel()
        with pytest.raises(asyncio.CancelledError):
            await listener


async def test_announcing_without_redis_does_not_fail_the_staff_action(tmp_path):
    unreachable = Redis.from_url(f"unix://{tmp_path}/no-redis.sock")
    try:
        await announce_public_change(unreachable, 7)  # logs, does not raise
    finally:
        await unreachable.aclose()
