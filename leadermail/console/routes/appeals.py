"""复查/复核 applications received, in the console.

    GET  /console/appeals/{id}          an appeal received
    POST /console/appeals/{id}/answer   the written opinion

An appeal exists only for the tenant it was sent to: anything else is the
same 404 as a missing one. The list is on the 转办 page (``forwarding``).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.flash import flash
from leadermail.console.forwarding_pages import back_to, staff_actor, tenant_names
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.policy import Action, StaffUser
from leadermail.platform.appeals.models import Appeal
from leadermail.platform.appeals.services import AppealError, AppealNotFound, answer_appeal
from leadermail.platform.web.requests import app_context


async def _appeal(request: Request, staff: StaffUser) -> Appeal:
    async with app_context(request).database.core_session() as session:
        appeal = await session.get(Appeal, int(request.path_params["appeal_id"]))
    if appeal is None or appeal.to_tenant_id != staff.tenant.id:
        raise HTTPException(404)
    return appeal


async def appeal_detail(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_INBOX)
    appeal = await _appeal(request, staff)
    ctx = {"appeal": appeal, "names": await tenant_names(request)}
    return renderer_for(app_context(request)).render(request, "forwarding/appeal.html", ctx)


async def appeal_answer(request: Request) -> Response:
    staff = await require_staff(request, Action.SEND_REPLY)
    appeal = await _appeal(request, staff)
    form = await request.form()
    try:
        await answer_appeal(
            app_context(request),
            tenant=staff.tenant,
            appeal_id=appeal.id,
            actor=staff_actor(request, staff),
            outcome=str(form.get("outcome", "")),
            opinion=str(form.get("opinion", "")),
        )
        flash(request, "已出具意见")
    except AppealNotFound:
        raise HTTPException(404) from None
    except AppealError as exc:
        flash(request, exc.message, error=True)
    return back_to(request, f"/appeals/{appeal.id}")


routes = [
    Route("/appeals/{appeal_id:int}", appeal_detail, methods=["GET"]),
    Route("/appeals/{appeal_id:int}/answer", appeal_answer, methods=["POST"]),
]
