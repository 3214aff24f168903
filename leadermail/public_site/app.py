"""The citizens' site of every tenant, and the platform's own pages.

Routes come from the modules in ``ROUTE_MODULES`` (each exposes ``routes``);
one module per feature: home, writing, tracking, published letters, ...
"""

from __future__ import annotations

import importlib

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from leadermail.platform.web.requests import app_context
from leadermail.public_site.rendering import renderer_for

ROUTE_MODULES: tuple[str, ...] = (
    "leadermail.public_site.routes.health",
    "leadermail.public_site.routes.home",
    "leadermail.public_site.routes.writing",
    # Before tracking: its "/track/{code}" would take "/track/recover".
    "leadermail.public_site.routes.recovery",
    "leadermail.public_site.routes.tracking",
    "leadermail.public_site.routes.appeals",
    "leadermail.public_site.routes.applications",
    "leadermail.public_site.routes.published",
    "leadermail.public_site.routes.exposure",
    "leadermail.public_site.routes.help",
    "leadermail.public_site.routes.icon",
)


async def home(request: Request) -> Response:
    context = app_context(request)
    renderer = renderer_for(context)
    if request.state.tenant is None:
        tenants = [t for t in await context.tenants.all() if t.is_active]
        return renderer.render(request, "platform/home.html", {"tenants": tenants})
    return renderer.render(request, "home.html", {})


def collect_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for name in ROUTE_MODULES:
        routes.extend(importlib.import_module(name).routes)
    if not any(getattr(r, "path", None) == "/" for r in routes):
        routes.append(Route("/", home, name="home"))
    return routes


async def http_error_page(request: Request, exc: Exception) -> Response:
    """Citizens get a page in the site's own theme and language, never
    Starlette's plain-text "Not Found"."""
    assert isinstance(exc, HTTPException)
    template = "errors/not_found.html" if exc.status_code == 404 else "errors/http_error.html"
    return renderer_for(app_context(request)).render(
        request,
        template,
        {"status": exc.status_code},
        status_code=exc.status_code,
        headers=exc.headers,
    )


def public_routes() -> list[BaseRoute]:
    """The citizens' routes, placed by ``leadermail.app`` straight into the
    root router, after the console and static mounts.

    Neither a Starlette app of its own (that would wrap every citizen request
    in a second pair of error and exception layers) nor a router mounted at
    ``/`` (one more match and dispatch on every request): the root
    IndexedRouter indexes these routes with the others. Their HTTP errors are
    rendered by :func:`http_error_page`, registered on the root app (the
    console handles its own before they get there).
    """
    return collect_routes()
