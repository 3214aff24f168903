"""Supervision dashboards (统一监管): one tenant's, and the province's.

    GET /console/supervision?from=2026-01&to=2026-12     tenant (VIEW_SUPERVISION)
    GET /console/supervision/province?from=…&to=…         all tenants (PROVINCE_ADMIN,
                                                          in the province tenant only)
    GET /console/supervision/province/mailboxes/{id}      one mailbox's overdue and
                                                          nearly due letters (same)
    GET|POST /console/supervision/reports                 monthly / annual reports (a job)
    GET /console/supervision/reports/{id}/download

Figures come from the shared-schema aggregates only
(:mod:`leadermail.platform.supervision.queries`). Drill-down links of a
tenant's page go to its inbox with filters; those of the province page go to
the mailbox's list of late letters, the one view here that opens another
tenant's schema (:mod:`leadermail.platform.supervision.overdue`, behind
``access_supervised_mailbox``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.policy import Action, StaffUser, role_allows
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.calendar import local_day
from leadermail.platform.jobs.outbox import enqueue
from leadermail.platform.letters.access import staff_actor
from leadermail.platform.letters.workflow import STATE_LABELS
from leadermail.platform.supervision.cache import province_figures
from leadermail.platform.supervision.charts import (
    bar_chart,
    column_chart,
    days,
    figure_cells,
    percent,
)
from leadermail.platform.supervision.models import SupervisionReport
from leadermail.platform.supervision.overdue import (
    MailboxNotFound,
    access_supervised_mailbox,
    overdue_letters,
    province_scope,
    supervised_mailbox_ids,
)
from leadermail.platform.supervision.queries import (
    Dashboard,
    Figures,
    Period,
    dashboard,
    letters_received,
)
from leadermail.platform.supervision.reports import MEDIA_TYPES, download_name, report_path
from leadermail.platform.web.requests import app_context, client_ip, current_tenant, tenant_url
from leadermail.platform.web.templating import is_htmx
from leadermail.tenants.models import TenantKind
from leadermail.tenants.registry import TenantRef

#: Units with fewer letters in the period are listed but not ranked.
DEFAULT_RANKING_MINIMUM = 10
RANKING_SHOWN = 20
PROVINCE_TENANTS_SHOWN = 100
#: Units (and mailboxes) below the ranking minimum listed with their figures.
UNRANKED_SHOWN = 50


def ranking_minimum(settings: dict[str, Any]) -> int:
    value = settings.get("supervision_ranking_min_letters", DEFAULT_RANKING_MINIMUM)
    return value if isinstance(value, int) and value > 0 else DEFAULT_RANKING_MINIMUM


def _charts(
    board: Dashboard, ranked: list, names: dict[int, str] | None = None, *, once: bool = False
) -> dict[str, Any]:
    """``names``: units are labelled with their mailbox (the province page);
    ``once``: monthly letters counted once across mailboxes (the same)."""

    def label(unit: Any) -> str:
        if names is None:
            return unit.unit_name
        return f"{names.get(unit.tenant_id, unit.tenant_id)} {unit.unit_name}"

    months = [(f"{m.month}月", letters_received(f, once=once)) for m, f in board.by_month]
    on_time = [(f"{m.month}月", f.on_time_rate) for m, f in board.by_month]
    return {
        "received_chart": column_chart("每月来信量", months),
        "on_time_chart": column_chart("每月按时答复率", on_time, percent=True),
        "ranking_chart": bar_chart(
            "承办单位按时答复率排名",
            [(label(u), u.figures.on_time_rate) for u in ranked[:RANKING_SHOWN]],
            percent=True,
        ),
    }


async def tenant_dashboard(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_SUPERVISION)
    tenant = current_tenant(request)
    context = app_context(request)
    period = Period.parse(request.query_params.get("from"), request.query_params.get("to"))
    board = await dashboard(context.database, period, tenant_id=tenant.id)
    minimum = ranking_minimum(tenant.settings)
    ranked = board.ranking(minimum)
    return renderer_for(context).render(
        request,
        "supervision/dashboard.html",
        {
            "board": board,
            "period": period,
            "ranked": ranked,
            "minimum": minimum,
            "province_link": staff.is_province_admin and tenant.kind == TenantKind.PROVINCE,
            "pct": percent,
            "days": days,
            "cells": figure_cells,
            **_charts(board, ranked),
        },
    )


def _period_query(period: Period) -> str:
    return f"from={period.first:%Y-%m}&to={period.last:%Y-%m}"


def _ends(ranking: list[int], shown: int) -> list[tuple[int, int]]:
    """(position, id) of the first and last ``shown`` of a ranking (all of it when short)."""
    if len(ranking) <= 2 * shown:
        return list(enumerate(ranking, start=1))
    last = len(ranking) - shown + 1
    return [
        *enumerate(ranking[:shown], start=1),
        *enumerate(ranking[-shown:], start=last),
    ]


def _unranked_mailboxes(board: Dashboard, minimum: int) -> list[tuple[int, Figures]]:
    small = [(t, f) for t, f in board.by_tenant.items() if f.received < minimum]
    return sorted(small, key=lambda item: (-item[1].overdue, -item[1].received, item[0]))


async def province_dashboard(request: Request) -> Response:
    await require_staff(request, Action.PROVINCE_ADMIN)
    tenant = current_tenant(request)
    if tenant.kind != TenantKind.PROVINCE:
        raise HTTPException(status_code=403, detail="全省监管只能在省级信箱的工作台查看")
    context = app_context(request)
    period = Period.parse(request.query_params.get("from"), request.query_params.get("to"))
    minimum = ranking_minimum(tenant.settings)
    # ?fresh=1 skips the one-minute cache (province admins checking a change).
    redis = None if request.query_params.get("fresh") == "1" else context.redis
    # The province's own tree only (as the reports and the drill-down).
    board, units = await province_figures(
        context.database, redis, period, minimum_letters=minimum, shown=RANKING_SHOWN,
        shown_small=UNRANKED_SHOWN, tenant_ids=await province_scope(context, tenant),
    )
    names = {t.id: t.name for t in await context.tenants.all()}
    # Rows link to a mailbox's late letters only where the admin may open them.
    base = tenant_url(request, "/console/supervision/province/mailboxes/")
    query = _period_query(period)
    mailbox_links = {
        tenant_id: f"{base}{tenant_id}?{query}"
        for tenant_id in await supervised_mailbox_ids(context, tenant)
    }

    def mailbox_name(tenant_id: int) -> Markup:
        name = names.get(tenant_id, str(tenant_id))
        href = mailbox_links.get(tenant_id)
        if href is None:
            return escape(name)
        return Markup('<a href="{}">{}</a>').format(href, name)

    tenants = sorted(board.by_tenant.items(), key=lambda item: -item[1].received)
    mailboxes = board.mailbox_ranking(minimum)
    unranked_mailboxes = _unranked_mailboxes(board, minimum)
    return renderer_for(context).render(
        request,
        "supervision/province.html",
        {
            "board": board,
            "period": period,
            "period_query": _period_query(period),
            "ranked": units.ranked,
            "unranked": units.unranked,
            "unranked_count": units.unranked_count,
            "minimum": minimum,
            "names": names,
            "mailbox_links": mailbox_links,
            "mailbox_name": mailbox_name,
            "tenants": tenants[:PROVINCE_TENANTS_SHOWN],
            "tenant_count": len(tenants),
            "ranked_count": units.ranked_count,
            "mailboxes": _ends(mailboxes, RANKING_SHOWN),
            "mailbox_count": len(mailboxes),
            "unranked_mailboxes": unranked_mailboxes[:UNRANKED_SHOWN],
            "unranked_mailbox_count": len(unranked_mailboxes),
            "shown": RANKING_SHOWN,
            "unranked_shown": UNRANKED_SHOWN,
            "pct": percent,
            "days": days,
            "cells": figure_cells,
            **_charts(board, units.ranked, names, once=True),
        },
    )


async def province_mailbox(request: Request) -> Response:
    """One mailbox's overdue and nearly due letters, for a province admin."""
    staff = await require_staff(request, Action.PROVINCE_ADMIN)
    context = app_context(request)
    try:
        mailbox = await access_supervised_mailbox(
            context, staff, request.path_params["tenant_id"]
        )
    except MailboxNotFound as exc:
        raise HTTPException(status_code=404, detail="信箱不存在") from exc
    period = Period.parse(request.query_params.get("from"), request.query_params.get("to"))
    late = await overdue_letters(
        context.database, mailbox, period, actor=staff_actor(staff, client_ip(request))
    )
    return renderer_for(context).render(
        request,
        "supervision/mailbox.html",
        {
            "mailbox": mailbox,
            "late": late,
            "period": period,
            "period_query": _period_query(period),
            "state_labels": STATE_LABELS,
        },
    )


def _may_report_province(staff: StaffUser, tenant: TenantRef) -> bool:
    return tenant.kind == TenantKind.PROVINCE and role_allows(staff.roles, Action.PROVINCE_ADMIN)


async def report_list(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_SUPERVISION)
    tenant = current_tenant(request)
    context = app_context(request)
    async with context.database.core_session() as session:
        reports = (
            await session.execute(
                select(SupervisionReport)
                .where(SupervisionReport.tenant_id == tenant.id)
                .order_by(SupervisionReport.id.desc())
                .limit(50)
            )
        ).scalars().all()
    today = local_day(utcnow())
    return renderer_for(context).render(
        request,
        "supervision/reports.html",
        {
            "reports": reports,
            "may_province": _may_report_province(staff, tenant),
            "this_year": today.year,
            "last_month": (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m"),
            "error": request.query_params.get("error"),
        },
        fragment="report_rows" if is_htmx(request) else None,
    )


async def report_create(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_SUPERVISION)
    tenant = current_tenant(request)
    context = app_context(request)
    async with request.form() as form:
        period = str(form.get("period", ""))
        file_format = str(form.get("file_format", ""))
        scope = str(form.get("scope", "tenant"))
        month_text = str(form.get("month", ""))
        year_text = str(form.get("year", ""))
    back = f"{tenant_url(request, '/console/supervision/reports')}"
    try:
        if period == "year":
            start = date(int(year_text), 1, 1)
        elif period == "month":
            start = date.fromisoformat(f"{month_text}-01")
        else:
            raise ValueError(period)
    except ValueError:
        return RedirectResponse(back + "?error=period", status_code=303)
    if file_format not in MEDIA_TYPES or scope not in {"tenant", "province"}:
        return RedirectResponse(back + "?error=format", status_code=303)
    if scope == "province" and not _may_report_province(staff, tenant):
        raise HTTPException(status_code=403, detail="只有省级管理员可以生成全省报告")
    async with context.database.core_session() as session:
        report = SupervisionReport(
            tenant_id=tenant.id, scope=scope, period=period, period_start=start,
            file_format=file_format, status="pending", requested_by_user_id=staff.user_id,
        )
        session.add(report)
        await session.flush()
        enqueue(session, "generate_supervision_report", tenant_id=tenant.id, report_id=report.id)
        await session.commit()
    return RedirectResponse(back, status_code=303)


async def report_download(request: Request) -> Response:
    await require_staff(request, Action.VIEW_SUPERVISION)
    tenant = current_tenant(request)
    context = app_context(request)
    async with context.database.core_session() as session:
        report = await session.get(SupervisionReport, request.path_params["report_id"])
    # The same answer for "missing" and "another tenant's".
    if report is None or report.tenant_id != tenant.id or report.status != "done":
        raise HTTPException(404)
    path = report_path(context, report)
    if not path.is_file():
        raise HTTPException(404)
    return FileResponse(
        path, media_type=MEDIA_TYPES[report.file_format],
        filename=report.file_name or download_name(report),
    )


routes = [
    Route("/supervision", tenant_dashboard, name="supervision"),
    Route("/supervision/province", province_dashboard, name="supervision_province"),
    Route("/supervision/province/mailboxes/{tenant_id:int}", province_mailbox),
    Route("/supervision/reports", report_list, name="supervision_reports"),
    Route("/supervision/reports", report_create, methods=["POST"]),
    Route("/supervision/reports/{report_id:int}/download", report_download),
]
