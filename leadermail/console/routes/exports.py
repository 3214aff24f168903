"""Exports of a filtered letter list (CSV / XLSX), built by an arq job.

    GET  /console/exports                 the form and my recent exports
    POST /console/exports                 request one (format + filters) → its status page
    GET  /console/exports/{id}            status; htmx polls the ``export_status`` block
    GET  /console/exports/{id}/download   the file, once done (the requester only)
"""

from __future__ import annotations

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.flash import console_url
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.policy import Action, sees_personal_data
from leadermail.platform.exports.models import LetterExport
from leadermail.platform.exports.services import (
    FORMATS,
    ExportError,
    LetterFilters,
    access_export,
    export_path,
    request_export,
)
from leadermail.platform.letters.models import LETTER_TYPE_LABELS, Category, Unit
from leadermail.platform.letters.workflow import STATE_LABELS
from leadermail.platform.web.requests import app_context, current_tenant
from leadermail.tenants.session import tenant_session

STATUS_LABELS = {"queued": "排队中", "running": "生成中", "done": "已完成", "failed": "失败"}


async def exports_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    staff = await require_staff(request, Action.EXPORT)
    context = app_context(request)
    async with tenant_session(context.database, current_tenant(request)) as session:
        exports = (
            await session.execute(
                select(LetterExport)
                .where(LetterExport.requested_by_user_id == staff.user_id)
                .order_by(LetterExport.id.desc())
                .limit(20)
            )
        ).scalars().all()
        units = (await session.execute(select(Unit).order_by(Unit.id))).scalars().all()
        query = select(Category).order_by(Category.position)
        categories = (await session.execute(query)).scalars().all()
    return renderer_for(context).render(
        request, "exports/list.html",
        {
            "exports": exports, "units": units, "categories": categories, "error": error,
            "state_labels": STATE_LABELS, "type_labels": LETTER_TYPE_LABELS,
            "status_labels": STATUS_LABELS, "masked": not sees_personal_data(staff),
        },
        status_code=status,
    )


async def list_exports(request: Request) -> Response:
    return await exports_page(request)


async def create_export(request: Request) -> Response:
    staff = await require_staff(request, Action.EXPORT)
    context = app_context(request)
    form = await request.form()
    try:
        filters = LetterFilters.from_mapping(form)
        async with tenant_session(context.database, current_tenant(request)) as session:
            export = await request_export(
                session, staff, fmt=str(form.get("format") or ""), filters=filters
            )
            await session.commit()
    except ExportError as exc:
        return await exports_page(request, error=exc.message, status=422)
    return RedirectResponse(console_url(request, f"/exports/{export.id}"), status_code=303)


async def export_status(request: Request) -> Response:
    staff = await require_staff(request, Action.EXPORT)
    context = app_context(request)
    async with tenant_session(context.database, current_tenant(request)) as session:
        try:
            export = await access_export(session, staff, int(request.path_params["export_id"]))
        except ExportError:
            raise HTTPException(404, "没有找到这个导出任务") from None
    return renderer_for(context).render(
        request, "exports/status.html",
        {"export": export, "status_labels": STATUS_LABELS}, fragment="export_status",
    )


async def download(request: Request) -> Response:
    staff = await require_staff(request, Action.EXPORT)
    context = app_context(request)
    tenant = current_tenant(request)
    async with tenant_session(context.database, tenant) as session:
        try:
            export = await access_export(session, staff, int(request.path_params["export_id"]))
        except ExportError:
            raise HTTPException(404, "没有找到这个导出任务") from None
    path = export_path(context.settings, tenant, export)
    if export.status != "done" or not path.is_file():
        raise HTTPException(404, "导出文件尚未生成")
    return FileResponse(
        path, media_type=FORMATS[export.format], filename=export.file_name or path.name,
        headers={"Cache-Control": "no-store"},
    )


routes = [
    Route("/exports", list_exports, methods=["GET"]),
    Route("/exports", create_export, methods=["POST"]),
    Route("/exports/{export_id:int}", export_status, methods=["GET"]),
    Route("/exports/{export_id:int}/download", download, methods=["GET"]),
]
