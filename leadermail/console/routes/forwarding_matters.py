"""A letter's art. 19 / art. 36 flag ("the same matter is in hand elsewhere"), in the console.

    GET  /console/forwarding/matter/{letter_id}       the flag (the letter page
                                                      pulls it in with htmx)
    POST /console/forwarding/matter/{letter_id}/link  link the letter to the matter in hand

Letters only through ``access_letter_by_id``; a link into another tenant's
letter is offered only to staff who hold a role there that may read it.
"""

from __future__ import annotations

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.flash import flash
from leadermail.console.forwarding_pages import back_to, staff_actor
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.models import Membership
from leadermail.platform.accounts.policy import Action, StaffUser, role_allows
from leadermail.platform.context import AppContext
from leadermail.platform.forwarding.access import ForwardingError
from leadermail.platform.forwarding.crossings import record_crossing
from leadermail.platform.forwarding.matter_links import MatterStatus, link_to_matter, matter_status
from leadermail.platform.letters.access import LetterNotFound, access_letter_by_id
from leadermail.platform.web.requests import app_context, client_ip, tenant_url
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session


async def _may_view_letters_of(context: AppContext, staff: StaffUser, tenant_id: int) -> bool:
    """Does this user also hold a role in ``tenant_id`` that may read its letters?

    Province staff see another tenant's letter only through their own
    membership there; everyone else gets the flag without a link.
    """
    if tenant_id == staff.tenant.id:
        return True
    async with context.database.core_session() as session:
        roles = (
            await session.scalars(
                select(Membership.role).where(
                    Membership.user_id == staff.user_id,
                    Membership.tenant_id == tenant_id,
                    Membership.is_active.is_(True),
                )
            )
        ).all()
    return role_allows(frozenset(roles), Action.VIEW_LETTER)


def _console_url(request: Request, tenant: TenantRef, path: str) -> str:
    """A console link into another tenant, on the kind of address in use."""
    prefix = getattr(request.state, "tenant_prefix", "")
    if not prefix and tenant.domains:
        return f"https://{tenant.domains[0]}/console{path}"
    return f"/t/{tenant.slug}/console{path}"


async def matter_flag(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_LETTER)
    context = app_context(request)
    async with tenant_session(context.database, staff.tenant) as session:
        try:
            letter = await access_letter_by_id(
                session, staff, request.path_params["letter_id"], ip_address=client_ip(request)
            )
        except LetterNotFound:
            raise HTTPException(404) from None
        await session.commit()  # the audit record of reading a 举报
    status: MatterStatus | None = await matter_status(context, staff.tenant, letter)
    link = None
    if (
        status is not None
        and status.holder is not None
        and status.target_letter_id is not None
        and status.target_tenant_id is not None
        and await _may_view_letters_of(context, staff, status.target_tenant_id)
    ):
        link = _console_url(request, status.holder, f"/letters/{status.target_letter_id}")
        if status.target_tenant_id == staff.tenant.id:
            link = tenant_url(request, f"/console/letters/{status.target_letter_id}")
    ctx = {
        "letter": letter,
        "status": status,
        "matter_link": link,
        "may_link": role_allows(staff.roles, Action.MERGE),
    }
    return renderer_for(context).render(
        request, "forwarding/matter.html", ctx, fragment="matter_flag"
    )


async def matter_link(request: Request) -> Response:
    staff = await require_staff(request, Action.MERGE)
    context = app_context(request)
    letter_id = request.path_params["letter_id"]
    try:
        async with tenant_session(context.database, staff.tenant) as session:
            letter = await access_letter_by_id(
                session, staff, letter_id, ip_address=client_ip(request), for_update=True
            )
            crossing = await link_to_matter(
                session, context, tenant=staff.tenant, letter=letter,
                actor=staff_actor(request, staff),
            )
            await session.commit()
    except LetterNotFound:
        raise HTTPException(404) from None
    except ForwardingError as exc:
        flash(request, exc.message, error=True)
        return back_to(request, f"/letters/{letter_id}")
    await record_crossing(context, **crossing)
    flash(request, "已关联至正在办理的事项，并告知来信人")
    return back_to(request, f"/letters/{letter_id}")


routes = [
    Route("/forwarding/matter/{letter_id:int}", matter_flag, methods=["GET"]),
    Route("/forwarding/matter/{letter_id:int}/link", matter_link, methods=["POST"]),
]
