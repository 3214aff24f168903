"""公示文本: the page where staff review and correct what the public site shows.

    GET  /console/letters/{id}/publication   title, letter and every sent reply as
                                             they are (or will be) published, editable
    POST /console/letters/{id}/publication   op=save: keep the corrections
                                             op=publish: keep them, then 公示 (on a
                                             published letter: its held new reply)
                                             op=reset: back to the automatic redaction

The editor is plain text, like the reply editor: no markup is ever taken
from it. A refused save (empty, too long, a phone number or ID typed back
in…) comes back as this page with every message next to its field and
everything typed still in the fields (422). Once saved on a published
letter, every worker drops its cached public pages (``announce_public_change``)
and the public page and search show the new text at once. A reply sent after
the letter was published waits here (待公示) until 保存并公示新的答复.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.auth import letter_or_404, require_staff
from leadermail.console.flash import console_url, flash
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.policy import Action, StaffUser, can
from leadermail.platform.letters.access import staff_actor
from leadermail.platform.letters.models import Letter, Reply
from leadermail.platform.letters.public_changes import announce_public_change
from leadermail.platform.letters.public_text import held_replies
from leadermail.platform.letters.staff_actions import ActionRefused
from leadermail.platform.replies.public_version import (
    MAX_PUBLIC_BODY_CHARS,
    MAX_PUBLIC_TITLE_CHARS,
    PublicTextForm,
    PublicTextRefused,
    public_version,
    reset_public_text,
    save_public_text,
)
from leadermail.platform.replies.sanitize import MAX_REPLY_CHARS
from leadermail.platform.replies.services import letter_replies, sent_replies, set_publication
from leadermail.platform.web.requests import app_context, client_ip
from leadermail.tenants.session import tenant_session

OPERATIONS = ("save", "publish", "reset")


def _page(
    request: Request,
    staff: StaffUser,
    letter: Letter,
    sent: list[Reply],
    *,
    typed: FormData | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    ctx: dict[str, Any] = {
        "letter": letter,
        "version": public_version(letter, sent) if letter.publish_consent else None,
        "sent": sent,
        "may_publish": can(staff, Action.PUBLISH, letter),
        "typed": typed,
        "errors": errors or {},
        "max_title": MAX_PUBLIC_TITLE_CHARS,
        "max_body": MAX_PUBLIC_BODY_CHARS,
        "max_reply": MAX_REPLY_CHARS,
    }
    if errors:
        ctx["flashes"] = [{"message": "公示文本未保存，请按提示修改", "error": True}]
    return renderer_for(app_context(request)).render(
        request, "replies/publication.html", ctx, status_code=status_code
    )


async def publication_page(request: Request) -> Response:
    staff = await require_staff(request, Action.PUBLISH)
    async with tenant_session(app_context(request).database, staff.tenant) as session:
        letter = await letter_or_404(request, session, staff)
        sent = sent_replies(await letter_replies(session, letter))
        response = _page(request, staff, letter, sent)
        await session.commit()  # the audit record of reading a 举报
    return response


async def publication_save(request: Request) -> Response:
    staff = await require_staff(request, Action.PUBLISH)
    context = app_context(request)
    async with request.form() as form:
        op = str(form.get("op") or "save")
        if op not in OPERATIONS:
            op = "save"
        async with tenant_session(context.database, staff.tenant) as session:
            letter = await letter_or_404(request, session, staff, for_update=True)
            sent = sent_replies(await letter_replies(session, letter))
            actor = staff_actor(staff, client_ip(request))
            secret = context.settings.secret_key
            try:
                if op == "reset":
                    changed = await reset_public_text(session, staff, letter, actor, secret)
                else:
                    typed = PublicTextForm.from_form(form, [r.id for r in sent])
                    changed = await save_public_text(session, staff, letter, actor, typed, secret)
                # 公示 once, and again for a reply held since (sent after it).
                was_published = letter.is_published
                published_now = op == "publish" and (
                    not was_published or bool(held_replies(letter.extra))
                )
                if published_now:
                    await set_publication(session, staff, letter, actor, True, secret)
            except (PublicTextRefused, ActionRefused) as refused:
                # Nothing is kept; the page comes back with what was typed.
                await session.rollback()
                await session.refresh(letter)
                sent = sent_replies(await letter_replies(session, letter))
                errors = (
                    refused.errors
                    if isinstance(refused, PublicTextRefused)
                    else {"form": refused.message}
                )
                response = _page(
                    request, staff, letter, sent, typed=form, errors=errors, status_code=422
                )
                await session.commit()
                return response
            public = letter.is_published
            still_held = bool(held_replies(letter.extra))
            tenant_id, letter_id = letter.tenant_id, letter.id
            await session.commit()
    if public and (changed or published_now):
        await announce_public_change(context.redis, tenant_id)
    flash(
        request,
        _message(op, changed, published_now, public, again=was_published, held=still_held),
    )
    return RedirectResponse(console_url(request, f"/letters/{letter_id}/publication"), 303)


def _message(
    op: str,
    changed: list[str],
    published_now: bool,
    public: bool,
    *,
    again: bool = False,
    held: bool = False,
) -> str:
    if published_now and again:
        saved = f"公示文本已保存（{'、'.join(changed)}），" if changed else ""
        return f"{saved}新的答复已公示"
    if published_now:
        return f"公示文本已保存（{'、'.join(changed)}）并已公示" if changed else "已公示"
    if not changed:
        return "公示文本已是自动隐去个人信息的文本" if op == "reset" else "公示文本没有变化"
    what = "已恢复为自动隐去个人信息的文本" if op == "reset" else "已保存"
    if public and held:
        where = "；新的答复尚未公示，审核无误后请点“保存并公示新的答复”"
    else:
        where = "，公开页面已更新" if public else "，公示时将使用此文本"
    return f"公示文本{what}（{'、'.join(changed)}）{where}"


routes = [
    Route("/letters/{letter_id:int}/publication", publication_page, methods=["GET"]),
    Route("/letters/{letter_id:int}/publication", publication_save, methods=["POST"]),
]
