"""The staff console of every tenant (and the province's cross-tenant pages).

Routes come from the modules in ``ROUTE_MODULES``; each exposes ``routes``
(a list of Starlette routes). Keep one module per feature (inbox, letter page,
rules, duty roster, ...) rather than one big views file.
"""

from __future__ import annotations

import importlib
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from leadermail.console.auth import SignInRequired
from leadermail.console.rendering import renderer_for
from leadermail.platform.context import AppContext
from leadermail.platform.web.routing import IndexedRouter

ROUTE_MODULES: tuple[str, ...] = (
    "leadermail.console.routes.rules",
    "leadermail.console.routes.notices",
    "leadermail.console.routes.notifications",
    "leadermail.console.routes.exports",
    "leadermail.console.routes.duplicates",
    "leadermail.console.routes.deadlines",
    "leadermail.console.routes.signin",
    "leadermail.console.routes.password_reset",
    "leadermail.console.routes.account",
    "leadermail.console.routes.province_tenants",
    "leadermail.console.routes.province_admins",
    "leadermail.console.routes.province_runs",
    "leadermail.console.routes.forwarding",
    "leadermail.console.routes.forwarding_matters",
    "leadermail.console.routes.appeals",
    "leadermail.console.routes.applications",
    "leadermail.console.routes.inbox",
    "leadermail.console.routes.letters",
    "leadermail.console.routes.replies",
    "leadermail.console.routes.publication",
    "leadermail.console.routes.audit",
    "leadermail.console.routes.signatures",
    "leadermail.console.routes.supervision",
    "leadermail.console.routes.duty",
    "leadermail.console.routes.documents",
    "leadermail.console.routes.certificate",
    "leadermail.console.routes.directory",
    "leadermail.console.routes.channels",
    "leadermail.console.routes.help",
)


def collect_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for name in ROUTE_MODULES:
        routes.extend(importlib.import_module(name).routes)
    return routes


async def _sign_in_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    prefix = getattr(request.state, "tenant_prefix", "")
    target = exc.next_url or request.url.path
    if exc.next_url is None and request.url.query:
        target += "?" + request.url.query
    location = f"{prefix}/console/login?next={quote(target)}"
    if request.headers.get("hx-request") == "true":
        # htmx follows HX-Redirect with a full page load.
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    context = request.app.state.context
    return renderer_for(context).render(
        request,
        "errors/http_error.html",
        {"status": exc.status_code, "detail": exc.detail},
        status_code=exc.status_code,
    )


def create_console_app(context: AppContext) -> Starlette:
    app = Starlette(
        exception_handlers={SignInRequired: _sign_in_required, HTTPException: _http_error},
    )
    app.router = IndexedRouter(routes=collect_routes())
    app.state.context = context
    return app
