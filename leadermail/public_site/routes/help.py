"""The citizens' help page of each tenant's site (``/help``)."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadermail.platform.channels.models import ChannelMailbox
from leadermail.platform.deadlines.policies import policy_for
from leadermail.platform.letters.models import LETTER_TYPE_LABELS
from leadermail.platform.web.requests import app_context, current_tenant
from leadermail.public_site.page_cache import shared_page
from leadermail.public_site.rendering import renderer_for
from leadermail.tenants.session import tenant_session


@shared_page
async def help_page(request: Request) -> Response:
    tenant = current_tenant(request)
    context = app_context(request)
    async with tenant_session(context.database, tenant) as session:
        mailbox = (
            await session.execute(
                select(ChannelMailbox.address).where(ChannelMailbox.is_active.is_(True)).limit(1)
            )
        ).scalar_one_or_none()
    deadlines = [
        (label, policy_for(tenant.settings, letter_type).reply.label)
        for letter_type, label in LETTER_TYPE_LABELS.items()
    ]
    return renderer_for(context).render(
        request, "help/citizen.html", {"intake_email": mailbox, "deadlines": deadlines}
    )


routes = [Route("/help", help_page, methods=["GET"])]
