"""The one way to reach tenant tables: a session bound to one tenant's schema.

Why both mechanisms (see ``shared/research/multitenancy-scale.md``):

* ``schema_translate_map={None: "t_42"}`` makes every ORM/Core statement name
  the schema explicitly (``"t_42".letters``). That is safe under any pooler and
  shares one compiled-SQL cache entry across all tenants.
* ``set_config('search_path', 't_42', true)`` (= ``SET LOCAL``) at the start of
  *every* transaction of the session makes hand-written ``text()`` SQL resolve
  to the same tenant. ``SET LOCAL`` dies with the transaction, so a pooled
  connection can never carry one request's tenant into the next request.
* Connections otherwise sit on ``search_path = pg_catalog``, where no tenant
  table exists: forgetting the tenant raises instead of leaking rows.

Usage::

    async with tenant_session(database, tenant) as session:
        letter = await session.get(Letter, 7)
        await session.commit()
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from leadermail.platform.db import Database
from leadermail.tenants.registry import TenantRef

_SCHEMA_NAME = re.compile(r"^t_[0-9]+$")


class TenantBoundSession(Session):
    """A sync Session (under AsyncSession) that knows its tenant schema."""


@event.listens_for(TenantBoundSession, "after_begin")
def _bind_search_path(session: Session, transaction: Any, connection: Any) -> None:
    schema = session.info["tenant_schema"]
    connection.exec_driver_sql(f"SELECT set_config('search_path', '{schema}', true)")


def check_schema_name(schema_name: str) -> str:
    """Schema names are ``t_<id>``; refuse anything else before it reaches SQL."""
    if not _SCHEMA_NAME.match(schema_name):
        raise ValueError(f"not a tenant schema name: {schema_name!r}")
    return schema_name


@asynccontextmanager
async def tenant_session(database: Database, tenant: TenantRef) -> AsyncIterator[AsyncSession]:
    """Open a session whose tenant tables resolve to ``tenant``'s schema only."""
    schema = check_schema_name(tenant.schema_name)
    engine = database.tenant_engine(schema, tenant.cluster)
    session = AsyncSession(
        engine,
        sync_session_class=TenantBoundSession,
        expire_on_commit=False,
        info={"tenant_schema": schema, "tenant_id": tenant.id},
    )
    try:
        yield session
    finally:
        # close() rolls back an open transaction, returns the connection and
        # detaches loaded objects. A session that holds none of these has
        # nothing to release, and closing it anyway costs a greenlet switch
        # plus a task (~15 µs) on every request that never reaches its
        # tenant's tables. Shielded like AsyncSession.__aexit__, so a
        # cancelled request still hands its connection back.
        if session.in_transaction() or session.identity_map or session.new:
            await asyncio.shield(session.close())


async def current_search_path(session: AsyncSession) -> str:
    """What the session's transaction resolves unqualified names against."""
    return str((await session.execute(text("SHOW search_path"))).scalar_one())
