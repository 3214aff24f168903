"""The inbox: filters, deadline order, counts per state, bulk and inline actions.

    GET  /console/inbox?state=open&type=complaint&q=噪音&level=overdue
    GET  /console/inbox?state=awaiting_approval  (待审批; reply_returned: 退回修改)
    POST /console/inbox/assign                 (bulk 分办 of the ticked letters, one 办理时限)
    POST /console/inbox/letters/{id}/{verb}    (inline 登记 / 受理)

The filter form works as a plain GET form; with htmx it swaps only the rows
(``letter_rows``). Row actions post a form; htmx swaps the one row back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.flash import console_url, flash
from leadermail.console.inbox_query import InboxFilters, inbox_letters_by_id, inbox_page
from leadermail.console.inbox_review import review_tabs
from leadermail.console.inbox_rows import inbox_rows
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.policy import Action, StaffUser
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.assignments import AssignmentDeadlineError, parse_due_day
from leadermail.platform.deadlines.calendar import local_day
from leadermail.platform.deadlines.levels import WARNING_LEVEL_LABELS
from leadermail.platform.letters.access import LetterNotFound, access_letter_by_id, staff_actor
from leadermail.platform.letters.assignment_deadlines import bulk_deadline_problem
from leadermail.platform.letters.models import LETTER_TYPE_LABELS, Category, Letter, Unit
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
    async with tenant_session(app_context(request).database, staff.tenant) as session:
        return await _inbox_page(request, session, staff, filters)


async def _inbox_page(
    request: Request,
    session: AsyncSession,
    staff: StaffUser,
    filters: InboxFilters,
    bulk: BulkForm | None = None,
) -> Response:
    """The inbox under ``filters``; with ``bulk``, the 批量分办 form refused,
    coming back with what was chosen, ticks and messages (the whole page)."""
    now = utcnow()
    page = await inbox_page(session, staff, filters, now=now)
    names = await lookups(session, staff.tenant.id)
    bulk = bulk or BulkForm()
    shown = {row.letter.id for row in page.rows}
    ctx = {
        "page": page,
        "filters": filters,
        "review_tabs": review_tabs(staff),
        "bulk": bulk,
        # Ticked letters the page no longer lists stay ticked in the form.
        "ticked_elsewhere": [bulk.ticked[i] for i in bulk.ticked if i not in shown],
        "today": local_day(now).isoformat(),
        **names,
        **_labels(),
    }
    return renderer_for(app_context(request)).render(
        request, "inbox/list.html", ctx,
        fragment=None if bulk.errors else "letter_rows",
        status_code=422 if bulk.errors else 200,
    )


def _inbox_redirect(request: Request, referer_query: str = "") -> Response:
    return RedirectResponse(console_url(request, "/inbox") + referer_query, status_code=303)


@dataclass
class BulkForm:
    """What the 批量分办 form sent, for showing it again when refused."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    #: The ticked letters the reader's inbox lists, by id, in the order ticked.
    ticked: dict[int, Letter] = field(default_factory=dict)


async def bulk_assign(request: Request) -> Response:
    """批量分办: the ticked letters to one unit, with one 办理时限 (or each
    letter's reply deadline when left empty). A wrong choice comes back as
    the inbox with the messages next to the fields and every tick kept;
    otherwise each letter is assigned on its own and refusals are listed."""
    staff = await require_staff(request, Action.ASSIGN)
    async with request.form() as form:
        letter_ids = list(
            dict.fromkeys(int(v) for v in form.getlist("letter_id") if str(v).isdigit())
        )[:MAX_BULK]
        values = {name: str(form.get(name, "")).strip() for name in ("unit_id", "due_on")}
        back = str(form.get("back", ""))
    errors: dict[str, str] = {}
    due_on = None
    try:
        due_on = parse_due_day(values["due_on"])
    except AssignmentDeadlineError as exc:
        errors["due_on"] = exc.message
    async with tenant_session(app_context(request).database, staff.tenant) as session:
        found = await inbox_letters_by_id(session, staff, letter_ids)
        ticked = {i: found[i] for i in letter_ids if i in found}
        units = (await lookups(session, staff.tenant.id))["units"]
        if not ticked:
            errors["letter_id"] = "请勾选要分办的来信"
        if not values["unit_id"].isdigit():
            errors["unit_id"] = "请选择承办单位"
        elif int(values["unit_id"]) not in units:
            errors["unit_id"] = "请选择有效的承办单位"
        if due_on is not None:
            problem = bulk_deadline_problem(ticked.values(), due_on, now=utcnow())
            if problem is not None:
                errors["due_on"] = problem
        if errors:
            query = dict(parse_qsl(back.removeprefix("?")))
            filters = InboxFilters.from_query(query).for_staff(staff)
            bulk = BulkForm(values=values, errors=errors, ticked=ticked)
            return await _inbox_page(request, session, staff, filters, bulk)
    unit_id = int(values["unit_id"])
    done, refused = await _assign_many(request, staff, list(ticked), unit_id, due_on)
    if done:
        deadline = f"办理时限 {due_on.isoformat()}" if due_on else "办理时限为各件的答复期限"
        flash(request, f"已分办 {done} 件给{units[unit_id]}，{deadline}")
    for message in refused:
        flash(request, message, error=True)
    return _after_post(request, back)


async def _assign_many(
    request: Request, staff: StaffUser, letter_ids: list[int], unit_id: int, due_on: date | None
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
                await assign_letter(session, staff, letter, actor, unit_id, due_on=due_on)
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
