"""Reply editor, approval, sending, publication, canned replies.

    POST /console/letters/{id}/reply            save the draft (form post)
    POST /console/letters/{id}/reply/autosave   htmx, every few seconds while typing
    POST /console/letters/{id}/reply/approve    leader
    POST /console/letters/{id}/reply/send       signs and sends (已答复)
    POST /console/letters/{id}/publish          公示 on/off (only with consent)
    GET/POST /console/canned-replies            常用语

An expired session never loses a draft: the posted text is kept in the
session cookie through the sign-in and put back into the editor.
"""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.auth import (
    SESSION_PENDING_DRAFT,
    SignInRequired,
    current_staff,
    require_staff,
)
from leadermail.console.flash import console_url, flash
from leadermail.console.rendering import renderer_for
from leadermail.console.routes.letters import run_letter_operation
from leadermail.platform.accounts.policy import Action
from leadermail.platform.letters.access import LetterNotFound, access_letter_by_id, staff_actor
from leadermail.platform.letters.staff_actions import ActionRefused
from leadermail.platform.replies.sanitize import MAX_REPLY_CHARS
from leadermail.platform.replies.services import (
    add_canned_reply,
    approve_reply,
    canned_replies,
    current_reply,
    save_draft,
    send_reply,
    set_publication,
)
from leadermail.platform.web.requests import app_context, client_ip
from leadermail.tenants.session import tenant_session

#: What fits in the signed session cookie next to everything else.
MAX_RESCUED_CHARS = 3000


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


async def reply_save(request: Request) -> Response:
    async with request.form() as form:
        body = str(form.get("body", ""))[: MAX_REPLY_CHARS * 2]
        await _staff_or_rescue(request, body)

        async def operation(session, staff, letter, actor, form) -> str:  # noqa: ANN001
            await save_draft(session, staff, letter, actor, body)
            request.session.pop(SESSION_PENDING_DRAFT, None)
            return "答复草稿已保存"

        return await run_letter_operation(request, operation, form)


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
        reply = await current_reply(session, letter)
        if reply is None:
            raise ActionRefused("还没有答复草稿")
        if verb == "approve":
            await approve_reply(session, staff, letter, actor, reply)
            return "答复已审核通过"
        await send_reply(session, staff, letter, actor, reply, secret)
        return "答复已发送"

    async with request.form() as form:
        return await run_letter_operation(request, operation, form)


async def reply_approve(request: Request) -> Response:
    return await _with_reply(request, "approve")


async def reply_send(request: Request) -> Response:
    return await _with_reply(request, "send")


async def letter_publish(request: Request) -> Response:
    secret = app_context(request).settings.secret_key

    async def operation(session, staff, letter, actor, form) -> str:  # noqa: ANN001
        publish = str(form.get("publish", "")) == "1"
        await set_publication(session, staff, letter, actor, publish, secret)
        return "已公示" if publish else "已撤下公示"

    async with request.form() as form:
        return await run_letter_operation(request, operation, form)


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
    Route("/letters/{letter_id:int}/reply/approve", reply_approve, methods=["POST"]),
    Route("/letters/{letter_id:int}/reply/send", reply_send, methods=["POST"]),
    Route("/letters/{letter_id:int}/publish", letter_publish, methods=["POST"]),
    Route("/canned-replies", canned_reply_list, methods=["GET", "POST"]),
]
