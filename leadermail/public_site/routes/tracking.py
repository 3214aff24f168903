"""查询: tracking code + password, then the letter, its timeline, reply,
material requested by staff, and the evaluation.

After the right password the browser session is granted the code
(``citizen_access.grant``), so the letter page, the evaluation and the
material form are plain GET/POST routes that work without JavaScript; with
htmx the evaluation swaps only its own block (``#evaluation``).
"""

from __future__ import annotations

from typing import Any

import nh3
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadermail.platform.audit.writer import Actor
from leadermail.platform.letters.citizen_access import (
    TrackingRefused,
    access_letter_by_code,
    grant,
    letter_by_granted_code,
)
from leadermail.platform.letters.citizen_actions import (
    CitizenActionError,
    add_material,
    citizen_attachment,
    citizen_view,
    clean_evaluation,
    evaluate_letter,
)
from leadermail.platform.letters.citizen_timeline import citizen_timeline
from leadermail.platform.letters.models import (
    CHANNEL_LABELS,
    LETTER_TYPE_LABELS,
    SATISFACTION_LABELS,
    Attachment,
)
from leadermail.platform.letters.public_changes import announce_public_change
from leadermail.platform.letters.staging import Staging, valid_submission_key
from leadermail.platform.letters.tracking import format_tracking_code
from leadermail.platform.letters.workflow import STATE_LABELS
from leadermail.platform.replies.attachments import sent_reply_attachment, sent_reply_attachments
from leadermail.platform.uploads import (
    MAX_ATTACHMENTS,
    UploadRejected,
    check_upload,
)
from leadermail.platform.web.requests import client_ip
from leadermail.public_site.views import (
    attachment_file,
    body_too_large,
    not_found,
    redirect,
    render,
    site,
)
from leadermail.tenants.session import tenant_session

#: Material just received, told once at the form's place on the next page.
MATERIAL_RECEIVED_KEY = "material_received"


def _actor(request: Request) -> Actor:
    return Actor(user_id=None, label="来信人", ip_address=client_ip(request))


async def track_form(request: Request) -> Response:
    site(request)
    # The receipt's 去查询 link brings the tracking code (never the password).
    code = str(request.query_params.get("code") or "").strip()[:20]
    return render(request, "letters/track.html", {"code": code, "error": None}, no_store=True)


async def track_submit(request: Request) -> Response:
    context, tenant = site(request)
    form = await request.form()
    code = str(form.get("code") or "").strip()[:40]
    password = str(form.get("password") or "")[:64]
    try:
        letter = await access_letter_by_code(
            context, tenant, code, password, ip_address=client_ip(request)
        )
    except TrackingRefused as refused:
        return render(
            request,
            "letters/track.html",
            {"code": code, "error": refused.message},
            status_code=403,
            no_store=True,
        )
    grant(request.session, tenant, letter.tracking_code)
    return redirect(request, f"/track/{letter.tracking_code}")


async def _letter_page(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    fragment: str | tuple[str, ...] | None = None,
    status_code: int = 200,
    material_received: dict[str, Any] | None = None,
) -> Response:
    """The tracked letter's page, or its block(s) ``fragment`` for htmx."""
    context, tenant = site(request)
    code = request.path_params["code"]
    async with tenant_session(context.database, tenant) as session:
        letter = await letter_by_granted_code(session, request.session, tenant, code)
        if letter is None:
            return redirect(request, "/track")
        view = await citizen_view(session, letter)
        reply_files: dict[int, list[Attachment]] = {}
        for attachment in await sent_reply_attachments(session, letter):
            reply_files.setdefault(attachment.reply_id or 0, []).append(attachment)
    ctx = {
        "reply_files": reply_files,
        "view": view,
        "timeline": citizen_timeline(view.events),
        "material_received": material_received,
        # Replies are sanitised when staff save them; clean again on the way out.
        "replies": [(reply, nh3.clean(reply.body_html)) for reply in view.replies],
        "letter": view.letter,
        "code": format_tracking_code(letter.tracking_code),
        "raw_code": letter.tracking_code,
        "state_label": STATE_LABELS.get(letter.state, letter.state),
        "type_label": LETTER_TYPE_LABELS.get(letter.letter_type, letter.letter_type),
        "channel_label": CHANNEL_LABELS.get(letter.channel, letter.channel),
        "satisfaction_labels": SATISFACTION_LABELS,
        "errors": errors or {},
        "values": values or {},
        "submission_key": (values or {}).get("submission_key") or _new_key(),
        "max_attachments": MAX_ATTACHMENTS,
        "oob": fragment == _EVALUATION_UPDATE,
    }
    return render(
        request,
        "letters/tracked.html",
        ctx,
        fragment=fragment,
        status_code=status_code,
        no_store=True,
    )


def _new_key() -> str:
    import secrets

    return secrets.token_urlsafe(24)


# After an evaluation by htmx: the evaluation block, and out of band the
# status (评价 and 重新办理 change the state and the reply deadline) and the
# timeline, so nothing on the page is left stale.
_EVALUATION_UPDATE = ("evaluation", "letter_status", "timeline")


async def letter_page(request: Request) -> Response:
    received = request.session.get(MATERIAL_RECEIVED_KEY)
    if received and received.get("code") == request.path_params["code"]:
        request.session.pop(MATERIAL_RECEIVED_KEY)
    else:
        received = None
    return await _letter_page(request, material_received=received)


async def evaluate(request: Request) -> Response:
    context, tenant = site(request)
    form = await request.form()
    values, errors = clean_evaluation({k: str(v) for k, v in form.items()})
    if not errors:
        async with tenant_session(context.database, tenant) as session:
            letter = await letter_by_granted_code(
                session, request.session, tenant, request.path_params["code"], for_update=True
            )
            if letter is None:
                return redirect(request, "/track")
            # 重新办理 of a published letter changes its public page (the notice).
            announce = letter.is_published and bool(values.get("wants_rehandling"))
            try:
                await evaluate_letter(session, tenant, letter, _actor(request), **values)  # type: ignore[arg-type]
                await session.commit()
            except CitizenActionError as failed:
                errors = failed.errors
            else:
                if announce:
                    await announce_public_change(context.redis, tenant.id)
    if errors:
        return await _letter_page(
            request, errors=errors, values=dict(form), fragment="evaluation", status_code=422
        )
    if request.headers.get("hx-request") == "true":
        return await _letter_page(request, fragment=_EVALUATION_UPDATE)
    return redirect(request, f"/track/{request.path_params['code']}#evaluation")


async def material(request: Request) -> Response:
    context, tenant = site(request)
    if body_too_large(request):
        return await _letter_page(
            request,
            errors={"material_files": "提交的内容过大：附件总计不能超过 50 MB"},
            status_code=413,
        )
    async with request.form(max_files=MAX_ATTACHMENTS + 2, max_fields=20) as form:
        text = str(form.get("material_text") or "")
        key = str(form.get("submission_key") or "")
        if not valid_submission_key(key):
            key = _new_key()
        staging = Staging(context.settings.upload_dir, tenant.id, "m" + key[:63])
        problems: list[str] = []
        for item in form.getlist("material_files"):
            if not isinstance(item, UploadFile) or not item.filename:
                continue
            data = await item.read()
            try:
                check = check_upload(item.filename, data)
            except UploadRejected as rejected:
                problems.append(rejected.message)
                continue
            if not staging.add(check, data):
                problems.append(f"最多上传 {MAX_ATTACHMENTS} 个附件")
    values = {"material_text": text, "submission_key": key}
    if problems:
        return await _letter_page(
            request,
            errors={"material_files": "；".join(problems)},
            values=values,
            status_code=422,
        )
    async with tenant_session(context.database, tenant) as session:
        letter = await letter_by_granted_code(
            session, request.session, tenant, request.path_params["code"], for_update=True
        )
        if letter is None:
            return redirect(request, "/track")
        stored = staging.commit()
        try:
            await add_material(session, letter, _actor(request), text=text, attachments=stored)
            await session.commit()
        except CitizenActionError as failed:
            return await _letter_page(request, errors=failed.errors, values=values, status_code=422)
    staging.clear()
    # Back at the form's place, which now says what was received.
    request.session[MATERIAL_RECEIVED_KEY] = {
        "code": request.path_params["code"],
        "text": bool(text.strip()),
        "files": len(stored),
    }
    return redirect(request, f"/track/{request.path_params['code']}#material")


async def reply_attachment(request: Request) -> Response:
    """A file staff attached to a sent reply: only for the browser that proved
    the letter's password (the same grant as the letter page)."""
    context, tenant = site(request)
    async with tenant_session(context.database, tenant) as session:
        letter = await letter_by_granted_code(
            session, request.session, tenant, request.path_params["code"]
        )
        if letter is None:
            return redirect(request, "/track")
        attachment = await sent_reply_attachment(
            session, letter, request.path_params["attachment_id"]
        )
    return attachment_file(request, attachment, cache_control="private, no-store")


async def own_attachment(request: Request) -> Response:
    """A file the writer sent (with the letter or as material), for the
    browser that proved the password; anyone else gets the not-found page,
    whether the file exists or not."""
    context, tenant = site(request)
    async with tenant_session(context.database, tenant) as session:
        letter = await letter_by_granted_code(
            session, request.session, tenant, request.path_params["code"]
        )
        if letter is None:
            return not_found(request)
        attachment = await citizen_attachment(session, letter, request.path_params["attachment_id"])
    return attachment_file(request, attachment, cache_control="private, no-store")


async def forget(request: Request) -> Response:
    """退出查询: this browser forgets the letters it opened."""
    site(request)
    request.session.pop("tracked_letters", None)
    return redirect(request, "/track")


routes = [
    Route("/track", track_form, methods=["GET"], name="track"),
    Route("/track", track_submit, methods=["POST"]),
    Route("/track/forget", forget, methods=["POST"]),
    Route("/track/{code}", letter_page, methods=["GET"]),
    Route("/track/{code}/evaluate", evaluate, methods=["POST"]),
    Route("/track/{code}/material", material, methods=["POST"]),
    Route("/track/{code}/attachments/{attachment_id:int}", reply_attachment, methods=["GET"]),
    Route("/track/{code}/files/{attachment_id:int}", own_attachment, methods=["GET"]),
]
