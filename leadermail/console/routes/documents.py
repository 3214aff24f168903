"""Printable documents of a letter (网下办理), as PDF with the tenant's header.

    GET  /console/letters/{id}/documents                      what can be printed
    GET  /console/letters/{id}/documents/assignment-slip.pdf  交办单 (newest 分办)
    GET  /console/letters/{id}/documents/acceptance-notice.pdf 受理 / 不予受理告知书
    POST /console/letters/{id}/documents/reply-document.pdf   信访处理意见书 from the form

Letters are fetched through ``access_letter_by_id`` only; a letter the staff
member may not see is a 404 like a missing one.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadermail.console.auth import letter_or_404, require_staff
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.policy import Action, sees_personal_data
from leadermail.platform.documents.documents import (
    ReplyDocument,
    acceptance_notice_pdf,
    assignment_slips_pdf,
    load_acceptance_notice,
    load_assignment_slip,
    reply_document_pdf,
)
from leadermail.platform.letters.models import Reply, Unit
from leadermail.platform.web.requests import app_context
from leadermail.tenants.session import tenant_session

MAX_FIELD = 5000


def pdf_response(pdf: bytes, name: str) -> Response:
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"},
    )


def _plain(html: str) -> str:
    """The reply's sanitised HTML as plain text for the opinion field."""
    text = re.sub(r"<\s*(br|/p|/li)\s*/?>", "\n", html, flags=re.I)
    return re.sub(r"<[^>]+>", "", text).strip()


async def documents_page(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_LETTER)
    context = app_context(request)
    async with tenant_session(context.database, staff.tenant) as session:
        letter = await letter_or_404(request, session, staff)
        slip = await load_assignment_slip(session, letter)
        notice = await load_acceptance_notice(session, letter)
        reply = (
            await session.execute(
                select(Reply).where(Reply.letter_id == letter.id).order_by(Reply.id.desc()).limit(1)
            )
        ).scalar_one_or_none()
        unit = await session.get(Unit, letter.unit_id) if letter.unit_id else None
        await session.commit()
    return renderer_for(context).render(
        request,
        "documents/letter.html",
        {
            "letter": letter,
            "has_slip": slip is not None,
            "notice": notice,
            "opinion": _plain(reply.body_html) if reply else "",
            "unit_name": unit.name if unit else "",
            "help_topic": "documents",
        },
    )


async def assignment_slip(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_LETTER)
    context = app_context(request)
    async with tenant_session(context.database, staff.tenant) as session:
        letter = await letter_or_404(request, session, staff)
        slip = await load_assignment_slip(session, letter, show_phone=sees_personal_data(staff))
        await session.commit()
    if slip is None:
        raise HTTPException(404, "该来信尚未分办，没有交办单")
    return pdf_response(
        assignment_slips_pdf(staff.tenant, [slip]), f"slip-{letter.tracking_code}.pdf"
    )


async def acceptance_notice(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_LETTER)
    context = app_context(request)
    async with tenant_session(context.database, staff.tenant) as session:
        letter = await letter_or_404(request, session, staff)
        notice = await load_acceptance_notice(session, letter)
        await session.commit()
    if notice is None:
        raise HTTPException(404, "该来信尚未作出受理决定")
    return pdf_response(
        acceptance_notice_pdf(staff.tenant, notice), f"notice-{letter.tracking_code}.pdf"
    )


async def reply_document(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_LETTER)
    context = app_context(request)
    form = await request.form()
    fields = {
        name: str(form.get(name, "")).strip()[:MAX_FIELD]
        for name in ("request", "facts", "opinion", "basis", "unit_name")
    }
    missing = [
        label
        for name, label in (
            ("request", "信访请求"),
            ("facts", "查明事实"),
            ("opinion", "处理意见"),
            ("basis", "依据"),
        )
        if not fields[name]
    ]
    async with tenant_session(context.database, staff.tenant) as session:
        letter = await letter_or_404(request, session, staff)
        await session.commit()
    if missing:
        raise HTTPException(400, "请填写：" + "、".join(missing))
    document = ReplyDocument(
        tracking_code=letter.tracking_code,
        writer_name=letter.writer_name,
        title=letter.title,
        received_at=letter.received_at or letter.submitted_at,
        request=fields["request"],
        facts=fields["facts"],
        opinion=fields["opinion"],
        basis=fields["basis"],
        unit_name=fields["unit_name"] or None,
    )
    return pdf_response(
        reply_document_pdf(staff.tenant, document), f"reply-{letter.tracking_code}.pdf"
    )


routes = [
    Route("/letters/{letter_id:int}/documents", documents_page, methods=["GET"]),
    Route(
        "/letters/{letter_id:int}/documents/assignment-slip.pdf", assignment_slip, methods=["GET"]
    ),
    Route(
        "/letters/{letter_id:int}/documents/acceptance-notice.pdf",
        acceptance_notice,
        methods=["GET"],
    ),
    Route(
        "/letters/{letter_id:int}/documents/reply-document.pdf", reply_document, methods=["POST"]
    ),
]
