"""Suspected duplicate letters (疑似重复来信): list, link, merge, dismiss.

    GET  /console/duplicates?status=flagged
    POST /console/duplicates/{id}/link | /merge | /dismiss

Merging moves the newer letter through the workflow transition ``merge``; its
tracking page then says where the answer will come.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.flash import console_url, flash
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.policy import Action
from leadermail.platform.letters.access import staff_actor
from leadermail.platform.letters.duplicates import (
    STATUS_LABELS,
    DuplicateError,
    access_candidate,
    candidates_list,
    dismiss_candidate,
    link_letters,
    merge_letter,
)
from leadermail.platform.letters.workflow import STATE_LABELS, IllegalTransition
from leadermail.platform.web.requests import app_context, client_ip, current_tenant
from leadermail.tenants.session import tenant_session


async def duplicates_page(request: Request) -> Response:
    await require_staff(request, Action.MERGE)
    context = app_context(request)
    status = request.query_params.get("status", "flagged")
    if status not in STATUS_LABELS and status != "all":
        status = "flagged"
    async with tenant_session(context.database, current_tenant(request)) as session:
        rows = await candidates_list(session, status=None if status == "all" else status)
    return renderer_for(context).render(
        request, "duplicates/list.html",
        {"rows": rows, "status": status, "status_labels": STATUS_LABELS,
         "state_labels": STATE_LABELS},
    )


async def decide(request: Request) -> Response:
    staff = await require_staff(request, Action.MERGE)
    context = app_context(request)
    tenant = current_tenant(request)
    verb = request.path_params["verb"]
    actor = staff_actor(staff, client_ip(request))
    async with tenant_session(context.database, tenant) as session:
        try:
            candidate = await access_candidate(session, int(request.path_params["candidate_id"]))
            if verb == "link":
                await link_letters(session, candidate, actor)
            elif verb == "merge":
                await merge_letter(session, tenant, candidate, actor)
            elif verb == "dismiss":
                await dismiss_candidate(session, candidate, actor)
            else:
                raise HTTPException(404)
        except (DuplicateError, IllegalTransition) as exc:
            await session.rollback()
            flash(request, exc.message, error=True)
        else:
            await session.commit()
            flash(request, {"link": "已关联", "merge": "已合并", "dismiss": "已标记为非重复"}[verb])
    return RedirectResponse(console_url(request, "/duplicates"), status_code=303)


routes = [
    Route("/duplicates", duplicates_page, methods=["GET"]),
    Route("/duplicates/{candidate_id:int}/{verb:str}", decide, methods=["POST"]),
]
