"""Error pages rendered outside the routers (unknown tenant, closed mailbox, CSRF)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from leadermail.platform.context import AppContext
from leadermail.public_site.rendering import renderer_for
from leadermail.tenants.registry import TenantRef


async def render_error_page(
    context: AppContext,
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    template: str,
    tenant: TenantRef | None,
) -> None:
    scope = dict(scope)
    state = dict(scope.get("state", {}))
    state.setdefault("tenant", tenant)
    state.setdefault("tenant_prefix", "")
    state["error_tenant"] = tenant
    scope["state"] = state
    request = Request(scope, receive)
    response = renderer_for(context).render(
        request, template, {"status": status}, status_code=status
    )
    await response(scope, receive, send)
