"""The ASGI application: tenant resolution in front of the two surfaces.

    uvicorn --factory leadermail.app:create_app

Request flow: security headers → session → tenant resolution
(``request.state.tenant``) → CSRF → ``/console`` (staff) or the citizens' routes
(and the platform's own pages), all in one indexed router. ``public_site`` and
``console`` never import each other; this module is the only place that knows
both.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from leadermail.console.app import create_console_app
from leadermail.console.rendering import renderer_for as console_renderer
from leadermail.platform.config import Settings
from leadermail.platform.context import AppContext
from leadermail.platform.letters.figures import clear_cache as clear_data_cache
from leadermail.platform.letters.public_changes import listen_for_public_changes
from leadermail.platform.web.csrf import CSRFMiddleware
from leadermail.platform.web.headers import SecurityHeadersMiddleware
from leadermail.platform.web.routing import IndexedRouter
from leadermail.platform.web.sessions import CookieSessionMiddleware
from leadermail.public_site import page_cache
from leadermail.public_site.app import http_error_page, public_routes
from leadermail.public_site.errors import render_error_page
from leadermail.public_site.rendering import renderer_for as public_renderer
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.resolution import TenantResolutionMiddleware


def static_mounts(settings: Settings, context: AppContext) -> list[Mount]:
    mounts = [
        Mount(
            f"/static/themes/{name}",
            app=StaticFiles(directory=theme.path / "static", check_dir=False),
        )
        for name, theme in context_themes(context).items()
    ]
    vendor = settings.node_modules_dir
    mounts += [
        Mount(
            "/static/vendor/htmx",
            app=StaticFiles(directory=vendor / "htmx.org" / "dist", check_dir=False),
        ),
        Mount(
            "/static/vendor/altcha",
            app=StaticFiles(directory=vendor / "altcha" / "dist", check_dir=False),
        ),
    ]
    return mounts


def context_themes(context: AppContext):  # noqa: ANN201
    from leadermail.platform.web.templating import Themes

    return Themes(context.settings.themes_dir).available


async def warm_up(context: AppContext) -> None:
    """Pay a fresh worker's one-time costs before it accepts requests.

    Measured on the first request of a new process (province dashboard,
    1,000 tenants): 277–414 ms, of which loading the tenant directory ~40 ms,
    SQLAlchemy's first connection and query ~110 ms and compiling templates
    ~100 ms per page. All templates of both surfaces compile in ~1.7 s here.
    """
    await context.tenants.all()
    async with context.database.core_session() as session:
        await session.execute(text("SELECT 1"))
    public_renderer(context).compile_all()
    console_renderer(context).compile_all()


def drop_public_caches(tenant_id: int | None) -> None:
    """A tenant's public pages changed (or may have): forget what this worker
    cached of them. Everything goes: such changes are rare staff actions, and
    the data caches are keyed in several shapes."""
    clear_data_cache()
    page_cache.clear()


def create_app(settings: Settings | None = None, *, context: AppContext | None = None) -> Starlette:
    if context is None:
        context = AppContext.create(settings or Settings.from_env())
    settings = context.settings

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Everything imported and built so far (templates, SQLAlchemy
        # mappers, route tables: a few hundred thousand objects) lives as long
        # as the process. Moving it out of the collector's reach keeps the
        # oldest-generation collections short: without this, one in every few
        # thousand requests stalled ~100 ms while the collector walked the
        # whole heap (measured: p99 of a trivial page 103 ms → 8 ms).
        await warm_up(context)
        gc.collect()
        gc.freeze()
        listener = asyncio.create_task(
            listen_for_public_changes(context.redis, drop_public_caches)
        )
        yield
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        await context.close()

    async def error_page(
        scope: Scope,
        receive: Receive,
        send: Send,
        status: int,
        template: str,
        tenant: TenantRef | None,
    ) -> None:
        await render_error_page(context, scope, receive, send, status, template, tenant)

    async def csrf_rejected(scope: Scope, receive: Receive, send: Send) -> None:
        tenant = scope.get("state", {}).get("tenant")
        await render_error_page(context, scope, receive, send, 403, "errors/csrf.html", tenant)

    platform_hosts = frozenset(
        {settings.platform_host.lower(), "localhost", "127.0.0.1", "testserver"}
    )
    app = Starlette(
        # Citizens' pages; the console app renders its own errors first.
        exception_handlers={HTTPException: http_error_page},
        middleware=[
            Middleware(SecurityHeadersMiddleware),
            Middleware(
                CookieSessionMiddleware,
                secret_key=settings.secret_key,
                session_cookie="leadermail_session",
                same_site="lax",
                https_only=settings.cookie_secure,
                max_age=8 * 3600,
            ),
            Middleware(
                TenantResolutionMiddleware,
                tenants=context.tenants,
                error_page=error_page,
                platform_hosts=platform_hosts,
            ),
            Middleware(CSRFMiddleware, reject=csrf_rejected),
        ],
    )
    # Routes are set on an IndexedRouter (see platform/web/routing.py); the
    # Starlette object only contributes its error and exception layers.
    app.router = IndexedRouter(
        routes=[
            *static_mounts(settings, context),
            Mount("/console", app=create_console_app(context)),
            *public_routes(),
        ],
        lifespan=lifespan,
    )
    app.state.context = context
    return app
