"""Holiday schedules (节假日安排) for province admins, and the recompute progress.

    GET  /console/deadlines/holidays              loaded years, recent recompute runs, the form
    POST /console/deadlines/holidays              year, source, schedule text or file
    GET  /console/deadlines/holidays/runs/{id}    progress (htmx polls ``recompute_status``)

Loading a year stores it and queues the recompute of every tenant's
provisional deadlines (see :mod:`leadermail.platform.deadlines.recompute`).
"""

from __future__ import annotations

from sqlalchemy import func, select
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.flash import console_url
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.policy import Action
from leadermail.platform.deadlines.models import HolidayDay
from leadermail.platform.deadlines.recompute import load_holiday_schedule
from leadermail.platform.deadlines.runs import RecomputeRun
from leadermail.platform.deadlines.schedule import ScheduleError
from leadermail.platform.letters.access import staff_actor
from leadermail.platform.web.requests import app_context, client_ip

MAX_UPLOAD_BYTES = 64 * 1024


async def holidays_page(
    request: Request, *, errors: list[str] | None = None, form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    await require_staff(request, Action.PROVINCE_ADMIN)
    context = app_context(request)
    async with context.database.core_session() as session:
        years = (
            await session.execute(
                select(HolidayDay.year, func.count(), func.max(HolidayDay.source))
                .group_by(HolidayDay.year)
                .order_by(HolidayDay.year.desc())
            )
        ).all()
        runs = (
            await session.execute(select(RecomputeRun).order_by(RecomputeRun.id.desc()).limit(10))
        ).scalars().all()
    return renderer_for(context).render(
        request, "deadlines/holidays.html",
        {"years": years, "runs": runs, "errors": errors or [], "form": form or {}},
        status_code=status,
    )


async def show_holidays(request: Request) -> Response:
    return await holidays_page(request)


async def _refuse(request: Request, errors: list[str], values: dict[str, str]) -> Response:
    return await holidays_page(request, errors=errors, form=values, status=422)


async def upload_holidays(request: Request) -> Response:
    staff = await require_staff(request, Action.PROVINCE_ADMIN)
    context = app_context(request)
    form = await request.form()
    values = {key: str(form.get(key) or "").strip() for key in ("year", "source", "schedule")}
    upload = form.get("file")
    text = values["schedule"]
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            return await _refuse(request, ["文件过大（最多64KB）"], values)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return await _refuse(request, ["文件须为 UTF-8 编码的文本"], values)
    try:
        year = int(values["year"])
    except ValueError:
        return await _refuse(request, ["请填写年份，例如 2027"], values)
    try:
        run = await load_holiday_schedule(
            context.database, year, text, source=values["source"] or "工作台上传",
            actor=staff_actor(staff, client_ip(request)),
        )
    except ScheduleError as exc:
        return await _refuse(request, exc.errors, values)
    location = console_url(request, f"/deadlines/holidays/runs/{run.id}")
    return RedirectResponse(location, status_code=303)


async def run_status(request: Request) -> Response:
    await require_staff(request, Action.PROVINCE_ADMIN)
    context = app_context(request)
    async with context.database.core_session() as session:
        run = await session.get(RecomputeRun, int(request.path_params["run_id"]))
    if run is None:
        raise HTTPException(404, "没有找到这次重新计算")
    return renderer_for(context).render(
        request, "deadlines/run.html", {"run": run}, fragment="recompute_status"
    )


routes = [
    Route("/deadlines/holidays", show_holidays, methods=["GET"]),
    Route("/deadlines/holidays", upload_holidays, methods=["POST"]),
    Route("/deadlines/holidays/runs/{run_id:int}", run_status, methods=["GET"]),
]
