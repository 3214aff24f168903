"""Reply editor, approval, sending, publication, canned replies.

    POST /console/letters/{id}/reply            the editor form: save the draft with
                                                its new attachments, or (op=canned)
                                                insert a 常用语, or remove_attachment=id
    POST /console/letters/{id}/reply/autosave   htmx, every few seconds while typing
    POST /console/letters/{id}/reply/attachments/{aid}/public   公开 mark of one file
    POST /console/letters/{id}/reply/approve    leader
    POST /console/letters/{id}/reply/return     leader: 退回修改, with a comment
    POST /console/letters/{id}/reply/send       signs and sends (已答复)
    POST /console/letters/{id}/publish          公示 on/off (only with consent); on a
                                                published letter, 公示 of its held new reply
    (the 公示文本 page, to review and correct the public text: routes/publication.py)
    GET/POST /console/canned-replies            常用语

An expired session never loses a draft: the posted text is kept in the
session cookie through the sign-in and put back into the editor. The editor's
other buttons (insert a 常用语, remove a file) post the whole form too, so
whatever was typed comes back in the editor, with or without JavaScript; a
refused file is named next to the file field and the typed text stays.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.auth import (
    SESSION_PENDING_DRAFT,
    SignInRequired,
    current_staff,
    letter_or_404,
    require_staff,
)
from leadermail.console.flash import console_url, flash
from leadermail.console.rendering import renderer_for
from leadermail.console.routes.letters import (
    Operation,
    render_letter_page,
    run_letter_operation,
)
from leadermail.platform.accounts.policy import Action, StaffUser
from leadermail.platform.audit.writer import Actor
from leadermail.platform.letters.access import LetterNotFound, access_letter_by_id, staff_actor
from leadermail.platform.letters.models import Letter
from leadermail.platform.letters.public_changes import announce_public_change
from leadermail.platform.letters.staff_actions import ActionRefused, require
from leadermail.platform.replies.attachments import (
    MAX_REPLY_ATTACHMENTS,
    READ_LIMIT,
    add_reply_attachments,
    check_reply_files,
    remove_reply_attachment,
    reply_attachments,
)
from leadermail.platform.replies.sanitize import MAX_REPLY_CHARS
from leadermail.platform.replies.services import (
    add_canned_reply,
    approve_reply,
    canned_replies,
    canned_reply_by_id,
    current_reply,
    insert_canned,
    letter_replies,
    mark_attachment_public,
    return_reply,
    save_draft,
    send_reply,
    set_publication,
    working_reply,
)
from leadermail.platform.uploads import UploadRejected
from leadermail.platform.web.requests import app_context, client_ip
from leadermail.tenants.session import tenant_session

#: What fits in the signed session cookie next to everything else.
MAX_RESCUED_CHARS = 3000

#: (session, staff, letter, actor) -> outcome of one editor button
EditorPress = Callable[[AsyncSession, StaffUser, Letter, Actor], Awaitable["EditorOutcome"]]


async def _staff_or_rescue(request: Request, body: str) -> None:
    """Signed out mid-edit: keep the text, then send the user to sign in."""
    if await current_staff(request) is not None:
        return
    letter_id = request.path_params["letter_id"]
    if body.strip():
        request.session[SESSION_PENDING_DRAFT] = {
            "letter_id": letter_id,
            "body": body[:MAX_RESCUED_CHARS],
        }
    raise SignInRequired(next_url=console_url(request, f"/letters/{letter_id}"))


@dataclass
class EditorOutcome:
    """What one press of an editor button did."""

    message: str = ""
    #: Field name -> message shown next to that field (nothing is committed).
    errors: dict[str, str] = field(default_factory=dict)
    #: Show the editor again with this text (typed, not saved) instead of
    #: going back to the saved draft.
    editor_body: str | None = None


async def _posted_files(form: FormData) -> list[tuple[str, bytes]]:
    files = []
    for item in form.getlist("attachments"):
        if isinstance(item, UploadFile) and item.filename:
            files.append((item.filename, await item.read(READ_LIMIT)))
    return files


async def reply_save(request: Request) -> Response:
    # Generous part limits: too many files is refused with a message below,
    # not with Starlette's bare 400.
    async with request.form(max_files=4 * MAX_REPLY_ATTACHMENTS, max_fields=100) as form:
        body = str(form.get("body", ""))[: MAX_REPLY_CHARS * 2]
        await _staff_or_rescue(request, body)
        files = await _posted_files(form)
        removing = str(form.get("remove_attachment", ""))
        canned_id = str(form.get("canned_id", ""))
        op = str(form.get("op", "save"))
    upload_dir = app_context(request).settings.upload_dir
    unsent_files = "；所选的附件尚未上传，请重新选择后点击“保存草稿”" if files else ""

    async def save(session, staff, letter, actor) -> EditorOutcome:  # noqa: ANN001
        reply = await current_reply(session, letter)
        already = 0
        if reply is not None and reply.status != "sent":
            already = len(await reply_attachments(session, reply))
        try:
            checked = check_reply_files(files, already=already)
        except UploadRejected as rejected:
            return EditorOutcome(errors={"attachments": rejected.message})
        try:
            reply = await save_draft(session, staff, letter, actor, body)
        except ActionRefused as refused:
            return EditorOutcome(errors={"body": refused.message})
        await add_reply_attachments(session, staff, letter, actor, reply, checked, upload_dir)
        request.session.pop(SESSION_PENDING_DRAFT, None)
        uploaded = f"，已上传 {len(checked)} 个附件" if checked else ""
        return EditorOutcome(message="答复草稿已保存" + uploaded)

    async def remove(session, staff, letter, actor) -> EditorOutcome:  # noqa: ANN001
        reply = await current_reply(session, letter)
        if reply is None:
            raise ActionRefused("附件不存在")
        name = await remove_reply_attachment(session, staff, letter, actor, reply, int(removing))
        return EditorOutcome(message=f"已移除附件「{name}」{unsent_files}", editor_body=body)

    async def insert(session, staff, letter, actor) -> EditorOutcome:  # noqa: ANN001
        require(staff, Action.DRAFT_REPLY, letter)
        canned = None
        if canned_id.isdigit():
            canned = await canned_reply_by_id(session, letter.tenant_id, int(canned_id))
        if canned is None:
            return EditorOutcome(errors={"canned": "请先选择要插入的常用语"})
        return EditorOutcome(
            message=f"已插入常用语「{canned.title}」，请检查后保存{unsent_files}",
            editor_body=insert_canned(body, canned.body_html),
        )

    if removing.isdigit():
        return await _run_editor(request, remove, body)
    if op == "canned":
        return await _run_editor(request, insert, body)
    return await _run_editor(request, save, body)


async def _run_editor(request: Request, press: EditorPress, body: str) -> Response:
    """Run one editor button: commit and come back to the page, or show the
    editor again with the typed text (and the errors next to their fields)."""
    staff = await require_staff(request)
    async with tenant_session(app_context(request).database, staff.tenant) as session:
        letter = await letter_or_404(request, session, staff, for_update=True)
        try:
            outcome = await press(session, staff, letter, staff_actor(staff, client_ip(request)))
        except ActionRefused as exc:
            outcome = EditorOutcome(errors={"editor": exc.message})
        if outcome.errors:
            await session.rollback()
            await session.refresh(letter)
            flashes = [{"message": "；".join(outcome.errors.values()), "error": True}]
            extra = {"flashes": flashes, "reply_errors": outcome.errors, "editor_body": body}
            response = await render_letter_page(
                request, session, staff, letter, extra, status_code=422
            )
            await session.commit()
            return response
        await session.commit()
        if outcome.editor_body is not None or request.headers.get("hx-request") == "true":
            flashes = [{"message": outcome.message, "error": False}]
            response = await render_letter_page(
                request,
                session,
                staff,
                letter,
                {"flashes": flashes, "editor_body": outcome.editor_body},
            )
            await session.commit()
            return response
    flash(request, outcome.message)
    return RedirectResponse(console_url(request, f"/letters/{letter.id}"), status_code=303)


async def attachment_public(request: Request) -> Response:
    """公开 or not: a staff attachment goes on the published page only when marked."""

    secret = app_context(request).settings.secret_key

    async def operation(session, staff, letter, actor, form) -> str:  # noqa: ANN001
        public = str(form.get("public", "")) == "1"
        attachment = await mark_attachment_public(
            session, staff, letter, actor, request.path_params["attachment_id"], public, secret
        )
        state = "公开" if public else "不公开"
        return f"附件「{attachment.filename}」已设为{state}"

    return await _run_public_operation(request, operation)


async def reply_autosave(request: Request) -> Response:
    async with request.form() as form:
        body = str(form.get("body", ""))[: MAX_REPLY_CHARS * 2]
    await _staff_or_rescue(request, body)
    staff = await require_staff(request, Action.DRAFT_REPLY)
    async with tenant_session(app_context(request).database, staff.tenant) as session:
        try:
            letter = await access_letter_by_id(
                session, staff, request.path_params["letter_id"], for_update=True
            )
            await save_draft(
                session, staff, letter, staff_actor(staff, client_ip(request)), body, autosave=True
            )
        except LetterNotFound:
            return HTMLResponse('<span class="error">来信不存在</span>', status_code=404)
        except ActionRefused as exc:
            return HTMLResponse(
                f'<span class="error">{html.escape(exc.message)}</span>', status_code=422
            )
        await session.commit()
    request.session.pop(SESSION_PENDING_DRAFT, None)
    return HTMLResponse('<span role="status">草稿已自动保存</span>')


async def _with_reply(request: Request, verb: str) -> Response:
    secret = app_context(request).settings.secret_key

    async def operation(session, staff, letter, actor, form) -> str:  # noqa: ANN001
        # The reply in hand; one sent before re-handling is never approved or sent again.
        reply = working_reply(await letter_replies(session, letter))
        if reply is None:
            raise ActionRefused("还没有答复草稿")
        if verb == "approve":
            await approve_reply(session, staff, letter, actor, reply)
            return "答复已审核通过"
        if verb == "return":
            comment = str(form.get("comment") or "")
            await return_reply(session, staff, letter, actor, reply, comment)
            return "答复已退回修改"
        await send_reply(session, staff, letter, actor, reply, secret)
        return "答复已发送"

    if verb == "send":
        # A published letter handled again says at once that it was answered
        # (the reply itself waits for 公示).
        return await _run_public_operation(request, operation, only_if_published=True)
    async with request.form() as form:
        return await run_letter_operation(request, operation, form)


async def reply_approve(request: Request) -> Response:
    return await _with_reply(request, "approve")


async def reply_return(request: Request) -> Response:
    return await _with_reply(request, "return")


async def reply_send(request: Request) -> Response:
    return await _with_reply(request, "send")


async def letter_publish(request: Request) -> Response:
    secret = app_context(request).settings.secret_key

    async def operation(session, staff, letter, actor, form) -> str:  # noqa: ANN001
        publish = str(form.get("publish", "")) == "1"
        again = letter.is_published  # 公示 on a public letter: its held new reply
        signature = await set_publication(session, staff, letter, actor, publish, secret)
        if not publish:
            return "已撤下公示"
        if again:
            return "新的答复已公示" if signature is not None else "已公示，没有待公示的答复"
        return "已公示"

    return await _run_public_operation(request, operation)


async def _run_public_operation(
    request: Request, operation: Operation, *, only_if_published: bool = False
) -> Response:
    """``run_letter_operation`` for a change the public site shows: once it is
    committed, every worker drops its cached public pages (a letter taken
    down must not stay up on some worker for another 20 s). With
    ``only_if_published``, only when the letter is on the public site."""
    changed: list[int] = []

    async def recording(session, staff, letter, actor, form) -> str:  # noqa: ANN001
        message = await operation(session, staff, letter, actor, form)
        if letter.is_published or not only_if_published:
            changed.append(letter.tenant_id)
        return message

    async with request.form() as form:
        response = await run_letter_operation(request, recording, form)
    for tenant_id in changed:
        await announce_public_change(app_context(request).redis, tenant_id)
    return response


async def canned_reply_list(request: Request) -> Response:
    staff = await require_staff(request, Action.MANAGE_CANNED_REPLIES)
    context = app_context(request)
    async with tenant_session(context.database, staff.tenant) as session:
        if request.method == "POST":
            async with request.form() as form:
                try:
                    await add_canned_reply(
                        session,
                        staff,
                        staff_actor(staff, client_ip(request)),
                        str(form.get("title", "")),
                        str(form.get("body", "")),
                    )
                    await session.commit()
                    flash(request, "常用语已添加")
                except ActionRefused as exc:
                    flash(request, exc.message, error=True)
            return RedirectResponse(console_url(request, "/canned-replies"), status_code=303)
        items = await canned_replies(session, staff.tenant.id)
    return renderer_for(context).render(request, "replies/canned.html", {"items": items})


routes = [
    Route("/letters/{letter_id:int}/reply", reply_save, methods=["POST"]),
    Route("/letters/{letter_id:int}/reply/autosave", reply_autosave, methods=["POST"]),
    Route(
        "/letters/{letter_id:int}/reply/attachments/{attachment_id:int}/public",
        attachment_public,
        methods=["POST"],
    ),
    Route("/letters/{letter_id:int}/reply/approve", reply_approve, methods=["POST"]),
    Route("/letters/{letter_id:int}/reply/return", reply_return, methods=["POST"]),
    Route("/letters/{letter_id:int}/reply/send", reply_send, methods=["POST"]),
    Route("/letters/{letter_id:int}/publish", letter_publish, methods=["POST"]),
    Route("/canned-replies", canned_reply_list, methods=["GET", "POST"]),
]
