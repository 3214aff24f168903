"""Supervision dashboards (统一监管): one tenant's, and the province's.

    GET /console/supervision?from=2026-01&to=2026-12     tenant (VIEW_SUPERVISION)
    GET /console/supervision/province?from=…&to=…         all tenants (PROVINCE_ADMIN,
                                                          in the province tenant only)

Figures come from the shared-schema aggregates only
(:mod:`leadermail.platform.supervision.queries`); nothing here opens a tenant
schema. Drill-down links go to the inbox with filters.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.policy import Action
from leadermail.platform.supervision.cache import province_figures
from leadermail.platform.supervision.charts import bar_chart, column_chart, days, percent
from leadermail.platform.supervision.queries import Dashboard, Period, dashboard
from leadermail.platform.web.requests import app_context, current_tenant
from leadermail.tenants.models import TenantKind

#: Units with fewer letters in the period are listed but not ranked.
DEFAULT_RANKING_MINIMUM = 10
RANKING_SHOWN = 20
PROVINCE_TENANTS_SHOWN = 100


def ranking_minimum(settings: dict[str, Any]) -> int:
    value = settings.get("supervision_ranking_min_letters", DEFAULT_RANKING_MINIMUM)
    return value if isinstance(value, int) and value > 0 else DEFAULT_RANKING_MINIMUM


def _charts(board: Dashboard, ranked: list, names: dict[int, str] | None = None) -> dict[str, Any]:
    def label(unit: Any) -> str:
        if names is None:
            return unit.unit_name
        return f"{names.get(unit.tenant_id, unit.tenant_id)} {unit.unit_name}"

    months = [(f"{m.month}月", f.received) for m, f in board.by_month]
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
            **_charts(board, ranked),
        },
    )


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
    board, ranked = await province_figures(
        context.database, redis, period, minimum_letters=minimum, shown=RANKING_SHOWN
    )
    names = {t.id: t.name for t in await context.tenants.all()}
    tenants = sorted(board.by_tenant.items(), key=lambda item: -item[1].received)
    return renderer_for(context).render(
        request,
        "supervision/province.html",
        {
            "board": board,
            "period": period,
            "ranked": ranked,
            "minimum": minimum,
            "names": names,
            "tenants": tenants[:PROVINCE_TENANTS_SHOWN],
            "tenant_count": len(tenants),
            "ranked_count": ranked[0].ranked_count if ranked else 0,
            "shown": RANKING_SHOWN,
            "pct": percent,
            "days": days,
            **_charts(board, ranked, names),
        },
    )


routes = [
    Route("/supervision", tenant_dashboard, name="supervision"),
    Route("/supervision/province", province_dashboard, name="supervision_province"),
]
