"""The in-memory tenant directory: requests never wait for a periodic reload,
but a change made by this process is seen at once."""

from __future__ import annotations

import asyncio

from leadermail.tenants.registry import TenantDirectory


async def test_after_the_ttl_requests_keep_the_old_copy_while_it_reloads(context, make_tenant):
    directory = TenantDirectory(context.database, ttl=0.05)
    before = await make_tenant()
    assert await directory.by_slug(before.slug) is not None  # first load waits
    added = await make_tenant()  # invisible to this directory until it reloads
    await asyncio.sleep(0.06)
    assert await directory.by_slug(added.slug) is None  # served from the old copy
    assert directory._refresh is not None  # ...while a reload runs in the background
    await directory._refresh
    assert (await directory.by_slug(added.slug)) == added


async def test_invalidate_makes_the_next_request_wait_for_fresh_data(context, make_tenant):
    directory = TenantDirectory(context.database, ttl=3600)
    await directory.all()
    added = await make_tenant()
    assert await directory.by_slug(added.slug) is None
    directory.invalidate()
    assert (await directory.by_slug(added.slug)) == added


async def test_a_reload_that_began_before_a_change_does_not_count_as_fresh(
    context, make_tenant, monkeypatch
):
    from leadermail.tenants import registry

    directory = TenantDirectory(context.database, ttl=0.0)
    await directory.all()
    real_load, release = registry.load_tenants, asyncio.Event()
    held: list[bool] = []

    async def load_then_wait(database):  # noqa: ANN001, ANN202
        snapshot = await real_load(database)  # taken before the change below
        if not held:  # only the background reload is held back
            held.append(True)
            await release.wait()
        return snapshot

    monkeypatch.setattr(registry, "load_tenants", load_then_wait)
    await directory.all()  # ttl passed: starts a background reload
    in_flight = directory._refresh
    assert in_flight is not None
    await asyncio.sleep(0.2)  # it has read the tenants by now
    added = await make_tenant()
    directory.invalidate()  # this process changed tenants while that reload ran
    release.set()
    await in_flight
    assert (await directory.by_slug(added.slug)) == added
