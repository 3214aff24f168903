"""The inbox: filters, deadline order, counts per state, bulk and inline actions.

    GET  /console/inbox?state=open&type=complaint&q=噪音&level=overdue
    GET  /console/inbox?state=awaiting_approval  (待审批; reply_returned: 退回修改)
    POST /console/inbox/assign                 (bulk 分办 of the ticked letters)
    POST /console/inbox/letters/{id}/{verb}    (inline 登记 / 受理)

The filter form works as a plain GET form; with htmx it swaps only the rows
(``letter_rows``). Row actions post a form; htmx swaps the one row back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.flash import console_url, flash
from leadermail.console.inbox_query import InboxFilters, inbox_page, inbox_rows
from leadermail.console.inbox_review import review_tabs
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.policy import Action, StaffUser
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.levels import WARNING_LEVEL_LABELS
from leadermail.platform.letters.access import LetterNotFound, access_letter_by_id, staff_actor
from leadermail.platform.letters.models import LETTER_TYPE_LABELS, Category, Unit
from leadermail.platform.letters.staff_actions import SIMPLE_VERBS, ActionRefused, assign_letter
from leadermail.platform.letters.workflow import STATE_LABELS, IllegalTransition
from leadermail.platform.web.requests import app_context, client_ip
from leadermail.tenants.session import tenant_session

INLINE_VERBS = ("register", "accept")
MAX_BULK = 200


async def lookups(session: AsyncSession, tenant_id: int) -> dict[str, Any]:
    categories = (
        await session.execute(
            select(Category.id, Category.name)
            .where(Category.tenant_id == tenant_id, Category.is_active.is_(True))
            .order_by(Category.position, Category.id)
        )
    ).all()
    units = (
        await session.execute(
            select(Unit.id, Unit.name)
            .where(Unit.tenant_id == tenant_id, Unit.is_active.is_(True))
            .order_by(Unit.id)
        )
    ).all()
    return {"categories": dict(categories), "units": dict(units)}


def _labels() -> dict[str, Any]:
    return {
        "state_labels": STATE_LABELS,
        "type_labels": LETTER_TYPE_LABELS,
        "level_labels": WARNING_LEVEL_LABELS,
        "inline_verbs": INLINE_VERBS,
    }


async def inbox(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_INBOX)
    filters = InboxFilters.from_query(request.query_params).for_staff(staff)
    context = app_context(request)
    async with tenant_session(context.database, staff.tenant) as session:
        page = await inbox_page(session, staff, filters, now=utcnow())
        names = await lookups(session, staff.tenant.id)
    ctx = {
        "page": page, "filters": filters, "review_tabs": review_tabs(staff), **names, **_labels()
    }
    return renderer_for(context).render(request, "inbox/list.html", ctx, fragment="letter_rows")


def _inbox_redirect(request: Request, referer_query: str = "") -> Response:
    return RedirectResponse(console_url(request, "/inbox") + referer_query, status_code=303)


async def bulk_assign(request: Request) -> Response:
    staff = await require_staff(request, Action.ASSIGN)
    async with request.form() as form:
        letter_ids = [int(v) for v in form.getlist("letter_id") if str(v).isdigit()][:MAX_BULK]
        unit_text = str(form.get("unit_id", ""))
        back = str(form.get("back", ""))
    if not unit_text.isdigit() or not letter_ids:
        flash(request, "请勾选来信并选择承办单位", error=True)
        return _after_post(request, back)
    done, refused = await _assign_many(request, staff, letter_ids, int(unit_text))
    if done:
        flash(request, f"已分办 {done} 件")
    for message in refused:
        flash(request, message, error=True)
    return _after_post(request, back)


async def _assign_many(
    request: Request, staff: StaffUser, letter_ids: list[int], unit_id: int
) -> tuple[int, list[str]]:
    context = app_context(request)
    actor = staff_actor(staff, client_ip(request))
    done, refused = 0, []
    for letter_id in letter_ids:
        # One transaction per letter: one refusal does not undo the others,
        # and a refused 举报's audit record and alert still commit.
        async with tenant_session(context.database, staff.tenant) as session:
            try:
                letter = await access_letter_by_id(session, staff, letter_id, for_update=True)
                await assign_letter(session, staff, letter, actor, unit_id)
                done += 1
            except LetterNotFound:
                refused.append(f"来信 {letter_id} 不存在")
            except (ActionRefused, IllegalTransition) as exc:
                refused.append(f"{letter.tracking_code}：{exc.message}")
            await session.commit()
    return done, refused


def _after_post(request: Request, back: str) -> Response:
    query = back if back.startswith("?") else ""
    if request.headers.get("hx-request") == "true":
        # htmx: reload the rows where they are, without a page load.
        return Response(
            status_code=204, headers={"HX-Location": console_url(request, "/inbox") + query}
        )
    return _inbox_redirect(request, query)


async def inline_action(request: Request) -> Response:
    verb = request.path_params["verb"]
    if verb not in INLINE_VERBS:
        raise HTTPException(404)
    function, action, _ = SIMPLE_VERBS[verb]
    staff = await require_staff(request, action)
    context = app_context(request)
    letter_id = request.path_params["letter_id"]
    error = None
    async with tenant_session(context.database, staff.tenant) as session:
        try:
            letter = await access_letter_by_id(session, staff, letter_id, for_update=True)
        except LetterNotFound as exc:
            raise HTTPException(404) from exc
        try:
            await function(session, staff, letter, staff_actor(staff, client_ip(request)))
        except (ActionRefused, IllegalTransition) as exc:
            error = exc.message
        await session.commit()
        names = await lookups(session, staff.tenant.id)
        [row] = await inbox_rows(session, staff, [letter], utcnow())
    if request.headers.get("hx-request") != "true":
        flash(
            request,
            error or f"{letter.tracking_code} 已{'登记' if verb == 'register' else '受理'}",
            error=error is not None,
        )
        return _inbox_redirect(request)
    ctx = {"row": row, "row_error": error, **names, **_labels()}
    return renderer_for(context).render(request, "inbox/row.html", ctx)


routes = [
    Route("/inbox", inbox),
    Route("/inbox/assign", bulk_assign, methods=["POST"]),
    Route("/inbox/letters/{letter_id:int}/{verb:str}", inline_action, methods=["POST"]),
]
