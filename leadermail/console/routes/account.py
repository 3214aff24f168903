"""修改密码: a signed-in staff member changes their own password.

    GET/POST /console/account/password

The current password is asked for (a session left open on a desk must not
be enough), wrong answers draw on the sign-in limits (``console.attempts``).
After the change this session goes on and every other session of the user
ends (``accounts.sessions``). Users without a password (统一身份认证 or a
certificate only) are told why there is nothing to change here.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.attempts import TOO_MANY, too_many_attempts
from leadermail.console.auth import keep_session, require_staff
from leadermail.console.flash import console_url, flash
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.models import User
from leadermail.platform.accounts.password_changes import PasswordChangeRefused, change_password
from leadermail.platform.accounts.passwords import MIN_PASSWORD_LENGTH
from leadermail.platform.audit.writer import Actor
from leadermail.platform.web.requests import app_context, client_ip

TEMPLATE = "account/password.html"


async def password_page(request: Request) -> Response:
    staff = await require_staff(request)
    context = app_context(request)
    renderer = renderer_for(context)
    async with context.database.core_session() as session:
        user = await session.get(User, staff.user_id)
        assert user is not None  # require_staff found it active a moment ago
        ctx: dict[str, Any] = {
            "has_password": bool(user.password_hash),
            "oidc": bool(user.oidc_subject),
            "changed_at": user.password_changed_at,
            "min_length": MIN_PASSWORD_LENGTH,
            "errors": {},
        }
        if request.method == "GET" or not user.password_hash:
            return renderer.render(request, TEMPLATE, ctx)
        async with request.form() as form:
            current = str(form.get("current_password", ""))
            new = str(form.get("password", ""))
            again = str(form.get("password_again", ""))
        if await too_many_attempts(request, user.email, count=False):
            ctx["errors"] = {"current": TOO_MANY}
            return renderer.render(request, TEMPLATE, ctx, status_code=429)
        try:
            await change_password(
                session,
                user,
                Actor(user.id, user.display_name, client_ip(request)),
                staff.tenant,
                current=current,
                new=new,
                again=again,
            )
        except PasswordChangeRefused as refused:
            if "current" in refused.errors:
                await too_many_attempts(request, user.email)  # count the wrong guess
            ctx["errors"] = refused.errors
            return renderer.render(request, TEMPLATE, ctx, status_code=422)
        await session.commit()
    keep_session(request, user)
    flash(request, "密码已修改。您在其他设备或浏览器上的登录已失效，本次登录不受影响。")
    return RedirectResponse(console_url(request, "/account/password"), status_code=303)


routes = [Route("/account/password", password_page, methods=["GET", "POST"])]
