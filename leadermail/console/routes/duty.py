"""The duty roster in the console (网上值班).

    GET  /console/duty                         who is on duty now and next, new letters, my handover
    POST /console/duty/shifts/{id}/handover    交接班记录
    GET  /console/duty/rota?from=&to=          the rota as editable text
    POST /console/duty/rota/plan               fill the text from teams (not saved)
    POST /console/duty/rota                    save (refused with each gap/overlap named)
    GET  /console/duty/log?from=&to=&q=        the searchable duty log; /duty/log.pdf prints it

Opening the duty page counts as opening the inbox (it lists the new letters),
so it records the visit the 2-hour check looks for. That GET writes one row
of access log, never anything a user would call a change.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.policy import Action, role_allows
from leadermail.platform.audit.writer import Actor
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.calendar import SHANGHAI, WorkCalendar
from leadermail.platform.deadlines.schedule import load_calendar
from leadermail.platform.documents.documents import DutyLogDocument, duty_log_pdf
from leadermail.platform.duty.models import DutyAlert, DutyShift
from leadermail.platform.duty.rota import (
    KIND_LABELS,
    ROTA_LABELS,
    RotaEntry,
    RotaError,
    RotaTeams,
    format_rota,
    parse_rota,
    plan_rota,
)
from leadermail.platform.duty.services import (
    HandoverError,
    duty_log,
    hand_over,
    new_letters,
    next_shift,
    note_inbox_opened,
    save_rota,
    shift_at,
    shifts_between,
)
from leadermail.platform.duty.staff import duty_staff
from leadermail.platform.web.requests import app_context, client_ip
from leadermail.tenants.session import tenant_session

LABELS = {"kind_labels": KIND_LABELS, "rota_labels": ROTA_LABELS}


def _actor(request: Request, staff: Any) -> Actor:
    return Actor(staff.user_id, staff.display_name, client_ip(request))


def _day(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _today() -> date:
    return utcnow().astimezone(SHANGHAI).date()


def _span(first: date, last: date) -> tuple[datetime, datetime]:
    start = datetime.combine(first, datetime.min.time(), tzinfo=SHANGHAI)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI)
    return start, end


async def duty_panel(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_INBOX)
    context = app_context(request)
    now = utcnow()
    async with tenant_session(context.database, staff.tenant) as session:
        current = await shift_at(session, now)
        following = await next_shift(session, now)
        on_duty = current is not None and current.user_id == staff.user_id
        if on_duty:
            await note_inbox_opened(session, staff, at=now)
        waiting = await new_letters(session)
        mine = (
            await session.execute(
                select(DutyShift)
                .where(
                    DutyShift.user_id == staff.user_id,
                    DutyShift.starts_at <= now,
                    DutyShift.handed_over_at.is_(None),
                )
                .order_by(DutyShift.starts_at.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        alerts = (
            (await session.execute(select(DutyAlert).order_by(DutyAlert.id.desc()).limit(10)))
            .scalars()
            .all()
        )
        await session.commit()
    return renderer_for(context).render(
        request,
        "duty/panel.html",
        {
            **LABELS,
            "current": current,
            "following": following,
            "on_duty": on_duty,
            "new_letters": waiting,
            "mine": mine,
            "alerts": alerts,
            "done": request.query_params.get("done"),
            "error": None,
            "help_topic": "duty",
        },
    )


async def handover(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_INBOX)
    context = app_context(request)
    form = await request.form()
    shift_id = int(request.path_params["shift_id"])
    async with tenant_session(context.database, staff.tenant) as session:
        shift = await session.get(DutyShift, shift_id, with_for_update=True)
        if shift is None:
            raise HTTPException(404, "没有这个班次")
        try:
            await hand_over(
                session,
                shift,
                note=str(form.get("note", "")),
                actor=_actor(request, staff),
                may_manage=role_allows(staff.roles, Action.MANAGE_DUTY),
            )
        except HandoverError as refused:
            return renderer_for(context).render(
                request, "duty/refused.html", {"message": refused.message}, status_code=400
            )
        await session.commit()
    return RedirectResponse(f"{request.state.tenant_prefix}/console/duty?done=handover", 303)


async def _rota_page(
    request: Request,
    first: date,
    last: date,
    text: str | None,
    problems: list[str],
    status: int = 200,
    saved: bool = False,
) -> Response:
    context = app_context(request)
    staff = await require_staff(request, Action.MANAGE_DUTY)
    start, end = _span(first, last)
    async with tenant_session(context.database, staff.tenant) as session:
        shifts = await shifts_between(session, start, end)
    people = await duty_staff(context.database, staff.tenant.id)
    if text is None:
        text = format_rota(
            [RotaEntry(s.user_id, s.staff_name, s.starts_at, s.ends_at) for s in shifts]
        )
    return renderer_for(context).render(
        request,
        "duty/rota.html",
        {
            **LABELS,
            "first": first,
            "last": last,
            "text": text,
            "problems": problems,
            "shifts": shifts,
            "people": people,
            "saved": saved,
            "help_topic": "rota",
        },
        status_code=status,
    )


async def rota(request: Request) -> Response:
    await require_staff(request, Action.MANAGE_DUTY)
    first = _day(request.query_params.get("from"), _today())
    last = _day(request.query_params.get("to"), first + timedelta(days=6))
    return await _rota_page(
        request, first, last, None, [], saved=bool(request.query_params.get("saved"))
    )


async def _calendar(context: Any) -> WorkCalendar:
    return await load_calendar(context.database)


async def rota_plan(request: Request) -> Response:
    staff = await require_staff(request, Action.MANAGE_DUTY)
    context = app_context(request)
    form = await request.form()
    first = _day(str(form.get("from", "")), _today())
    last = _day(str(form.get("to", "")), first + timedelta(days=6))
    people = {p.user_id: p for p in await duty_staff(context.database, staff.tenant.id)}

    def team(name: str) -> list[Any]:
        return [people[int(i)] for i in form.getlist(name) if str(i).isdigit() and int(i) in people]

    teams = RotaTeams(team("workday"), team("night"), team("weekend"), team("holiday"))
    try:
        if (last - first).days > 92:
            raise RotaError(["一次最多排三个月的班"])
        entries = plan_rota(first, last, await _calendar(context), teams)
    except RotaError as refused:
        return await _rota_page(request, first, last, None, refused.problems, status=400)
    return await _rota_page(request, first, last, format_rota(entries), [])


async def rota_save(request: Request) -> Response:
    staff = await require_staff(request, Action.MANAGE_DUTY)
    context = app_context(request)
    form = await request.form()
    first = _day(str(form.get("from", "")), _today())
    last = _day(str(form.get("to", "")), first + timedelta(days=6))
    text = str(form.get("rota", ""))
    people = await duty_staff(context.database, staff.tenant.id)
    try:
        entries = parse_rota(text, people, await _calendar(context))
        async with tenant_session(context.database, staff.tenant) as session:
            await save_rota(
                session, tenant_id=staff.tenant.id, entries=entries, actor=_actor(request, staff)
            )
            await session.commit()
    except RotaError as refused:
        return await _rota_page(request, first, last, text, refused.problems, status=400)
    return RedirectResponse(
        f"{request.state.tenant_prefix}/console/duty/rota?from={first}&to={last}&saved=1", 303
    )


async def _log(request: Request) -> tuple[Any, DutyLogDocument]:
    staff = await require_staff(request, Action.VIEW_INBOX)
    context = app_context(request)
    last = _day(request.query_params.get("to"), _today())
    first = _day(request.query_params.get("from"), last - timedelta(days=6))
    if last < first:
        first, last = last, first
    query = (request.query_params.get("q") or "").strip()[:50] or None
    start, end = _span(first, last)
    async with tenant_session(context.database, staff.tenant) as session:
        entries = await duty_log(session, start, end, query=query)
    return staff, DutyLogDocument.from_log(entries, start, end - timedelta(seconds=1), query)


async def log_page(request: Request) -> Response:
    staff, document = await _log(request)
    return renderer_for(app_context(request)).render(
        request,
        "duty/log.html",
        {
            "log": document,
            "first": document.start.astimezone(SHANGHAI).date(),
            "last": document.end.astimezone(SHANGHAI).date(),
            "query": document.query or "",
            "help_topic": "duty_log",
        },
        fragment="log_rows",
    )


async def log_pdf(request: Request) -> Response:
    staff, document = await _log(request)
    pdf = duty_log_pdf(staff.tenant, document)
    name = f"duty-log-{document.start.astimezone(SHANGHAI):%Y%m%d}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


routes = [
    Route("/duty", duty_panel, methods=["GET"]),
    Route("/duty/shifts/{shift_id:int}/handover", handover, methods=["POST"]),
    Route("/duty/rota", rota, methods=["GET"]),
    Route("/duty/rota/plan", rota_plan, methods=["POST"]),
    Route("/duty/rota", rota_save, methods=["POST"]),
    Route("/duty/log", log_page, methods=["GET"]),
    Route("/duty/log.pdf", log_pdf, methods=["GET"]),
]
