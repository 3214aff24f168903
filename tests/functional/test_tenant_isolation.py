"""The tenant-bound session: tenant A can neither read nor write tenant B."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import ProgrammingError

from leadermail.platform.letters.models import Unit
from leadermail.tenants.session import current_search_path, tenant_session


async def test_sessions_see_only_their_own_tenant(context, make_tenant):
    tenant_a = await make_tenant(units=["甲单位"])
    tenant_b = await make_tenant(units=["乙单位"])
    async with tenant_session(context.database, tenant_a) as session:
        names = (await session.execute(select(Unit.name))).scalars().all()
        raw = (await session.execute(text("SELECT name FROM units"))).scalars().all()
    assert names == ["甲单位"]
    assert raw == ["甲单位"]
    async with tenant_session(context.database, tenant_b) as session:
        assert (await session.execute(select(Unit.name))).scalars().all() == ["乙单位"]


async def test_writes_land_in_the_bound_tenant_only(context, make_tenant):
    tenant_a = await make_tenant(units=[])
    tenant_b = await make_tenant(units=[])
    async with tenant_session(context.database, tenant_a) as session:
        session.add(Unit(tenant_id=tenant_a.id, name="新单位"))
        await session.commit()
    async with tenant_session(context.database, tenant_b) as session:
        assert (await session.execute(select(Unit))).scalars().all() == []
        assert (await session.execute(text("SELECT count(*) FROM units"))).scalar() == 0
    async with tenant_session(context.database, tenant_a) as session:
        assert (await session.execute(select(Unit.name))).scalars().all() == ["新单位"]


async def test_a_query_without_a_tenant_fails_closed(context, make_tenant):
    await make_tenant()
    async with context.database.core_session() as session:
        with pytest.raises(ProgrammingError, match="does not exist"):
            await session.execute(select(Unit))
    async with context.database.core_session() as session:
        with pytest.raises(ProgrammingError, match="does not exist"):
            await session.execute(text("SELECT * FROM letters"))


async def test_search_path_is_set_in_every_transaction_of_the_session(context, make_tenant):
    tenant = await make_tenant()
    async with tenant_session(context.database, tenant) as session:
        assert await current_search_path(session) == tenant.schema_name
        await session.commit()
        # A new transaction begins: the path must be set again, not leaked.
        assert await current_search_path(session) == tenant.schema_name


async def test_pooled_connections_never_carry_a_previous_tenant(context, make_tenant):
    tenants = [await make_tenant() for _ in range(3)]
    # Use more sessions than the pool holds so connections are reused.
    for round_ in range(3):
        for tenant in tenants:
            async with tenant_session(context.database, tenant) as session:
                assert await current_search_path(session) == tenant.schema_name
                await session.commit()
            async with context.database.core_session() as session:
                path = (await session.execute(text("SHOW search_path"))).scalar_one()
                assert path == "pg_catalog", (round_, tenant.slug, path)


async def test_a_bad_schema_name_is_refused_before_sql(context):
    from leadermail.tenants.registry import TenantRef

    forged = TenantRef(
        id=1, slug="x", name="x", kind="city", parent_id=None, status="active",
        theme="base", schema_name="t_1; DROP SCHEMA core",
    )
    with pytest.raises(ValueError, match="not a tenant schema name"):
        async with tenant_session(context.database, forged):
            pass


async def test_tenant_tables_are_not_reachable_through_public(context):
    async with context.database.core_session() as session:
        count = (
            await session.execute(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            )
        ).scalar_one()
    assert count == 0

