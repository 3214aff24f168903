"""Statutory notices and extensions of one letter, and the extension approvals.

    GET  /console/letters/{id}/notices          notices (due / sent / on time), extensions, forms
    POST /console/letters/{id}/notices          issue a notice (kind, reason, target_name)
    POST /console/letters/{id}/extensions       request an extension (rule, reason)
    GET  /console/notices/extensions            pending requests, for leaders and tenant admins
    POST /console/extensions/{id}/decide        approve=1|0, note

Letters are reached through ``access_letter_by_id`` (same 404 for missing and
forbidden); the verbs check the policy themselves.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.flash import console_url, flash
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.policy import Action, StaffUser, can
from leadermail.platform.letters.access import LetterNotFound, access_letter_by_id, staff_actor
from leadermail.platform.letters.extensions import (
    ExtensionError,
    LetterExtension,
    decide_extension,
    extensions_of,
    request_extension,
)
from leadermail.platform.letters.models import Letter
from leadermail.platform.letters.notices import (
    NOTICE_LABELS,
    NoticeError,
    issue_notice,
    notices_of,
)
from leadermail.platform.web.requests import app_context, client_ip, current_tenant
from leadermail.tenants.session import tenant_session

#: Notices staff issue by hand (the extension notice comes with an approval).
MANUAL_NOTICES = ("acceptance", "non_acceptance", "forwarded")


async def _letter(
    session: Any,
    staff: StaffUser,
    request: Request,
    *,
    letter_id: int | None = None,
    for_update: bool = False,
) -> Letter:
    try:
        return await access_letter_by_id(
            session, staff, letter_id or int(request.path_params["letter_id"]),
            ip_address=client_ip(request), for_update=for_update,
        )
    except LetterNotFound:
        raise HTTPException(404, "没有找到这封来信") from None


async def letter_notices(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_LETTER)
    context = app_context(request)
    async with tenant_session(context.database, current_tenant(request)) as session:
        letter = await _letter(session, staff, request)
        notices = await notices_of(session, letter.id)
        extensions = await extensions_of(session, letter.id)
        await session.commit()  # the audit record of reading a 举报
    return renderer_for(context).render(
        request, "notices/letter.html",
        {
            "letter": letter, "notices": notices, "extensions": extensions,
            "labels": NOTICE_LABELS, "manual": MANUAL_NOTICES,
            "may_notify": can(staff, Action.ACCEPT, letter),
            "may_request": can(staff, Action.REQUEST_EXTENSION, letter),
            "may_decide": can(staff, Action.APPROVE_EXTENSION, letter),
        },
    )


async def post_notice(request: Request) -> Response:
    staff = await require_staff(request, Action.ACCEPT)
    context = app_context(request)
    tenant = current_tenant(request)
    form = await request.form()
    kind = str(form.get("kind") or "")
    if kind not in MANUAL_NOTICES:
        raise HTTPException(400, "告知类型无效")
    async with tenant_session(context.database, tenant) as session:
        letter = await _letter(session, staff, request, for_update=True)
        try:
            await issue_notice(
                session, tenant, letter, kind, staff_actor(staff, client_ip(request)),
                reason=str(form.get("reason") or "") or None,
                target_name=str(form.get("target_name") or "") or None,
            )
        except NoticeError as exc:
            await session.rollback()
            flash(request, exc.message, error=True)
        else:
            await session.commit()
            flash(request, f"已发出{NOTICE_LABELS[kind]}")
    letter_id = request.path_params["letter_id"]
    return RedirectResponse(console_url(request, f"/letters/{letter_id}/notices"), status_code=303)


async def post_extension(request: Request) -> Response:
    staff = await require_staff(request, Action.REQUEST_EXTENSION)
    context = app_context(request)
    tenant = current_tenant(request)
    form = await request.form()
    async with tenant_session(context.database, tenant) as session:
        letter = await _letter(session, staff, request, for_update=True)
        try:
            await request_extension(
                session, tenant, letter, staff,
                rule=str(form.get("rule") or ""), reason=str(form.get("reason") or ""),
            )
        except ExtensionError as exc:
            await session.rollback()
            flash(request, exc.message, error=True)
        else:
            await session.commit()
            flash(request, "延期申请已提交，等待单位负责人审批")
    letter_id = request.path_params["letter_id"]
    return RedirectResponse(console_url(request, f"/letters/{letter_id}/notices"), status_code=303)


async def pending_extensions(request: Request) -> Response:
    await require_staff(request, Action.APPROVE_EXTENSION)
    context = app_context(request)
    async with tenant_session(context.database, current_tenant(request)) as session:
        rows = (
            await session.execute(
                select(LetterExtension, Letter)
                .join(Letter, Letter.id == LetterExtension.letter_id)
                .order_by(LetterExtension.status != "requested", LetterExtension.id.desc())
                .limit(100)
            )
        ).all()
    return renderer_for(context).render(request, "notices/extensions.html", {"rows": rows})


async def decide(request: Request) -> Response:
    staff = await require_staff(request, Action.APPROVE_EXTENSION)
    context = app_context(request)
    tenant = current_tenant(request)
    form = await request.form()
    async with tenant_session(context.database, tenant) as session:
        extension = await session.get(
            LetterExtension, int(request.path_params["extension_id"]), with_for_update=True
        )
        if extension is None:
            raise HTTPException(404, "没有找到这条延期申请")
        # Through the access layer, so a forbidden letter is a 404 too.
        await _letter(session, staff, request, letter_id=extension.letter_id, for_update=True)
        try:
            await decide_extension(
                session, tenant, extension, staff,
                approve=form.get("approve") == "1", note=str(form.get("note") or ""),
            )
        except ExtensionError as exc:
            await session.rollback()
            flash(request, exc.message, error=True)
        else:
            await session.commit()
            flash(request, f"延期申请{extension.status_label}")
    return RedirectResponse(console_url(request, "/notices/extensions"), status_code=303)


routes = [
    Route("/letters/{letter_id:int}/notices", letter_notices, methods=["GET"]),
    Route("/letters/{letter_id:int}/notices", post_notice, methods=["POST"]),
    Route("/letters/{letter_id:int}/extensions", post_extension, methods=["POST"]),
    Route("/notices/extensions", pending_extensions, methods=["GET"]),
    Route("/extensions/{extension_id:int}/decide", decide, methods=["POST"]),
]
