"""Small request helpers shared by the public site and the console."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

from leadermail.platform.context import AppContext
from leadermail.tenants.registry import TenantRef


def app_context(request: Request) -> AppContext:
    return request.app.state.context


def current_tenant(request: Request) -> TenantRef:
    """The tenant the request was resolved to; 404 on the platform's own site."""
    tenant = getattr(request.state, "tenant", None)
    if tenant is None:
        raise HTTPException(404)
    return tenant


def client_ip(request: Request) -> str:
    """The client address (uvicorn's proxy-headers support has already
    replaced it with X-Forwarded-For from trusted proxies)."""
    return request.client.host if request.client else "unknown"


def tenant_url(request: Request, path: str) -> str:
    """A link inside the current tenant's site, on either kind of address."""
    return getattr(request.state, "tenant_prefix", "") + path
