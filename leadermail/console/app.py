"""The staff console of every tenant (and the province's cross-tenant pages)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from leadermail.platform.context import AppContext


async def index(request: Request) -> Response:
    tenant = request.state.tenant
    name = tenant.name if tenant else "领导信箱平台"
    return HTMLResponse(f"<!doctype html><html lang='zh-CN'><title>{name} 工作台</title></html>")


def create_console_app(context: AppContext) -> Starlette:
    app = Starlette(routes=[Route("/", index)])
    app.state.context = context
    return app
