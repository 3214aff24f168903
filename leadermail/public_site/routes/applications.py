"""Self-service applications on the platform's own site (no tenant).

GET  /apply                 the form
POST /apply                 submit → 303 to the status page (a reload sends nothing again)
GET  /apply/status?code=…   follow an application (&submitted=1: just sent, keep the code)
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.platform.web.requests import app_context, client_ip
from leadermail.public_site.views import render
from leadermail.tenants.applications import (
    ApplicationError,
    ApplicationForm,
    find_application,
    submit_application,
)
from leadermail.tenants.registry import KIND_LABELS

FIELDS = (
    "unit_name",
    "kind",
    "leader_name",
    "leader_title",
    "contact_name",
    "contact_phone",
    "contact_email",
    "reason",
    "wished_slug",
    "wished_domain",
)


def _platform_only(request: Request) -> None:
    if getattr(request.state, "tenant", None) is not None:
        raise HTTPException(404)


async def _parents(request: Request) -> list:
    return [t for t in await app_context(request).tenants.all() if t.is_active]


async def apply_form(request: Request) -> Response:
    _platform_only(request)
    ctx = {"values": {}, "errors": {}, "kinds": KIND_LABELS, "parents": await _parents(request)}
    return render(request, "applications/form.html", ctx)


async def apply_submit(request: Request) -> Response:
    _platform_only(request)
    context = app_context(request)
    form = {k: str(v)[:2000] for k, v in (await request.form()).items()}
    ctx = {"values": form, "kinds": KIND_LABELS, "parents": await _parents(request)}
    if not await context.rate_limiter.hit("apply", client_ip(request), "5/hour"):
        ctx["errors"] = {"form": "提交过于频繁，请一小时后再试"}
        return render(request, "applications/form.html", ctx, status_code=429)
    parent = form.get("parent_tenant_id", "")
    application_form = ApplicationForm(
        **{name: form.get(name, "") for name in FIELDS},
        parent_tenant_id=int(parent) if parent.isdigit() else None,
    )
    try:
        async with context.database.core_session() as session:
            application = await submit_application(session, application_form)
            await session.commit()
    except ApplicationError as exc:
        ctx["errors"] = exc.errors
        return render(request, "applications/form.html", ctx, status_code=422)
    return RedirectResponse(
        f"/apply/status?{urlencode({'code': application.code, 'submitted': 1})}", status_code=303
    )


async def apply_status(request: Request) -> Response:
    _platform_only(request)
    code = request.query_params.get("code", "")[:20]
    application = None
    if code:
        async with app_context(request).database.core_session() as session:
            application = await find_application(session, code)
    ctx = {
        "code": code,
        "application": application,
        "submitted": application is not None and request.query_params.get("submitted") == "1",
    }
    return render(
        request,
        "applications/status.html",
        ctx,
        no_store=True,
        status_code=404 if code and application is None else 200,
    )


routes = [
    Route("/apply", apply_form, methods=["GET"]),
    Route("/apply", apply_submit, methods=["POST"]),
    Route("/apply/status", apply_status, methods=["GET"]),
]
