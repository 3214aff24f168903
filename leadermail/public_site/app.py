"""The citizens' site of every tenant, and the platform's own pages."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadermail.platform.context import AppContext
from leadermail.platform.web.requests import app_context
from leadermail.public_site.rendering import renderer_for


async def home(request: Request) -> Response:
    context = app_context(request)
    renderer = renderer_for(context)
    if request.state.tenant is None:
        tenants = [t for t in await context.tenants.all() if t.is_active]
        return renderer.render(request, "platform/home.html", {"tenants": tenants})
    return renderer.render(request, "home.html", {})


def create_public_app(context: AppContext) -> Starlette:
    app = Starlette(routes=[Route("/", home, name="home")])
    app.state.context = context
    return app
