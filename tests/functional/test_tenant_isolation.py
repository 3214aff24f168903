"""The tenant-bound session: tenant A can neither read nor write tenant B."""

from __future__ import annotations

import pytest
from sqlalchemy import String, TypeDecorator, bindparam, func, select, text, type_coerce
from sqlalchemy.exc import OperationalError, ProgrammingError

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



# --- transaction=False: one-statement look-ups without BEGIN/ROLLBACK --------


async def test_a_session_without_transaction_reads_only_its_tenant(context, make_tenant):
    tenant_a = await make_tenant(units=["甲单位"])
    tenant_b = await make_tenant(units=["乙单位"])
    for tenant, name in ((tenant_a, "甲单位"), (tenant_b, "乙单位")):
        async with tenant_session(context.database, tenant, transaction=False) as session:
            assert (await session.execute(select(Unit.name))).scalars().all() == [name]
            # No transaction: the connection is outside any BEGIN.
            status = (await session.connection()).sync_connection.connection.dbapi_connection
            assert status.info.transaction_status.name == "IDLE"


async def test_a_session_without_transaction_fails_closed_for_raw_sql(context, make_tenant):
    tenant = await make_tenant()
    async with tenant_session(context.database, tenant, transaction=False) as session:
        assert await current_search_path(session) == "pg_catalog"
        with pytest.raises(ProgrammingError, match="does not exist"):
            await session.execute(text("SELECT name FROM units"))


async def test_a_session_without_transaction_refuses_writes(context, make_tenant):
    from sqlalchemy import update

    from leadermail.tenants.session import ReadOnlySessionError

    tenant = await make_tenant(units=["只读单位"])
    async with tenant_session(context.database, tenant, transaction=False) as session:
        session.add(Unit(tenant_id=tenant.id, name="不该写入"))
        with pytest.raises(ReadOnlySessionError):
            await session.flush()
    async with tenant_session(context.database, tenant, transaction=False) as session:
        with pytest.raises(ReadOnlySessionError):
            await session.execute(update(Unit).values(name="改名"))
    async with tenant_session(context.database, tenant) as session:
        assert (await session.execute(select(Unit.name))).scalars().all() == ["只读单位"]


async def test_connections_go_back_to_the_pool_with_transactions_on(context, make_tenant):
    tenant = await make_tenant()
    # More sessions than the pool holds, alternating modes, so each pooled
    # connection is used both ways.
    for _ in range(2 * context.settings.db_pool_size):
        async with tenant_session(context.database, tenant, transaction=False) as session:
            await session.execute(select(Unit.id).limit(1))
        async with tenant_session(context.database, tenant) as session:
            assert await current_search_path(session) == tenant.schema_name
            raw = (await session.connection()).sync_connection.connection.dbapi_connection
            assert raw.autocommit is False


async def test_an_unused_session_builds_nothing_and_a_used_one_is_a_plain_async_session(
    context, make_tenant
):
    from sqlalchemy.ext.asyncio import AsyncSession, async_object_session

    from leadermail.tenants.session import TenantBoundSession

    tenant = await make_tenant(units=["延迟单位"])
    async with tenant_session(context.database, tenant) as session:
        assert isinstance(session, AsyncSession)
        assert not session.started
    assert not session.started  # leaving it did not build it either
    async with tenant_session(context.database, tenant) as session:
        assert session.info["tenant_schema"] == tenant.schema_name  # first use builds it
        assert session.started
        assert isinstance(session.sync_session, TenantBoundSession)
        unit = (await session.execute(select(Unit))).scalar_one()
        assert async_object_session(unit) is session
        with pytest.raises(AttributeError):
            session.no_such_attribute  # noqa: B018
    assert not session.in_transaction()  # closed on the way out


# --- first_row: the hot single-row read ---------------------------------------

_UNIT_BY_NAME = select(Unit.name, Unit.id).where(Unit.name == bindparam("name"))


async def test_first_row_without_transaction_reads_only_its_tenant(context, make_tenant):
    tenant_a = await make_tenant(units=["甲单位"])
    tenant_b = await make_tenant(units=["乙单位"])
    for tenant, own, other in ((tenant_a, "甲单位", "乙单位"), (tenant_b, "乙单位", "甲单位")):
        async with tenant_session(context.database, tenant, transaction=False) as session:
            row = await session.first_row(_UNIT_BY_NAME, {"name": own})
            assert not session.started  # went straight to a pooled connection
        assert row is not None and row[0] == own
        async with tenant_session(context.database, tenant, transaction=False) as session:
            assert await session.first_row(_UNIT_BY_NAME, {"name": other}) is None


async def test_first_row_agrees_with_execute_first(context, make_tenant):
    tenant = await make_tenant(units=["一号单位", "二号单位"])
    # Literal values and LIMIT are bound parameters the caller does not pass.
    statement = (
        select(Unit.id, Unit.name, Unit.is_active, Unit.created_at)
        .where(Unit.name.like("%号单位"))
        .order_by(Unit.name.desc())
        .limit(1)
    )
    async with tenant_session(context.database, tenant, transaction=False) as session:
        direct = await session.first_row(statement)
    async with tenant_session(context.database, tenant) as session:
        ordinary = (await session.execute(statement)).first()
        # In a session already in use, first_row is execute().first().
        in_use = await session.first_row(statement)
    assert tuple(direct) == tuple(ordinary) == tuple(in_use)
    assert direct[1] == "二号单位"


class _Bracketed(TypeDecorator):
    impl = String
    cache_ok = True

    def process_result_value(self, value, dialect):  # noqa: ANN001, ANN201
        return None if value is None else f"[{value}]"


async def test_first_row_keeps_type_processing(context, make_tenant):
    tenant = await make_tenant(units=["加工单位"])
    statement = select(type_coerce(Unit.name, _Bracketed()))
    async with tenant_session(context.database, tenant, transaction=False) as session:
        assert (await session.first_row(statement))[0] == "[加工单位]"


async def test_first_row_drops_a_dead_connection_from_the_pool(context, make_tenant):
    tenant = await make_tenant(units=["断线单位"])
    backend = select(func.pg_backend_pid())
    # An empty pool, so the next two reads share its only connection.
    await context.database.autocommit_engine.dispose()
    async with tenant_session(context.database, tenant, transaction=False) as session:
        (pid,) = await session.first_row(backend)
    async with context.database.core_session() as core:
        await core.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    with pytest.raises(OperationalError):
        async with tenant_session(context.database, tenant, transaction=False) as session:
            await session.first_row(backend)
    async with tenant_session(context.database, tenant, transaction=False) as session:
        (new_pid,) = await session.first_row(backend)
        assert (await session.first_row(_UNIT_BY_NAME, {"name": "断线单位"}))[0] == "断线单位"
    assert new_pid != pid
