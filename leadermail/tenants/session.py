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
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from sqlalchemy import Select, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import Compiled
from sqlalchemy.util import greenlet_spawn

from leadermail.platform.db import Database
from leadermail.tenants.registry import TenantRef

_SCHEMA_NAME = re.compile(r"^t_[0-9]+$")


class TenantBoundSession(Session):
    """A sync Session (under AsyncSession) that knows its tenant schema."""


@event.listens_for(TenantBoundSession, "after_begin")
def _bind_search_path(session: Session, transaction: Any, connection: Any) -> None:
    if session.info.get("autocommit"):
        # No transaction for SET LOCAL to live in; see ``transaction=False``.
        return
    if transaction.nested:
        # A savepoint inside the transaction: SET LOCAL already holds.
        return
    schema = session.info["tenant_schema"]
    connection.exec_driver_sql(f"SELECT set_config('search_path', '{schema}', true)")


class TenantSession(AsyncSession):
    """An AsyncSession that builds its ORM Session on first use.

    Building one (Session, identity map, proxy registration) costs ~5 µs and
    touches a good deal of SQLAlchemy, which a request pays for even when it
    never reaches the database: a page served from the page cache, an error
    page, the trivial tenant page of the request-overhead benchmark (served,
    the unused session cost ~8% of that page's throughput). Construction is
    therefore deferred to the first attribute the session is asked for;
    everything after that is plain AsyncSession. It relies only on
    AsyncSession's public constructor setting the attributes it later reads
    on the instance (true of SQLAlchemy 2.0 and 2.1; the tests cover it).
    """

    def __init__(self, bind: Any, **kwargs: Any) -> None:
        # Not super().__init__(): that is the part being deferred.
        self._deferred_init = {"bind": bind, **kwargs}

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes the instance does not have yet.
        pending = self.__dict__.pop("_deferred_init", None)
        if pending is None:
            raise AttributeError(name)
        AsyncSession.__init__(self, **pending)
        return getattr(self, name)

    @property
    def started(self) -> bool:
        """Whether anything has used the session yet (and so built it)."""
        return "_deferred_init" not in self.__dict__

    async def first_row(
        self, statement: Select[Any], params: Mapping[str, Any] | None = None
    ) -> Sequence[Any] | None:
        """The first row of a Core select (columns, not entities), or None:
        ``(await session.execute(statement, params)).first()``, made cheap
        for the hottest single-statement reads.

        In a ``transaction=False`` session nothing else has used, the
        statement goes straight to a pooled driver connection of the same
        autocommit pool, compiled once with the tenant schema in place of the
        translate map. Through the async ORM the tracking look-up cost
        ~400-550 µs of CPU against ~150 µs this way (measured), most of a
        tracking POST. Isolation is the session's: the statement names this
        tenant's schema, and the connection's search_path resolves nothing
        else. Statements whose columns or parameters need SQLAlchemy's type
        processing take the ordinary path.
        """
        pending = self.__dict__.get("_deferred_init")
        if pending is not None and pending["info"]["autocommit"]:
            direct = _direct_sql(statement, pending["bind"].dialect)
            if direct is not None:
                return await _first_row_direct(
                    pending["bind"], direct, pending["info"]["tenant_schema"], params or {}
                )
        return (await self.execute(statement, params)).first()


# A schema name no tenant has (tenant schemas are ``t_<id>``), compiled into
# the SQL of ``first_row`` once per statement and replaced per call.
_SCHEMA_MARK = "lm_tenant_schema_mark"
_direct_cache: weakref.WeakKeyDictionary[Select[Any], Compiled | None] = (
    weakref.WeakKeyDictionary()
)


def _direct_sql(statement: Select[Any], dialect: Dialect) -> Compiled | None:
    """``statement`` compiled for ``first_row``, or None if it needs type processing."""
    try:
        return _direct_cache[statement]
    except KeyError:
        pass
    compiled = statement.compile(
        dialect=dialect,
        schema_translate_map={None: _SCHEMA_MARK},
        render_schema_translate=True,
    )
    processed = any(
        column.type.dialect_impl(dialect).result_processor(dialect, None) is not None
        for column in statement.selected_columns
    ) or any(
        bind.type.dialect_impl(dialect).bind_processor(dialect) is not None
        for bind in compiled.binds.values()
    )
    direct = None if processed else compiled
    _direct_cache[statement] = direct
    return direct


async def _first_row_direct(
    engine: AsyncEngine,
    compiled: Compiled,
    schema: str,
    params: Mapping[str, Any],
) -> Sequence[Any] | None:
    sql = compiled.string.replace(_SCHEMA_MARK, schema)
    values = compiled.construct_params(params)
    pooled = await engine.raw_connection()
    driver = pooled.driver_connection
    try:
        cursor = driver.cursor()  # type: ignore[union-attr]
        await cursor.execute(sql, values)
        row = await cursor.fetchone()
    except psycopg.Error as error:
        if driver.broken or driver.closed:  # type: ignore[union-attr]
            # A dead connection must not go back to the pool (invalidating
            # closes it, which needs SQLAlchemy's greenlet).
            await greenlet_spawn(pooled.invalidate, error)
        # The same exception types as the ordinary path raises.
        raise DBAPIError.instance(sql, values, error, psycopg.Error) from error
    finally:
        pooled.close()
    return row


class ReadOnlySessionError(RuntimeError):
    """A write was attempted in a ``transaction=False`` tenant session."""


@event.listens_for(TenantBoundSession, "before_flush")
def _refuse_flush_without_transaction(session: Session, *_: Any) -> None:
    if session.info.get("autocommit"):
        raise ReadOnlySessionError("a tenant session without a transaction only reads")


@event.listens_for(TenantBoundSession, "do_orm_execute")
def _refuse_dml_without_transaction(state: Any) -> None:
    # (text() SQL needs no check: it cannot name a tenant table here.)
    if state.session.info.get("autocommit") and (
        state.is_insert or state.is_update or state.is_delete
    ):
        raise ReadOnlySessionError("a tenant session without a transaction only reads")


def check_schema_name(schema_name: str) -> str:
    """Schema names are ``t_<id>``; refuse anything else before it reaches SQL."""
    if not _SCHEMA_NAME.match(schema_name):
        raise ValueError(f"not a tenant schema name: {schema_name!r}")
    return schema_name


def tenant_session(
    database: Database, tenant: TenantRef, *, transaction: bool = True
) -> TenantSessionContext:
    """Open a session whose tenant tables resolve to ``tenant``'s schema only.

    ``transaction=False`` is for the hottest look-ups of a single statement
    (the tracking form, the double-submit check of the letter form). Each
    statement then runs on its own, which saves three of the four round trips
    of a one-query transaction (BEGIN, set_config, the query, ROLLBACK).
    Isolation is unchanged: ORM and Core statements name the tenant's schema
    through the translate map, while hand-written ``text()`` SQL finds no
    tenant table (search_path stays ``pg_catalog``) and fails as before. Such
    a session only reads: flushes and INSERT/UPDATE/DELETE raise
    :class:`ReadOnlySessionError`, and two statements see no common snapshot.
    Its :meth:`TenantSession.first_row` is cheaper still for one row.
    """
    return TenantSessionContext(database, tenant, transaction)


class TenantSessionContext:
    """``async with`` support for :func:`tenant_session`.

    A plain class rather than ``@asynccontextmanager``: every tenant request
    enters one, and a generator-based context manager costs a generator, two
    extra coroutine steps and exception plumbing on each (a few microseconds,
    measured on the trivial tenant page).
    """

    __slots__ = ("_database", "_tenant", "_transaction", "_session")

    def __init__(self, database: Database, tenant: TenantRef, transaction: bool) -> None:
        self._database = database
        self._tenant = tenant
        self._transaction = transaction
        self._session: TenantSession | None = None

    async def __aenter__(self) -> TenantSession:
        schema = check_schema_name(self._tenant.schema_name)
        autocommit = not self._transaction
        engine = self._database.tenant_engine(schema, self._tenant.cluster, autocommit=autocommit)
        self._session = TenantSession(
            engine,
            sync_session_class=TenantBoundSession,
            expire_on_commit=False,
            info={"tenant_schema": schema, "tenant_id": self._tenant.id, "autocommit": autocommit},
        )
        return self._session

    async def __aexit__(self, *exc_info: object) -> None:
        session, self._session = self._session, None
        if session is None or not session.started:
            return
        # close() rolls back an open transaction, returns the connection and
        # detaches loaded objects. A session that holds none of these has
        # nothing to release, and closing it anyway costs a greenlet switch
        # plus a task (~15 µs). Shielded like AsyncSession.__aexit__, so a
        # cancelled request still hands its connection back.
        if session.in_transaction() or session.identity_map or session.new:
            await asyncio.shield(session.close())


async def current_search_path(session: AsyncSession) -> str:
    """What the session's transaction resolves unqualified names against."""
    return str((await session.execute(text("SHOW search_path"))).scalar_one())
