"""In-console notifications (站内提醒): the list, the bell's badge, marking read.

    GET  /console/notifications                 the list (unread first view)
    GET  /console/notifications/badge           htmx: the bell with its unread count
    POST /console/notifications/{id}/read       mark one read, then go to its link
    POST /console/notifications/read-all

The bell is ``{% include "notifications/_bell.html" %}`` in the console
header; it refreshes itself every 30 seconds.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.flash import console_url
from leadermail.console.rendering import renderer_for
from leadermail.platform.notifications.console import (
    StaffNotification,
    mark_read,
    recent_notifications,
    unread_count,
)
from leadermail.platform.web.requests import app_context, current_tenant
from leadermail.tenants.session import tenant_session


async def notifications_page(request: Request) -> Response:
    staff = await require_staff(request)
    context = app_context(request)
    unread_only = request.query_params.get("show") == "unread"
    async with tenant_session(context.database, current_tenant(request)) as session:
        items = await recent_notifications(
            session, staff.user_id, limit=100, unread_only=unread_only
        )
        unread = await unread_count(session, staff.user_id)
    return renderer_for(context).render(
        request, "notifications/list.html",
        {"items": items, "unread": unread, "unread_only": unread_only},
    )


async def badge(request: Request) -> Response:
    staff = await require_staff(request)
    context = app_context(request)
    async with tenant_session(context.database, current_tenant(request)) as session:
        unread = await unread_count(session, staff.user_id)
    return renderer_for(context).render(
        request, "notifications/_bell.html", {"unread": unread}, fragment="notification_bell"
    )


async def read_one(request: Request) -> Response:
    staff = await require_staff(request)
    context = app_context(request)
    notification_id = int(request.path_params["notification_id"])
    async with tenant_session(context.database, current_tenant(request)) as session:
        # Scoped to the user: someone else's id simply finds nothing.
        notification = await session.get(StaffNotification, notification_id)
        link = None
        if notification is not None and notification.user_id == staff.user_id:
            await mark_read(session, staff.user_id, notification_id)
            link = notification.link
        await session.commit()
    return RedirectResponse(console_url(request, link or "/notifications"), status_code=303)


async def read_all(request: Request) -> Response:
    staff = await require_staff(request)
    context = app_context(request)
    async with tenant_session(context.database, current_tenant(request)) as session:
        await mark_read(session, staff.user_id)
        await session.commit()
    return RedirectResponse(console_url(request, "/notifications"), status_code=303)


routes = [
    Route("/notifications", notifications_page, methods=["GET"]),
    Route("/notifications/badge", badge, methods=["GET"]),
    Route("/notifications/read-all", read_all, methods=["POST"]),
    Route("/notifications/{notification_id:int}/read", read_one, methods=["POST"]),
]
