"""``/healthz``: for load balancers and the request-overhead benchmark.

On a tenant's address it runs one query inside that tenant's schema, so a
200 means the tenant resolves, is open and its schema answers.
"""

from __future__ import annotations

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from leadermail.platform.web.requests import app_context
from leadermail.tenants.session import tenant_session


async def health(request: Request) -> Response:
    context = app_context(request)
    tenant = request.state.tenant
    if tenant is None:
        return PlainTextResponse("ok")
    async with tenant_session(context.database, tenant) as session:
        await session.execute(text("SELECT 1 FROM units LIMIT 1"))
    return PlainTextResponse(f"ok {tenant.slug}")


async def live(request: Request) -> Response:
    """Liveness: the tenant resolves and a tenant-bound session opens. The
    session connects lazily, so this touches no database; ``/healthz`` does."""
    context = app_context(request)
    tenant = request.state.tenant
    if tenant is None:
        return PlainTextResponse("live")
    async with tenant_session(context.database, tenant):
        pass
    return PlainTextResponse(f"live {tenant.slug}")


routes = [Route("/healthz", health), Route("/livez", live)]
