"""Engines and the shared-schema session.

Two kinds of tables live in one PostgreSQL database:

* shared tables, declared on :class:`CoreBase` with ``schema="core"``;
* tenant tables, declared on :class:`TenantBase` with *no* schema. They only
  resolve through :func:`leadermail.tenants.session.tenant_session`, which
  binds them to one tenant's schema.

Every connection starts with ``search_path = pg_catalog``: an unqualified
tenant table name therefore matches nothing and a query made without a tenant
raises instead of reading somebody's rows (fail closed).

Usage::

    database = Database(settings)
    async with database.core_session() as session:
        ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from leadermail.platform.config import Settings

CORE_SCHEMA = "core"
#: The path every pooled connection falls back to between transactions.
NEUTRAL_SEARCH_PATH = "pg_catalog"

_naming = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class CoreBase(DeclarativeBase):
    """Shared tables: tenant registry, users, outbox, cross-tenant ledger."""

    metadata = MetaData(schema=CORE_SCHEMA, naming_convention=_naming)
    type_annotation_map = {datetime: DateTime(timezone=True)}


class TenantBase(DeclarativeBase):
    """Tables that exist once per tenant schema.

    They hold no foreign keys into ``core`` (shared rows are referenced by id)
    so a tenant schema can later move whole to another PostgreSQL node.
    """

    metadata = MetaData(naming_convention=_naming)
    type_annotation_map = {datetime: DateTime(timezone=True)}


class TenantScoped:
    """Every tenant table carries ``tenant_id`` as well as living in the
    tenant's schema: it keeps row-level security or row-based sharding open."""

    tenant_id: Mapped[int] = mapped_column(nullable=False)


def _connect_args(settings: Settings) -> dict[str, Any]:
    # Prepared statements: the research notes (shared/research/
    # multitenancy-scale.md §2) found them useless when every transaction
    # changes tenant, because the SQL text names the schema and psycopg's LRU
    # of 100 statements per connection churns. That churn is harmless, while
    # traffic is far from uniform: the province mailbox and a few big cities
    # get most of it, and for their hot one-statement look-ups (tracking form,
    # letter page) preparing cut PostgreSQL's time per query about threefold
    # here (133 → 45 µs, letters has 21 indexes to plan with). Behind
    # PgBouncer < 1.21 in transaction mode set DB_PREPARE_THRESHOLD=off.
    return {
        "prepare_threshold": settings.db_prepare_threshold,
        "options": f"-c search_path={NEUTRAL_SEARCH_PATH}",
    }


def async_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.removeprefix("postgres://")
    return url


class Database:
    """The engines of one deployment.

    ``cluster`` names are kept on every tenant so a tenant can later live on
    another PostgreSQL cluster; today every tenant is on ``main``.
    """

    def __init__(self, settings: Settings) -> None:
        if settings.database_url is None:
            raise RuntimeError(
                "Database needs settings.database_url (start embedded services first)"
            )
        self.settings = settings
        self.url = async_url(settings.database_url)
        self.engine: AsyncEngine = create_async_engine(
            self.url,
            pool_size=settings.db_pool_size,
            # No overflow: overflow connections are closed after each use, and a
            # new backend per request costs more than waiting for a pooled one.
            max_overflow=0,
            pool_recycle=settings.db_pool_recycle_seconds,
            pool_pre_ping=False,
            connect_args=_connect_args(settings),
        )
        # The hottest one-statement reads (tracking form, double-submit check)
        # run without a transaction. Their own small pool opens connections
        # in autocommit once, instead of switching a pooled connection into
        # autocommit on every checkout and back, plus a rollback, on return:
        # three driver round trips through the greenlet bridge, ~70 µs of CPU
        # per look-up here. Nothing to reset on return: no transaction ever
        # stays open on these connections.
        self.autocommit_engine: AsyncEngine = create_async_engine(
            self.url,
            pool_size=max(settings.db_pool_size // 2, 2),
            max_overflow=0,
            pool_recycle=settings.db_pool_recycle_seconds,
            pool_pre_ping=False,
            pool_reset_on_return=None,
            isolation_level="AUTOCOMMIT",
            connect_args=_connect_args(settings),
        )
        self._sync_engine: Engine | None = None
        self._tenant_engines: dict[tuple[str, bool], AsyncEngine] = {}

    @property
    def sync_engine(self) -> Engine:
        """A synchronous engine for migrations and bulk CLI work."""
        if self._sync_engine is None:
            self._sync_engine = create_engine(
                self.url,
                pool_size=max(self.settings.migration_workers, 2),
                max_overflow=self.settings.migration_workers,
                pool_recycle=self.settings.db_pool_recycle_seconds,
                connect_args=_connect_args(self.settings),
            )
        return self._sync_engine

    def engine_for_cluster(self, cluster: str) -> AsyncEngine:
        if cluster != "main":
            raise LookupError(f"unknown database cluster {cluster!r}; only 'main' is configured")
        return self.engine

    def tenant_engine(
        self, schema_name: str, cluster: str = "main", *, autocommit: bool = False
    ) -> AsyncEngine:
        """An engine copy that renders tenant tables under ``schema_name``.

        ``execution_options`` returns a lightweight copy sharing the pool and
        the compiled-SQL cache, so one copy per tenant costs little. With
        ``autocommit`` it draws from the autocommit pool, where each statement
        runs on its own (see ``tenant_session(transaction=False)``).
        """
        engine = self._tenant_engines.get((schema_name, autocommit))
        if engine is None:
            base = self.engine_for_cluster(cluster)
            if autocommit:
                base = self.autocommit_engine
            engine = base.execution_options(schema_translate_map={None: schema_name})
            self._tenant_engines[(schema_name, autocommit)] = engine
        return engine

    @asynccontextmanager
    async def core_session(self) -> AsyncIterator[AsyncSession]:
        """A session for shared tables only; tenant tables do not resolve in it."""
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
        await self.autocommit_engine.dispose()
        if self._sync_engine is not None:
            self._sync_engine.dispose()
