"""Province console: review self-service mailbox applications.

GET  /console/province/applications            queue (pending first), with the pending count
GET  /console/province/applications/{id}       one application
POST /console/province/applications/{id}/approve   under parent_tenant_id → the run's progress page
POST /console/province/applications/{id}/reject    reason required; the applicant is told

A province admin reaches only the applications of their own province's tree
(``console.province_access``): another tree's answer 404 like a missing one,
and an approval opens the mailbox only under a parent of the tree.
"""

from __future__ import annotations

import logging

from sqlalchemy import case, func, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.flash import flash
from leadermail.console.province_access import (
    access_province_application,
    applications_within,
    parent_problem,
    province_tenants,
)
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.policy import Action, StaffUser
from leadermail.platform.audit.writer import Actor
from leadermail.platform.notifications.email import send_email
from leadermail.platform.supervision.overdue import province_scope
from leadermail.platform.web.requests import app_context, client_ip, tenant_url
from leadermail.tenants.applications import (
    ApplicationError,
    ApplicationStatus,
    TenantApplication,
    approve_application,
    reject_application,
)
from leadermail.tenants.provisioning import TenantError
from leadermail.tenants.registry import KIND_LABELS
from leadermail.tenants.tree import tree_order

log = logging.getLogger(__name__)


def _actor(request: Request, staff: StaffUser) -> Actor:
    return Actor(user_id=staff.user_id, label=staff.display_name, ip_address=client_ip(request))


def _detail_url(request: Request, application_id: int) -> str:
    return tenant_url(request, f"/console/province/applications/{application_id}")


def _application_id(request: Request) -> int:
    return int(request.path_params["application_id"])


async def queue(request: Request) -> Response:
    staff = await require_staff(request, Action.PROVINCE_ADMIN)
    context = app_context(request)
    within = applications_within(await province_scope(context, staff.tenant))
    pending_first = case((TenantApplication.status == ApplicationStatus.PENDING, 0), else_=1)
    async with context.database.core_session() as session:
        rows = (
            (
                await session.execute(
                    select(TenantApplication)
                    .where(within)
                    .order_by(pending_first, TenantApplication.id.desc())
                    .limit(200)
                )
            )
            .scalars()
            .all()
        )
        pending = await session.scalar(
            select(func.count())
            .select_from(TenantApplication)
            .where(within, TenantApplication.status == ApplicationStatus.PENDING)
        )
    ctx = {
        "applications": rows,
        "kinds": KIND_LABELS,
        "parents": {tenant.id: tenant.name for tenant in await province_tenants(context, staff)},
        "pending_count": pending,
    }
    return renderer_for(context).render(request, "province/applications.html", ctx)


async def _render_detail(
    request: Request,
    staff: StaffUser,
    application: TenantApplication,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = app_context(request)
    parent = (
        await context.tenants.by_id(application.parent_tenant_id)
        if application.parent_tenant_id
        else None
    )
    ctx = {
        "application": application,
        "kinds": KIND_LABELS,
        "parent": parent,
        # The approver confirms the parent, or picks another of the tree.
        "tree": tree_order(await province_tenants(context, staff)),
        "errors": errors or {},
        "values": values or {"parent_tenant_id": str(application.parent_tenant_id or "")},
    }
    return renderer_for(context).render(
        request, "province/application.html", ctx, status_code=status_code
    )


async def detail(request: Request) -> Response:
    staff = await require_staff(request, Action.PROVINCE_ADMIN)
    context = app_context(request)
    async with context.database.core_session() as session:
        application = await access_province_application(
            context, staff, session, _application_id(request)
        )
    return await _render_detail(request, staff, application)


async def approve(request: Request) -> Response:
    staff = await require_staff(request, Action.PROVINCE_ADMIN)
    context = app_context(request)
    form = await request.form()
    async with context.database.core_session() as session:
        application = await access_province_application(
            context, staff, session, _application_id(request), for_update=True
        )
        # Without the field (a form of before it): the parent the applicant named.
        chosen = str(form.get("parent_tenant_id", application.parent_tenant_id or ""))
        parent_id = int(chosen) if chosen.isdigit() else None
        problem = await parent_problem(context, staff, parent_id)
        if problem and application.status == ApplicationStatus.PENDING:
            return await _render_detail(
                request,
                staff,
                application,
                errors={"parent_tenant_id": problem},
                values={"parent_tenant_id": chosen},
                status_code=422,
            )
        try:
            run_id = await approve_application(
                session,
                application,
                _actor(request, staff),
                context.database.sync_engine,
                parent_id=parent_id,
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
        application = await access_province_application(
            context, staff, session, _application_id(request), for_update=True
        )
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
