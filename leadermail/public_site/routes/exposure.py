"""The public exposure page (曝光台): units with overdue letters and on-time rates.

    GET /exposure

No personal data: unit names and counts only. Per tenant, as data in
``tenant.settings`` (see ``platform.supervision.exposure``)::

    {"exposure_enabled": true, "exposure_min_letters": 10,
     "exposure_months": 12, "exposure_since": "2026-01-01"}

Fairness (the complaint behind FixMyStreet #1957): a unit is ranked only
with at least ``exposure_min_letters`` letters in the period; letters
received before ``exposure_since`` (e.g. before the tenant joined) are left
out; time a letter spent with another tenant is added to its deadline and
never counted against this one (see ``supervision.facts``).
"""

from __future__ import annotations

from datetime import date

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadermail.platform.supervision.charts import percent
from leadermail.platform.supervision.exposure import exposure_rules
from leadermail.platform.supervision.queries import Period, dashboard
from leadermail.platform.web.requests import app_context, current_tenant
from leadermail.public_site.page_cache import shared_page
from leadermail.public_site.rendering import renderer_for


@shared_page
async def exposure(request: Request) -> Response:
    tenant = current_tenant(request)
    rules = exposure_rules(tenant)
    if not rules.enabled:
        raise HTTPException(404)
    context = app_context(request)
    period = Period.last_months(rules.months)
    if rules.since is not None:
        since_month = rules.since.replace(day=1)
        # A month half before the cut-off would mix letters; start after it.
        if rules.since.day > 1:
            index = since_month.year * 12 + since_month.month
            since_month = date(index // 12, index % 12 + 1, 1)
        if since_month > period.first:
            period = Period(since_month, max(since_month, period.last))
    board = await dashboard(context.database, period, tenant_id=tenant.id)
    units = [u for u in board.by_unit if u.unit_id]
    ranked = [u for u in units if u.figures.received >= rules.min_letters]
    ranked.sort(key=lambda u: (u.figures.on_time_rate or 0.0, -u.figures.overdue, u.unit_name))
    overdue = sorted(
        (u for u in units if u.figures.overdue),
        key=lambda u: (-u.figures.overdue, u.unit_name),
    )
    return renderer_for(context).render(request, "exposure/index.html", {
        "period": period,
        "rules": rules,
        "ranked": ranked,
        "overdue_units": overdue,
        "unranked_count": len(units) - len(ranked),
        "generated_at": board.generated_at,
        "pct": percent,
    })


routes = [Route("/exposure", exposure, name="exposure")]
