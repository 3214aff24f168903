"""Province console: the tenant tree, provisioning, edit, disable.

    GET  /console/province/tenants                 the tree
    GET  /console/province/tenants/new             form (carries a request id)
    POST /console/province/tenants                 queue provisioning → progress page
    GET  /console/province/tenants/{id}/edit       edit form
    POST /console/province/tenants/{id}            save
    POST /console/province/tenants/{id}/disable    停用 (reason)
    POST /console/province/tenants/{id}/enable     启用
    GET|POST /console/invitation/{token}           a new admin sets a password

Only ``province_admin`` (Action.PROVINCE_ADMIN) reaches the province pages,
and only for the mailboxes of their own province's tree
(``console.province_access``): another province's answer 404, and a mailbox
is opened or moved only under a parent of the same tree. The progress pages
of the runs are ``province_runs``.
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.flash import flash
from leadermail.console.province_access import (
    access_province_run,
    access_province_tenant,
    province_tenants,
    runs_within,
    tree_ids,
)
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.password_changes import PasswordChangeRefused
from leadermail.platform.accounts.passwords import MIN_PASSWORD_LENGTH
from leadermail.platform.accounts.policy import Action, StaffUser
from leadermail.platform.audit.writer import Actor, record_platform_audit
from leadermail.platform.context import AppContext
from leadermail.platform.supervision.overdue import province_scope
from leadermail.platform.web.requests import app_context, client_ip, tenant_url
from leadermail.platform.web.templating import Themes
from leadermail.tenants.invitations import (
    INVALID_INVITATION,
    InvitationError,
    accept_invitation,
    find_invitation,
)
from leadermail.tenants.models import Tenant, TenantDomain, TenantStatus
from leadermail.tenants.provisioning import (
    SLUG_PATTERN,
    TenantSpec,
    availability_problems,
    normalise_host,
    set_tenant_status,
    spec_problems,
)
from leadermail.tenants.provisioning_runs import ProvisioningRun, request_provisioning
from leadermail.tenants.registry import KIND_LABELS, TenantRef
from leadermail.tenants.tree import tree_order


def _actor(request: Request, staff) -> Actor:  # noqa: ANN001
    return Actor(user_id=staff.user_id, label=staff.display_name, ip_address=client_ip(request))


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").replace("，", "\n").splitlines() if line.strip()]


async def _form_context(
    request: Request, staff: StaffUser, **extra: object
) -> dict[str, object]:
    context = app_context(request)
    return {
        # Parents and templates to choose from: the province's own tree.
        "tree": tree_order(await province_tenants(context, staff)),
        "kinds": KIND_LABELS,
        "themes": Themes(context.settings.themes_dir).available,
        "errors": {},
        "values": {},
        **extra,
    }


async def tenant_list(request: Request) -> Response:
    staff = await require_staff(request, Action.PROVINCE_ADMIN)
    context = app_context(request)
    context.tenants.invalidate()
    tenants = await province_tenants(context, staff)
    scope = await province_scope(context, staff.tenant)
    disabled = select(Tenant.id, Tenant.disabled_reason).where(
        Tenant.status == TenantStatus.DISABLED
    )
    if scope is not None:
        disabled = disabled.where(Tenant.id.in_(scope))
    async with context.database.core_session() as session:
        runs = (
            await session.execute(
                select(ProvisioningRun)
                .where(runs_within(scope, staff))
                .order_by(ProvisioningRun.id.desc())
                .limit(20)
            )
        ).scalars().all()
        # The reason stays on the row (not in the routing cache's TenantRef).
        reasons = dict((await session.execute(disabled)).all())
    ctx = {"tree": tree_order(tenants), "runs": runs, "kinds": KIND_LABELS, "reasons": reasons}
    return renderer_for(context).render(request, "province/tenants.html", ctx)


def _values_of_run(run: ProvisioningRun) -> dict[str, str]:
    """The form as it was sent for ``run`` (a failed run is filled in again)."""
    spec = run.spec
    return {
        "name": spec.get("name") or "", "kind": spec.get("kind") or "city",
        "parent_id": str(spec.get("parent_id") or ""), "slug": spec.get("slug") or "",
        "domains": "\n".join(spec.get("domains") or ()), "theme": spec.get("theme") or "base",
        "leader_name": spec.get("leader_name") or "",
        "leader_title": spec.get("leader_title") or "",
        "intro": (spec.get("profile") or {}).get("intro", ""),
        "template_tenant_id": str(run.template_tenant_id or ""),
        "admin_name": run.admin_name or "", "admin_email": run.admin_email or "",
    }


async def tenant_new(request: Request) -> Response:
    staff = await require_staff(request, Action.PROVINCE_ADMIN)
    context = app_context(request)
    values = {"kind": "city"}  # most new mailboxes are a city's or a county's
    from_run = request.query_params.get("from_run", "")
    if from_run.isdigit():
        values = _values_of_run(await access_province_run(context, staff, int(from_run)))
    ctx = await _form_context(
        request, staff, request_key=uuid.uuid4().hex, tenant_row=None, values=values
    )
    return renderer_for(context).render(request, "province/tenant_form.html", ctx)


async def _problems(
    context: AppContext, spec: TenantSpec, *, tenant_id: int | None = None
) -> dict[str, str]:
    """Field → message for everything wrong with ``spec`` (``tenant_id``: the one edited)."""
    errors = spec_problems(spec)
    async with context.database.core_session() as session:
        clashes = await session.run_sync(
            lambda sync_session: availability_problems(
                sync_session.connection(), spec, tenant_id=tenant_id
            )
        )
    for name, message in clashes.items():
        errors.setdefault(name, message)  # a malformed slug says so, not "taken"
    return errors


def _tree_problems(
    spec: TenantSpec, ids: set[int], *, row: Tenant | None = None, template: str = ""
) -> dict[str, str]:
    """Field → message when ``spec`` would leave the province's tree: a new
    mailbox, or one moved, goes under a parent of the tree (the province's
    own keeps the none it has), and is seeded from a mailbox of the tree."""
    errors: dict[str, str] = {}
    if row is None or spec.parent_id != row.parent_id:
        if spec.parent_id is None:
            errors["parent_id"] = "请选择上级信箱"
        elif spec.parent_id not in ids:
            errors["parent_id"] = "上级信箱须是本省的信箱"
    if template.isdigit() and int(template) not in ids:
        errors["template_tenant_id"] = "只能复制本省信箱的分类和承办单位"
    return errors


def _spec_from_form(form: dict[str, str]) -> TenantSpec:
    parent = form.get("parent_id", "")
    return TenantSpec(
        slug=form.get("slug", "").strip().lower(),
        name=form.get("name", "").strip(),
        kind=form.get("kind", ""),
        parent_id=int(parent) if parent.isdigit() else None,
        theme=form.get("theme", "base") or "base",
        domains=tuple(normalise_host(h) for h in _lines(form.get("domains", ""))),
        leader_name=form.get("leader_name", "").strip() or None,
        leader_title=form.get("leader_title", "").strip() or None,
        profile={"intro": form.get("intro", "").strip()} if form.get("intro", "").strip() else {},
    )


async def tenant_create(request: Request) -> Response:
    staff = await require_staff(request, Action.PROVINCE_ADMIN)
    context = app_context(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    spec = _spec_from_form(form)
    template = form.get("template_tenant_id", "")
    admin_email = form.get("admin_email", "").strip()
    # The same checks the job makes, now and all at once, so the usual
    # mistakes come back on the form instead of as a failed run.
    errors = await _problems(context, spec)
    for name, message in _tree_problems(
        spec, await tree_ids(context, staff), template=template
    ).items():
        errors.setdefault(name, message)
    if admin_email and "@" not in admin_email:
        errors["admin_email"] = "管理员邮箱格式不正确"
    request_key = form.get("request_key") or uuid.uuid4().hex
    if errors:
        ctx = await _form_context(
            request, staff, errors=errors, values=form, request_key=request_key, tenant_row=None
        )
        return renderer_for(context).render(
            request, "province/tenant_form.html", ctx, status_code=422
        )
    async with context.database.core_session() as session:
        run = await request_provisioning(
            session,
            request_key=f"console:{request_key}",
            spec=spec,
            actor=_actor(request, staff),
            admin_email=admin_email or None,
            admin_name=form.get("admin_name", "").strip() or None,
            template_tenant_id=int(template) if template.isdigit() else None,
        )
        await session.commit()
    return RedirectResponse(
        tenant_url(request, f"/console/province/runs/{run.id}"), status_code=303
    )


async def _tenant_row(request: Request, staff: StaffUser) -> Tenant:
    context = app_context(request)
    return await access_province_tenant(context, staff, request.path_params["tenant_id"])


async def tenant_edit(request: Request) -> Response:
    staff = await require_staff(request, Action.PROVINCE_ADMIN)
    row = await _tenant_row(request, staff)
    context = app_context(request)
    ref = await context.tenants.by_id(row.id)
    values = {
        "slug": row.slug, "name": row.name, "kind": row.kind,
        "parent_id": str(row.parent_id or ""), "theme": row.theme,
        "domains": "\n".join(ref.domains if ref else ()),
        "leader_name": row.leader_name or "", "leader_title": row.leader_title or "",
        "intro": (row.profile or {}).get("intro", ""),
    }
    ctx = await _form_context(request, staff, values=values, tenant_row=row, request_key="")
    return renderer_for(context).render(request, "province/tenant_form.html", ctx)


def _descendants(tenants: list[TenantRef], root: int) -> set[int]:
    found, frontier = {root}, [root]
    while frontier:
        current = frontier.pop()
        for tenant in tenants:
            if tenant.parent_id == current and tenant.id not in found:
                found.add(tenant.id)
                frontier.append(tenant.id)
    return found


async def tenant_update(request: Request) -> Response:
    staff = await require_staff(request, Action.PROVINCE_ADMIN)
    row = await _tenant_row(request, staff)
    context = app_context(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    spec = _spec_from_form(form)
    errors = await _problems(context, spec, tenant_id=row.id)
    if spec.parent_id is not None and spec.parent_id in _descendants(
        await context.tenants.all(), row.id
    ):
        errors["parent_id"] = "上级信箱不能是本信箱或其下级"
    for name, message in _tree_problems(spec, await tree_ids(context, staff), row=row).items():
        errors.setdefault(name, message)
    async with context.database.core_session() as session:
        if errors:
            ctx = await _form_context(
                request, staff, errors=errors, values=form, tenant_row=row, request_key=""
            )
            return renderer_for(context).render(
                request, "province/tenant_form.html", ctx, status_code=422
            )
        tenant = await session.get(Tenant, row.id, with_for_update=True)
        assert tenant is not None
        tenant.slug, tenant.name, tenant.kind = spec.slug, spec.name, spec.kind
        tenant.parent_id, tenant.theme = spec.parent_id, spec.theme
        tenant.leader_name, tenant.leader_title = spec.leader_name, spec.leader_title
        tenant.profile = {**(tenant.profile or {}), "intro": form.get("intro", "").strip()}
        await session.execute(delete(TenantDomain).where(TenantDomain.tenant_id == row.id))
        for i, host in enumerate(spec.domains):
            session.add(TenantDomain(host=host, tenant_id=row.id, is_primary=i == 0))
        await record_platform_audit(
            session, actor=_actor(request, staff), action="tenant.update", tenant_id=row.id,
            object_type="tenant", object_id=row.id, data={"slug": spec.slug, "name": spec.name},
        )
        await session.commit()
    context.tenants.invalidate()
    flash(request, f"已保存“{spec.name}”")
    return RedirectResponse(tenant_url(request, "/console/province/tenants"), status_code=303)


async def _set_status(request: Request, status: str) -> Response:
    staff = await require_staff(request, Action.PROVINCE_ADMIN)
    row = await _tenant_row(request, staff)
    context = app_context(request)
    reason = str((await request.form()).get("reason", "")).strip()
    if status == "disabled" and not reason:
        flash(request, "停用信箱需要填写原因", error=True)
    elif row.id == staff.tenant.id:
        flash(request, "不能停用省级管理员所在的信箱", error=True)
    else:
        set_tenant_status(context.database.sync_engine, row.slug, status, reason or None)
        async with context.database.core_session() as session:
            await record_platform_audit(
                session, actor=_actor(request, staff), action=f"tenant.{status}",
                tenant_id=row.id, object_type="tenant", object_id=row.id, data={"reason": reason},
            )
            await session.commit()
        context.tenants.invalidate()
        flash(request, f"已{'停用' if status == 'disabled' else '启用'}“{row.name}”")
    return RedirectResponse(tenant_url(request, "/console/province/tenants"), status_code=303)


async def tenant_disable(request: Request) -> Response:
    return await _set_status(request, "disabled")


async def tenant_enable(request: Request) -> Response:
    return await _set_status(request, "active")


async def invitation(request: Request) -> Response:
    """No sign-in: the token is the credential. GET never burns it."""
    context = app_context(request)
    token = request.path_params["token"]
    errors: dict[str, str] = {}
    async with context.database.core_session() as session:
        try:
            found = await find_invitation(session, token)
            tenant = await context.tenants.by_id(found.tenant_id)
            if tenant is None:
                raise InvitationError(INVALID_INVITATION)
            if request.method == "POST":
                form = await request.form()
                await accept_invitation(
                    session,
                    token,
                    tenant,
                    str(form.get("password", "")),
                    str(form.get("password_again", "")),
                    ip_address=client_ip(request),
                )
                await session.commit()
                flash(request, "密码已设置，请登录")
                return RedirectResponse(tenant_url(request, "/console/login"), status_code=303)
        except InvitationError as exc:
            return renderer_for(context).render(
                request, "province/invitation.html", {"invalid": exc.message}, status_code=404
            )
        except PasswordChangeRefused as refused:
            errors = refused.errors
    ctx = {"invalid": None, "errors": errors, "min_length": MIN_PASSWORD_LENGTH}
    return renderer_for(context).render(
        request, "province/invitation.html", ctx, status_code=422 if errors else 200
    )


routes = [
    Route("/province/tenants", tenant_list, methods=["GET"]),
    Route("/province/tenants", tenant_create, methods=["POST"]),
    Route("/province/tenants/new", tenant_new, methods=["GET"]),
    Route("/province/tenants/{tenant_id:int}/edit", tenant_edit, methods=["GET"]),
    Route("/province/tenants/{tenant_id:int}", tenant_update, methods=["POST"]),
    Route("/province/tenants/{tenant_id:int}/disable", tenant_disable, methods=["POST"]),
    Route("/province/tenants/{tenant_id:int}/enable", tenant_enable, methods=["POST"]),
    Route("/invitation/{token}", invitation, methods=["GET", "POST"]),
]

__all__ = ["routes", "SLUG_PATTERN"]
