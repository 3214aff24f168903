"""信件公开: published letters with search, filters and pagination, and one letter.

The list page and its rows are one template; htmx requests (search as you
type, filter changes, page links) get only the ``letter_rows`` block, and the
same URLs serve whole pages without JavaScript.
"""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadermail.platform.letters.models import CHANNEL_LABELS, LETTER_TYPE_LABELS
from leadermail.platform.letters.publication import (
    PublishedFilters,
    filter_choices,
    published_letter,
    published_page,
)
from leadermail.public_site.views import render, site
from leadermail.tenants.session import tenant_session


async def letter_list(request: Request) -> Response:
    context, tenant = site(request)
    filters = PublishedFilters.from_query(request.query_params)
    async with tenant_session(context.database, tenant) as session:
        page = await published_page(session, tenant, filters)
        choices = await filter_choices(session, tenant)
    current_year = date.today().year
    ctx = {
        "page": page,
        "filters": filters,
        "letter_types": list(LETTER_TYPE_LABELS.items()),
        "categories": choices["categories"],
        "units": choices["units"],
        "years": list(range(current_year, current_year - 6, -1)),
    }
    return render(request, "letters/published.html", ctx, fragment="letter_rows")


async def letter_detail(request: Request) -> Response:
    context, tenant = site(request)
    raw = request.path_params["letter_id"]
    letter = None
    if raw.isdigit() and len(raw) < 19:
        async with tenant_session(context.database, tenant) as session:
            letter = await published_letter(session, tenant, int(raw))
    if letter is None:
        return render(request, "errors/not_found.html", {"status": 404}, status_code=404)
    ctx = {"published": letter, "channel_label": CHANNEL_LABELS.get(letter.channel, "")}
    return render(request, "letters/published_detail.html", ctx)


routes = [
    Route("/letters", letter_list, methods=["GET"], name="letters"),
    Route("/letters/{letter_id}", letter_detail, methods=["GET"]),
]
