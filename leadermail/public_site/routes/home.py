"""Home page, statistics, the accessibility/privacy statement and the 适老化 switch."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.platform.deadlines.policies import policy_for
from leadermail.platform.letters.figures import cached, headline_figures, statistics
from leadermail.platform.letters.models import LETTER_TYPE_LABELS
from leadermail.platform.letters.publication import recent_published
from leadermail.platform.web.requests import app_context
from leadermail.public_site.page_cache import shared_page
from leadermail.public_site.rendering import LARGE_TEXT_COOKIE, renderer_for
from leadermail.public_site.views import local_path, render, site
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session
from leadermail.tenants.tree import tenant_tree


def time_limits(tenant: TenantRef) -> dict[str, object]:
    """The tenant's deadlines, as shown to citizens."""
    policies = [policy_for(tenant.settings, key) for key in LETTER_TYPE_LABELS]
    return {
        "acceptance": policies[0].acceptance.label,
        "reply": [(LETTER_TYPE_LABELS[p.letter_type], p.reply.label) for p in policies],
    }


@shared_page
async def home(request: Request) -> Response:
    context = app_context(request)
    if request.state.tenant is None:
        # Each mailbox under its parent (a new county under its city, not last).
        tree = tenant_tree(await context.tenants.all(), shown=lambda t: t.is_active)
        return renderer_for(context).render(request, "platform/home.html", {"tree": tree})
    context, tenant = site(request)

    async def load_recent() -> list:
        async with tenant_session(context.database, tenant) as session:
            return await recent_published(session, tenant)

    recent = await cached(("recent-published", tenant.id), load_recent)
    figures = await headline_figures(context.database, tenant)
    limits = time_limits(tenant)
    return render(request, "home.html", {"figures": figures, "recent": recent, "limits": limits})


@shared_page
async def statistics_page(request: Request) -> Response:
    context, tenant = site(request)
    stats = await statistics(context.database, tenant)
    top = max([count for _, count in stats.by_category] + [1])
    return render(request, "statistics.html", {"stats": stats, "top": top})


@shared_page
async def statement_page(request: Request) -> Response:
    site(request)
    return render(request, "statement.html")


async def display_switch(request: Request) -> Response:
    """Large text + high contrast on or off, with or without JavaScript.

    A GET form: it only sets the reader's own display cookie, changes nothing
    on the server, and so needs no session or CSRF token on every page.
    site.js sends it with ``X-Requested-With: fetch`` after switching the page
    in place (a reload would lose a half-written letter): that gets the
    cookie alone, 204, no redirect to follow.
    """
    site(request)
    params = request.query_params
    large = params.get("large_text") == "1"
    response: Response
    if request.headers.get("x-requested-with") == "fetch":
        response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    else:
        target = local_path(str(params.get("next") or ""), request.scope.get("root_path", "") + "/")
        response = RedirectResponse(target, status_code=303)
    if large:
        response.set_cookie(
            LARGE_TEXT_COOKIE, "1", max_age=365 * 24 * 3600, samesite="lax", httponly=False
        )
    else:
        response.delete_cookie(LARGE_TEXT_COOKIE)
    return response


routes = [
    Route("/", home, name="home"),
    Route("/statistics", statistics_page, name="statistics"),
    Route("/statement", statement_page, name="statement"),
    Route("/display", display_switch, methods=["GET"], name="display"),
]
