"""The citizen's side of forwarding and appeals, next to issue 3's tracking page.

    GET  /track/{code}/path     where the letter went, the final reply, appeals
                                (the tracking page pulls it in with htmx; a plain page otherwise)
    GET  /track/{code}/appeal   复查 / 复核 request form
    POST /track/{code}/appeal   file it

All of them need the browser session to have proved the query password on
the tracking page (``citizen_access.grant``), on the site where the citizen wrote.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadermail.platform.appeals.services import (
    AppealError,
    appeals_for,
    next_appeal_step,
    request_appeal,
)
from leadermail.platform.forwarding.tracking import final_reply_for, forwarding_path
from leadermail.platform.letters.citizen_access import letter_by_granted_code
from leadermail.platform.letters.models import Letter
from leadermail.platform.web.requests import client_ip
from leadermail.public_site.views import redirect, render, site
from leadermail.tenants.session import tenant_session


async def _letter(request: Request) -> Letter | None:
    context, tenant = site(request)
    async with tenant_session(context.database, tenant) as session:
        return await letter_by_granted_code(
            session, request.session, tenant, request.path_params["code"]
        )


async def _path_context(request: Request, letter: Letter) -> dict[str, object]:
    context, tenant = site(request)
    return {
        "letter": letter,
        "raw_code": letter.tracking_code,
        "legs": await forwarding_path(context, tenant, letter),
        "final_reply": await final_reply_for(context, tenant, letter),
        "appeals": await appeals_for(context, letter.tracking_code),
        "step": await next_appeal_step(context, tenant, letter),
    }


async def path_page(request: Request) -> Response:
    letter = await _letter(request)
    if letter is None:
        return redirect(request, "/track")
    ctx = await _path_context(request, letter)
    return render(request, "appeals/path.html", ctx, fragment="forwarding_path", no_store=True)


async def appeal_form(request: Request) -> Response:
    letter = await _letter(request)
    if letter is None:
        return redirect(request, "/track")
    ctx = {**await _path_context(request, letter), "error": None, "reason": ""}
    return render(request, "appeals/form.html", ctx, no_store=True)


async def appeal_submit(request: Request) -> Response:
    context, tenant = site(request)
    key = f"{client_ip(request)}:{request.path_params['code']}"
    if not await context.rate_limiter.hit("appeal", key, "10/hour"):
        return render(
            request, "appeals/form.html", {"error": "提交过于频繁，请稍后再试"}, status_code=429
        )
    letter = await _letter(request)
    if letter is None:
        return redirect(request, "/track")
    reason = str((await request.form()).get("reason", ""))
    try:
        await request_appeal(context, tenant=tenant, letter=letter, reason=reason)
    except AppealError as exc:
        ctx = {**await _path_context(request, letter), "error": exc.message, "reason": reason}
        return render(request, "appeals/form.html", ctx, status_code=422, no_store=True)
    return redirect(request, f"/track/{letter.tracking_code}")


routes = [
    Route("/track/{code}/path", path_page, methods=["GET"]),
    Route("/track/{code}/appeal", appeal_form, methods=["GET"]),
    Route("/track/{code}/appeal", appeal_submit, methods=["POST"]),
]
