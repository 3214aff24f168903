"""The in-memory tenant directory: requests never wait for a periodic reload,
but a change made by this process is seen at once."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

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
    real_fingerprint, release = registry.directory_fingerprint, asyncio.Event()
    held: list[bool] = []

    async def fingerprint_then_wait(database):  # noqa: ANN001, ANN202
        value = await real_fingerprint(database)  # taken before the change below
        if not held:  # only the background check is held back
            held.append(True)
            await release.wait()
        return value

    monkeypatch.setattr(registry, "directory_fingerprint", fingerprint_then_wait)
    await directory.all()  # ttl passed: starts a background check
    in_flight = directory._refresh
    assert in_flight is not None
    await asyncio.sleep(0.2)  # it has read the fingerprint by now
    added = await make_tenant()
    directory.invalidate()  # this process changed tenants while that check ran
    release.set()
    await in_flight
    assert (await directory.by_slug(added.slug)) == added


async def test_the_periodic_check_reloads_only_when_the_tenants_changed(
    context, make_tenant, monkeypatch
):
    from leadermail.tenants import registry

    directory = TenantDirectory(context.database, ttl=0.0)
    first = await make_tenant()
    loads: list[int] = []
    real_load = registry.load_tenants

    async def counting_load(database):  # noqa: ANN001, ANN202
        loads.append(1)
        return await real_load(database)

    monkeypatch.setattr(registry, "load_tenants", counting_load)
    assert await directory.by_slug(first.slug) == first
    assert len(loads) == 1
    for _ in range(3):  # nothing changed: checks, no reloads
        await directory.all()
        await directory._refresh
    assert len(loads) == 1
    async with context.database.core_session() as session:  # another process adds a domain
        await session.execute(
            text(
                "INSERT INTO core.tenant_domains (host, tenant_id, is_primary, created_at)"
                " VALUES (:host, :id, false, now())"
            ),
            {"host": f"{first.slug}.example.gov.cn", "id": first.id},
        )
        await session.commit()
    await directory.all()
    await directory._refresh
    assert len(loads) == 2
    found = await directory.by_host(f"{first.slug}.example.gov.cn")
    assert found is not None and found.id == first.id
