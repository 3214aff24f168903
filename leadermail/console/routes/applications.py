"""Province console: review self-service mailbox applications.

GET  /console/province/applications            queue (pending first)
GET  /console/province/applications/{id}       one application
POST /console/province/applications/{id}/approve   → provisioning run (progress page)
POST /console/province/applications/{id}/reject    reason required; the applicant is told
"""

from __future__ import annotations

import logging

from sqlalchemy import case, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.flash import flash
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.policy import Action
from leadermail.platform.audit.writer import Actor
from leadermail.platform.notifications.email import send_email
from leadermail.platform.web.requests import app_context, client_ip, tenant_url
from leadermail.tenants.applications import (
    ApplicationError,
    TenantApplication,
    approve_application,
    reject_application,
)
from leadermail.tenants.provisioning import TenantError
from leadermail.tenants.registry import KIND_LABELS

log = logging.getLogger(__name__)


def _actor(request: Request, staff) -> Actor:  # noqa: ANN001
    return Actor(user_id=staff.user_id, label=staff.display_name, ip_address=client_ip(request))


def _detail_url(request: Request, application_id: int) -> str:
    return tenant_url(request, f"/console/province/applications/{application_id}")


async def queue(request: Request) -> Response:
    await require_staff(request, Action.PROVINCE_ADMIN)
    context = app_context(request)
    pending_first = case((TenantApplication.status == "pending", 0), else_=1)
    async with context.database.core_session() as session:
        rows = (
            (
                await session.execute(
                    select(TenantApplication)
                    .order_by(pending_first, TenantApplication.id.desc())
                    .limit(200)
                )
            )
            .scalars()
            .all()
        )
    ctx = {"applications": rows, "kinds": KIND_LABELS}
    return renderer_for(context).render(request, "province/applications.html", ctx)


async def _load(request: Request, session, *, for_update: bool = False) -> TenantApplication:  # noqa: ANN001
    application = await session.get(
        TenantApplication, int(request.path_params["application_id"]), with_for_update=for_update
    )
    if application is None:
        raise HTTPException(404)
    return application


async def detail(request: Request) -> Response:
    await require_staff(request, Action.PROVINCE_ADMIN)
    context = app_context(request)
    async with context.database.core_session() as session:
        application = await _load(request, session)
    parent = (
        await context.tenants.by_id(application.parent_tenant_id)
        if application.parent_tenant_id
        else None
    )
    ctx = {"application": application, "kinds": KIND_LABELS, "parent": parent}
    return renderer_for(context).render(request, "province/application.html", ctx)


async def approve(request: Request) -> Response:
    staff = await require_staff(request, Action.PROVINCE_ADMIN)
    context = app_context(request)
    async with context.database.core_session() as session:
        application = await _load(request, session, for_update=True)
        try:
            run_id = await approve_application(
                session, application, _actor(request, staff), context.database.sync_engine
            )
        except TenantError as exc:
            flash(
                request,
                f"不能批准：{exc.message}。未创建任何内容，请与申请人商定新的标识或域名。",
                error=True,
            )
            return RedirectResponse(_detail_url(request, application.id), status_code=303)
        except ApplicationError as exc:
            flash(request, "；".join(exc.errors.values()), error=True)
            return RedirectResponse(_detail_url(request, application.id), status_code=303)
        await session.commit()
    return RedirectResponse(
        tenant_url(request, f"/console/province/runs/{run_id}"), status_code=303
    )


async def reject(request: Request) -> Response:
    staff = await require_staff(request, Action.PROVINCE_ADMIN)
    context = app_context(request)
    reason = str((await request.form()).get("reason", ""))
    async with context.database.core_session() as session:
        application = await _load(request, session, for_update=True)
        try:
            await reject_application(session, application, _actor(request, staff), reason)
        except ApplicationError as exc:
            flash(request, "；".join(exc.errors.values()), error=True)
            return RedirectResponse(_detail_url(request, application.id), status_code=303)
        await session.commit()
    try:
        await send_email(
            context.settings,
            to=application.contact_email,
            subject=f"【领导信箱平台】开通申请 {application.code} 审核结果",
            body=f"您好：\n\n“{application.unit_name}”的开通申请未通过审核。\n原因：{reason.strip()}\n\n领导信箱平台",
        )
    except Exception:  # the decision stands; the status page shows it too
        log.exception("could not mail the rejection of application %s", application.id)
    flash(request, "已驳回申请")
    return RedirectResponse(_detail_url(request, application.id), status_code=303)


routes = [
    Route("/province/applications", queue, methods=["GET"]),
    Route("/province/applications/{application_id:int}", detail, methods=["GET"]),
    Route("/province/applications/{application_id:int}/approve", approve, methods=["POST"]),
    Route("/province/applications/{application_id:int}/reject", reject, methods=["POST"]),
]
