"""Province console: a mailbox's admins, and inviting one (信箱管理员).

    GET  /console/province/tenants/{id}/admins     the admins, recent invitations, the form
    POST /console/province/tenants/{id}/admins     invite (or invite again) → progress page

The invitation is a provisioning run of its one step
(``tenants.admin_invitations``): the progress page (``/province/runs/{id}``)
says when the mail went out, and offers 重新发送邀请邮件 if it did not.
Only ``province_admin`` (Action.PROVINCE_ADMIN) reaches these pages, and
only for a mailbox of their own province's tree (``console.province_access``;
another province's answers 404).
"""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.province_access import access_province_tenant
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.policy import Action, StaffUser
from leadermail.platform.audit.writer import Actor
from leadermail.platform.web.requests import app_context, client_ip, tenant_url
from leadermail.tenants.admin_invitations import (
    invitation_problems,
    invitation_runs,
    mailbox_admins,
    request_admin_invitation,
    tenant_problem,
)
from leadermail.tenants.invitations import INVITATION_LIFETIME
from leadermail.tenants.models import Tenant


async def _page(
    request: Request,
    tenant: Tenant,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = app_context(request)
    async with context.database.core_session() as session:
        admins = await mailbox_admins(session, tenant.id)
        runs = await invitation_runs(session, tenant.id)
    ctx = {
        "tenant_row": tenant,
        "admins": admins,
        "runs": runs,
        "values": values or {"request_key": uuid.uuid4().hex},
        "errors": errors or {},
        "blocked": tenant_problem(tenant),
        "lifetime_days": INVITATION_LIFETIME.days,
        "new_key": lambda: uuid.uuid4().hex,
    }
    return renderer_for(context).render(
        request, "province/tenant_admins.html", ctx, status_code=status_code
    )


async def _tenant(request: Request, staff: StaffUser) -> Tenant:
    tenant_id = request.path_params["tenant_id"]
    return await access_province_tenant(app_context(request), staff, tenant_id)


async def admins_page(request: Request) -> Response:
    staff = await require_staff(request, Action.PROVINCE_ADMIN)
    return await _page(request, await _tenant(request, staff))


def _actor(request: Request, staff: StaffUser) -> Actor:
    return Actor(user_id=staff.user_id, label=staff.display_name, ip_address=client_ip(request))


async def invite_admin(request: Request) -> Response:
    staff = await require_staff(request, Action.PROVINCE_ADMIN)
    tenant = await _tenant(request, staff)
    form = await request.form()
    fields = ("admin_name", "admin_email", "request_key")
    values = {name: str(form.get(name, "")).strip() for name in fields}
    values["request_key"] = values["request_key"][:40] or uuid.uuid4().hex
    errors = invitation_problems(values["admin_name"], values["admin_email"])
    blocked = tenant_problem(tenant)
    if blocked:
        errors["tenant"] = blocked
    if errors:
        return await _page(request, tenant, values=values, errors=errors, status_code=422)
    async with app_context(request).database.core_session() as session:
        run = await request_admin_invitation(
            session,
            tenant,
            email=values["admin_email"],
            name=values["admin_name"],
            actor=_actor(request, staff),
            request_key=f"{tenant.id}:{values['request_key']}",
        )
        await session.commit()
    return RedirectResponse(
        tenant_url(request, f"/console/province/runs/{run.id}"), status_code=303
    )


routes = [
    Route("/province/tenants/{tenant_id:int}/admins", admins_page, methods=["GET"]),
    Route("/province/tenants/{tenant_id:int}/admins", invite_admin, methods=["POST"]),
]
