"""The staff directory and the contact table (人员联系表).

GET  /console/directory                   units and their staff (this tenant)
GET  /console/directory/contacts.xlsx     人员联系表
POST /console/directory/units             add a unit (MANAGE_UNITS)
POST /console/directory/certificates      register a staff member's certificate (MANAGE_STAFF)
POST /console/directory/certificates/revoke  put a certificate on the revocation list
POST /console/directory/second-factor     reset a staff member's TOTP (lost phone)
GET  /console/directory/province          every tenant's staff (province admins)
GET  /console/directory/province.xlsx
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.models import Membership
from leadermail.platform.accounts.policy import Action, StaffUser, can
from leadermail.platform.accounts.second_factor import (
    ResetRefused,
    StaffNotFound,
    access_staff_member,
    reset_second_factor,
    second_factor_states,
)
from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.certificates.models import StaffCertificate
from leadermail.platform.certificates.services import (
    CertificateRefused,
    register_certificate,
    revoke_certificate,
)
from leadermail.platform.context import AppContext
from leadermail.platform.directory.services import (
    StaffEntry,
    UnitListing,
    contact_table_xlsx,
    province_directory,
    tenant_directory,
)
from leadermail.platform.letters.models import Unit
from leadermail.platform.web.requests import app_context, client_ip
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _actor(request: Request, staff: StaffUser) -> Actor:
    return Actor(staff.user_id, staff.display_name, client_ip(request))


async def _page(
    request: Request,
    staff: StaffUser,
    message: str | None = None,
    error: str | None = None,
    status: int = 200,
    reset: dict[str, Any] | None = None,
) -> Response:
    context = app_context(request)
    listings = await tenant_directory(context.database, staff.tenant)
    return renderer_for(context).render(
        request,
        "directory/tenant.html",
        {
            "listings": listings,
            "message": message,
            "error": error,
            "help_topic": "directory",
            "Action": Action,
            **await _reset_form(context, staff, [(staff.tenant, listings)], reset),
        },
        status_code=status,
    )


async def _reset_form(
    context: AppContext,
    staff: StaffUser,
    directories: list[tuple[TenantRef, list[UnitListing]]],
    reset: dict[str, Any] | None,
) -> dict[str, Any]:
    """Who the admin may pick in the 重置动态验证码 form, per tenant."""
    if not can(staff, Action.RESET_SECOND_FACTOR):
        return {"reset_candidates": {}, "factor_states": {}, "reset": {}}
    candidates: dict[int, dict[int, StaffEntry]] = {}
    for tenant, listings in directories:
        people = candidates.setdefault(tenant.id, {})
        for listing in listings:
            for person in listing.staff:
                if person.user_id != staff.user_id:
                    people.setdefault(person.user_id, person)
    user_ids = [uid for people in candidates.values() for uid in people]
    async with context.database.core_session() as core:
        states = await second_factor_states(core, user_ids)
    return {
        "reset_candidates": {t: list(p.values()) for t, p in candidates.items()},
        "factor_states": states,
        "reset": reset or {},
    }


async def directory(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_INBOX)
    done = {
        "unit": "已添加单位",
        "certificate": "证书已登记",
        "revoked": "证书已吊销",
        "totp": RESET_DONE,
    }
    return await _page(request, staff, done.get(request.query_params.get("done", "")))


async def contacts_xlsx(request: Request) -> Response:
    staff = await require_staff(request, Action.EXPORT)
    context = app_context(request)
    listings = await tenant_directory(context.database, staff.tenant)
    return Response(
        contact_table_xlsx([(staff.tenant, listings)]),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="contacts.xlsx"'},
    )


async def add_unit(request: Request) -> Response:
    staff = await require_staff(request, Action.MANAGE_UNITS)
    context = app_context(request)
    form = await request.form()
    name = str(form.get("name", "")).strip()
    if not name or len(name) > 100:
        return await _page(request, staff, error="请填写单位名称（不超过100字）", status=400)
    async with tenant_session(context.database, staff.tenant) as session:
        taken = (await session.execute(select(Unit.id).where(Unit.name == name))).first()
        if taken is not None:
            return await _page(request, staff, error=f"单位“{name}”已存在", status=400)
        unit = Unit(
            tenant_id=staff.tenant.id,
            name=name,
            phone=str(form.get("phone", "")).strip()[:30] or None,
            address=str(form.get("address", "")).strip()[:200] or None,
        )
        session.add(unit)
        await session.flush()
        await record_audit(
            session,
            tenant_id=staff.tenant.id,
            actor=_actor(request, staff),
            action="unit.create",
            object_type="unit",
            object_id=unit.id,
            data={"name": name},
        )
        await session.commit()
    return RedirectResponse(f"{request.state.tenant_prefix}/console/directory?done=unit", 303)


async def _member(context, staff: StaffUser, user_id: int) -> bool:  # noqa: ANN001
    async with context.database.core_session() as session:
        return (
            await session.execute(
                select(Membership.id).where(
                    Membership.user_id == user_id, Membership.tenant_id == staff.tenant.id
                )
            )
        ).first() is not None


async def add_certificate(request: Request) -> Response:
    staff = await require_staff(request, Action.MANAGE_STAFF)
    context = app_context(request)
    form = await request.form()
    user_text = str(form.get("user_id", ""))
    pem = str(form.get("pem", "")).strip()
    if not user_text.isdigit() or not await _member(context, staff, int(user_text)):
        return await _page(request, staff, error="请选择本单位的工作人员", status=400)
    try:
        async with context.database.core_session() as core:
            certificate = await register_certificate(core, user_id=int(user_text), pem=pem)
            await core.commit()
    except CertificateRefused as refused:
        return await _page(request, staff, error=refused.message, status=400)
    async with tenant_session(context.database, staff.tenant) as session:
        await record_audit(
            session,
            tenant_id=staff.tenant.id,
            actor=_actor(request, staff),
            action="certificate.register",
            object_type="certificate",
            object_id=certificate.serial,
            data={"user_id": certificate.user_id, "issuer": certificate.issuer},
        )
        await session.commit()
    return RedirectResponse(
        f"{request.state.tenant_prefix}/console/directory?done=certificate", 303
    )


async def revoke(request: Request) -> Response:
    staff = await require_staff(request, Action.MANAGE_STAFF)
    context = app_context(request)
    form = await request.form()
    certificate_id = str(form.get("certificate_id", ""))
    if not certificate_id.isdigit():
        raise HTTPException(404)
    async with context.database.core_session() as core:
        certificate = await core.get(StaffCertificate, int(certificate_id))
        if certificate is None or not await _member(context, staff, certificate.user_id):
            raise HTTPException(404)
        await revoke_certificate(
            core,
            issuer=certificate.issuer,
            serial=certificate.serial,
            reason=str(form.get("reason", ""))[:200] or "管理员吊销",
        )
        await core.commit()
    async with tenant_session(context.database, staff.tenant) as session:
        await record_audit(
            session,
            tenant_id=staff.tenant.id,
            actor=_actor(request, staff),
            action="certificate.revoke",
            object_type="certificate",
            object_id=certificate.serial,
        )
        await session.commit()
    return RedirectResponse(f"{request.state.tenant_prefix}/console/directory?done=revoked", 303)


async def _province(request: Request) -> list:  # noqa: ANN401
    await require_staff(request, Action.PROVINCE_ADMIN)
    context = app_context(request)
    tenants = [t for t in await context.tenants.all() if t.is_active]
    return await province_directory(context.database, tenants)


async def province(
    request: Request, reset: dict[str, Any] | None = None, status: int = 200
) -> Response:
    directories = await _province(request)
    staff = await require_staff(request, Action.PROVINCE_ADMIN)
    context = app_context(request)
    done = "totp" in request.query_params.get("done", "")
    return renderer_for(context).render(
        request,
        "directory/province.html",
        {
            "directories": directories,
            "help_topic": "directory",
            "message": RESET_DONE if done and reset is None else None,
            **await _reset_form(context, staff, directories, reset),
        },
        status_code=status,
    )


RESET_DONE = "动态验证码已重置：该工作人员已登录的会话已失效，下次登录时须扫码绑定新的动态验证码"


async def reset_totp(request: Request) -> Response:
    """重置动态验证码: another admin, a reason, audited; the user enrols anew."""
    staff = await require_staff(request, Action.RESET_SECOND_FACTOR)
    context = app_context(request)
    async with request.form() as form:
        values = {k: str(form.get(k, "")) for k in ("user_id", "tenant_id", "reason", "page")}
    on_province_page = values["page"] == "province"
    tenant_text = values["tenant_id"] or str(staff.tenant.id)
    errors: dict[str, str] = {}
    member = None
    if values["user_id"].isdigit() and tenant_text.isdigit() and len(tenant_text) < 19:
        try:
            async with context.database.core_session() as core:
                member, user = await access_staff_member(
                    core, staff, int(values["user_id"]), int(tenant_text)
                )
                name = user.display_name
                await reset_second_factor(
                    core, staff, _actor(request, staff), member, user, values["reason"]
                )
                await core.commit()
        except StaffNotFound:
            errors["user_id"] = "请选择可以由您重置的工作人员（不能重置自己）"
        except ResetRefused as refused:
            errors["reason"] = refused.message
    else:
        errors["user_id"] = "请选择工作人员"
    if errors or member is None:
        reset = {"errors": errors, "values": values}
        if on_province_page and can(staff, Action.PROVINCE_ADMIN):
            return await province(request, reset=reset, status=400)
        return await _page(request, staff, reset=reset, status=400)
    # The tenant's own chain records it too, for the tenant's auditors.
    tenant = await context.tenants.by_id(member.tenant_id)
    if tenant is not None:
        async with tenant_session(context.database, tenant) as session:
            await record_audit(
                session,
                tenant_id=tenant.id,
                actor=_actor(request, staff),
                action="staff.totp_reset",
                object_type="user",
                object_id=member.user_id,
                data={"name": name, "reason": " ".join(values["reason"].split())},
            )
            await session.commit()
    page = "/directory/province" if on_province_page else "/directory"
    return RedirectResponse(f"{request.state.tenant_prefix}/console{page}?done=totp", 303)


async def province_xlsx(request: Request) -> Response:
    directories = await _province(request)
    return Response(
        contact_table_xlsx(directories),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="province-contacts.xlsx"'},
    )


routes = [
    Route("/directory", directory, methods=["GET"]),
    Route("/directory/contacts.xlsx", contacts_xlsx, methods=["GET"]),
    Route("/directory/units", add_unit, methods=["POST"]),
    Route("/directory/certificates", add_certificate, methods=["POST"]),
    Route("/directory/certificates/revoke", revoke, methods=["POST"]),
    Route("/directory/second-factor", reset_totp, methods=["POST"]),
    Route("/directory/province", province, methods=["GET"]),
    Route("/directory/province.xlsx", province_xlsx, methods=["GET"]),
]
