"""The letter page and the workflow actions on it.

    GET  /console/letters/{id}
    POST /console/letters/{id}/do/{verb}        登记 受理 不予受理 补充材料 催办 办结 归档
    POST /console/letters/{id}/assign           分办 (with its 办理时限)
    POST /console/letters/{id}/assignments/{aid}/deadline   调整办理时限
    POST /console/letters/{id}/instructions     批示
    POST /console/letters/{id}/notes            内部备注
    GET  /console/letters/{id}/attachments/{aid}

Every handler goes through ``access_letter_by_id`` (404 for missing *and*
forbidden) and a verb of ``staff_actions``. Forms post normally and come back
to the page (post/redirect/get); with htmx the page's main block is swapped.
A refused form that names itself (``form_name``) comes back as the page with
what was typed and each message next to its field, with or without htmx.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.auth import letter_or_404, require_staff
from leadermail.console.flash import console_url, flash
from leadermail.console.letter_page import letter_page_context
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.policy import Action, StaffUser
from leadermail.platform.audit.writer import Actor
from leadermail.platform.deadlines.assignments import AssignmentDeadlineError, parse_due_day
from leadermail.platform.letters.access import (
    LetterNotFound,
    access_attachment_by_id,
    staff_actor,
)
from leadermail.platform.letters.assignment_deadlines import change_assignment_deadline
from leadermail.platform.letters.models import Letter
from leadermail.platform.letters.staff_actions import (
    SIMPLE_VERBS,
    TEXT_VERBS,
    ActionRefused,
    ReportAssignmentRefused,
    add_internal_note,
    assign_letter,
    classify_letter,
    instruct_letter,
)
from leadermail.platform.letters.workflow import IllegalTransition
from leadermail.platform.uploads import UploadNotFound, open_upload
from leadermail.platform.web.requests import app_context, client_ip
from leadermail.tenants.session import tenant_session

#: (session, staff, letter, actor, form) -> success message
Operation = Callable[[AsyncSession, StaffUser, Letter, Actor, FormData], Awaitable[str]]


async def render_letter_page(
    request: Request,
    session: AsyncSession,
    staff: StaffUser,
    letter: Letter,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    ctx = await letter_page_context(session, request, staff, letter)
    ctx.update(extra or {})
    return renderer_for(app_context(request)).render(
        request, "letters/detail.html", ctx, fragment="letter_main", status_code=status_code
    )


async def letter_detail(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_LETTER)
    async with tenant_session(app_context(request).database, staff.tenant) as session:
        letter = await letter_or_404(request, session, staff)
        response = await render_letter_page(request, session, staff, letter)
        await session.commit()  # the audit record of reading a 举报
    return response


async def run_letter_operation(
    request: Request, operation: Operation, form: FormData, *, form_name: str | None = None
) -> Response:
    """Look the letter up, run ``operation``, commit, answer page or fragment."""
    staff = await require_staff(request)
    async with tenant_session(app_context(request).database, staff.tenant) as session:
        letter = await letter_or_404(request, session, staff, for_update=True)
        error: str | None = None
        fields: dict[str, str] = {}
        message = ""
        try:
            message = await operation(
                session, staff, letter, staff_actor(staff, client_ip(request)), form
            )
        except ReportAssignmentRefused as exc:
            # The refusal itself is kept: its audit record and the alert.
            error = exc.message
            await session.commit()
        except (ActionRefused, IllegalTransition) as exc:
            error = exc.message
            fields = getattr(exc, "fields", {})
            await session.rollback()
            await session.refresh(letter)
        else:
            await session.commit()
        kept = error is not None and form_name is not None
        if request.headers.get("hx-request") == "true" or kept:
            flashes = [{"message": error or message, "error": error is not None}]
            extra: dict[str, Any] = {"flashes": flashes}
            if kept:
                typed = {k: str(v) for k, v in form.items() if k != "csrf_token"}
                extra["forms"] = {form_name: {"values": typed, "errors": fields}}
            response = await render_letter_page(
                request,
                session,
                staff,
                letter,
                extra,
                status_code=422 if error else 200,
            )
            await session.commit()
            return response
    flash(request, error or message, error=error is not None)
    return RedirectResponse(console_url(request, f"/letters/{letter.id}"), status_code=303)


async def letter_verb(request: Request) -> Response:
    verb = request.path_params["verb"]
    if verb in SIMPLE_VERBS:
        function, _, _ = SIMPLE_VERBS[verb]

        async def operation(session, staff, letter, actor, form) -> str:  # noqa: ANN001
            await function(session, staff, letter, actor)
            return "操作成功"
    elif verb in TEXT_VERBS:
        text_function, _, _ = TEXT_VERBS[verb]

        async def operation(session, staff, letter, actor, form) -> str:  # noqa: ANN001
            await text_function(session, staff, letter, actor, str(form.get("message", "")))
            return "操作成功"
    else:
        raise HTTPException(404)
    async with request.form() as form:
        return await run_letter_operation(request, operation, form)


async def letter_classify(request: Request) -> Response:
    async def operation(session, staff, letter, actor, form) -> str:  # noqa: ANN001
        category = str(form.get("category_id", ""))
        changed = await classify_letter(
            session,
            staff,
            letter,
            actor,
            letter_type=str(form.get("letter_type", "")),
            category_id=int(category) if category.isdigit() else None,
            priority=str(form.get("priority", "")),
        )
        return "已调整分类" if changed else "分类未改变"

    async with request.form() as form:
        return await run_letter_operation(request, operation, form)


def _due_day(form: FormData, problems: dict[str, str]) -> date | None:
    try:
        return parse_due_day(str(form.get("due_on", "")))
    except AssignmentDeadlineError as exc:
        problems["due_on"] = exc.message
        return None


async def letter_assign(request: Request) -> Response:
    async def operation(session, staff, letter, actor, form) -> str:  # noqa: ANN001
        problems: dict[str, str] = {}
        unit_text = str(form.get("unit_id", ""))
        if not unit_text.isdigit():
            problems["unit_id"] = "请选择承办单位"
        due_on = _due_day(form, problems)
        if problems:
            raise ActionRefused("；".join(problems.values()), fields=problems)
        await assign_letter(
            session, staff, letter, actor, int(unit_text), str(form.get("note", "")), due_on
        )
        return "已分办"

    async with request.form() as form:
        return await run_letter_operation(request, operation, form, form_name="assign")


async def letter_assignment_deadline(request: Request) -> Response:
    assignment_id = request.path_params["assignment_id"]

    async def operation(session, staff, letter, actor, form) -> str:  # noqa: ANN001
        problems: dict[str, str] = {}
        due_on = _due_day(form, problems)
        if problems:
            raise ActionRefused(problems["due_on"], fields=problems)
        await change_assignment_deadline(
            session, staff, letter, actor, assignment_id, due_on, str(form.get("reason", ""))
        )
        return "办理时限已调整，已通知承办单位"

    async with request.form() as form:
        return await run_letter_operation(
            request, operation, form, form_name=f"deadline-{assignment_id}"
        )


async def letter_instruction(request: Request) -> Response:
    async def operation(session, staff, letter, actor, form) -> str:  # noqa: ANN001
        await instruct_letter(session, staff, letter, actor, str(form.get("body", "")))
        return "批示已保存"

    async with request.form() as form:
        return await run_letter_operation(request, operation, form)


async def letter_note(request: Request) -> Response:
    async def operation(session, staff, letter, actor, form) -> str:  # noqa: ANN001
        await add_internal_note(session, staff, letter, actor, str(form.get("body", "")))
        return "备注已保存"

    async with request.form() as form:
        return await run_letter_operation(request, operation, form)


async def attachment_download(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_LETTER)
    context = app_context(request)
    async with tenant_session(context.database, staff.tenant) as session:
        try:
            _, attachment = await access_attachment_by_id(
                session,
                staff,
                request.path_params["letter_id"],
                request.path_params["attachment_id"],
                ip_address=client_ip(request),
            )
        except LetterNotFound as exc:
            raise HTTPException(404) from exc
        await session.commit()
    try:
        path = open_upload(
            context.settings.upload_dir, attachment.storage_key, tenant_id=staff.tenant.id
        )
    except UploadNotFound as exc:
        raise HTTPException(404) from exc
    return FileResponse(
        path,
        media_type=attachment.content_type,
        filename=attachment.filename,
        headers={"Cache-Control": "private, no-store"},
    )


routes = [
    Route("/letters/{letter_id:int}", letter_detail),
    Route("/letters/{letter_id:int}/do/{verb:str}", letter_verb, methods=["POST"]),
    Route("/letters/{letter_id:int}/classify", letter_classify, methods=["POST"]),
    Route("/letters/{letter_id:int}/assign", letter_assign, methods=["POST"]),
    Route(
        "/letters/{letter_id:int}/assignments/{assignment_id:int}/deadline",
        letter_assignment_deadline,
        methods=["POST"],
    ),
    Route("/letters/{letter_id:int}/instructions", letter_instruction, methods=["POST"]),
    Route("/letters/{letter_id:int}/notes", letter_note, methods=["POST"]),
    Route("/letters/{letter_id:int}/attachments/{attachment_id:int}", attachment_download),
]
