"""信件公开: published letters with search, filters and pagination, and one letter.

The list page and its rows are one template; htmx requests (search as you
type, filter changes, page links) get only the ``letter_rows`` block, and the
same URLs serve whole pages without JavaScript.
"""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.platform.letters.models import CHANNEL_LABELS, LETTER_TYPE_LABELS
from leadermail.platform.letters.publication import (
    PublishedFilters,
    filter_choices,
    published_letter,
    published_page,
)
from leadermail.platform.replies.attachments import (
    FileLink,
    public_reply_attachment,
    public_reply_attachments,
)
from leadermail.platform.web.requests import tenant_url
from leadermail.public_site.page_cache import shared_page
from leadermail.public_site.views import attachment_file, not_found, render, site
from leadermail.tenants.session import tenant_session


@shared_page
async def letter_list(request: Request) -> Response:
    context, tenant = site(request)
    filters = PublishedFilters.from_query(request.query_params)
    async with tenant_session(context.database, tenant) as session:
        page = await published_page(session, tenant, filters)
        if filters.page > page.pages:
            # A page past the end (an old link, a typed number, fewer results
            # than before): the last page that has letters, with its own
            # numbers, rather than "第 4 / 3 页" over an empty list.
            query = filters.query_string(page=page.pages)
            return RedirectResponse(
                tenant_url(request, "/letters" + (f"?{query}" if query else "")),
                status_code=302,
            )
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


@shared_page
async def letter_detail(request: Request) -> Response:
    context, tenant = site(request)
    raw = request.path_params["letter_id"]
    letter = None
    files: list[FileLink] = []
    if raw.isdigit() and len(raw) < 19:
        async with tenant_session(context.database, tenant) as session:
            letter = await published_letter(session, tenant, int(raw))
            files = (
                await public_reply_attachments(session, tenant.id, int(raw))
                if letter is not None
                else []
            )
    if letter is None:
        return not_found(request)
    ctx = {
        "published": letter,
        "channel_label": CHANNEL_LABELS.get(letter.channel, ""),
        "reply_files": files,
        "letter_id": int(raw),
    }
    return render(request, "letters/published_detail.html", ctx)


async def reply_attachment(request: Request) -> Response:
    """A reply's file that staff marked public, of a published letter."""
    context, tenant = site(request)
    raw = request.path_params["letter_id"]
    attachment = None
    if raw.isdigit() and len(raw) < 19:
        async with tenant_session(context.database, tenant) as session:
            attachment = await public_reply_attachment(
                session, int(raw), request.path_params["attachment_id"]
            )
    # Revalidated on every use: a file taken off the public page stops at once.
    return attachment_file(request, attachment, cache_control="no-cache")


routes = [
    Route("/letters", letter_list, methods=["GET"], name="letters"),
    Route("/letters/{letter_id}", letter_detail, methods=["GET"]),
    Route(
        "/letters/{letter_id}/attachments/{attachment_id:int}",
        reply_attachment,
        methods=["GET"],
    ),
]
