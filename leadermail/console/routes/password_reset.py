"""忘记密码: ask for a link by e-mail, then set a new password through it.

    GET/POST /console/password/forgot          e-mail → always the same answer
    GET/POST /console/password/reset/{token}   the link: new password, twice

The answer to the request never says whether the e-mail has an account
here (the e-mail itself is sent by the worker, so the answer takes as long
either way). Requests are limited per client address and per e-mail, which
also keeps the form from flooding someone's mailbox. The link is built on
the address the request came to (the tenant's own domain, or ``/t/<slug>``
on the platform host): tenant resolution has already refused any host that
is not one of ours, so a forged ``Host`` cannot point the link elsewhere.
A reset never signs anyone in: the next sign-in asks for the TOTP code.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.auth import sign_out
from leadermail.console.flash import console_url, flash
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.password_changes import PasswordChangeRefused
from leadermail.platform.accounts.password_resets import (
    RESET_LIFETIME,
    ResetLinkInvalid,
    complete_password_reset,
    find_reset,
    member_for_reset,
    request_password_reset,
)
from leadermail.platform.accounts.passwords import MIN_PASSWORD_LENGTH
from leadermail.platform.audit.writer import Actor
from leadermail.platform.web.ratelimit import Step
from leadermail.platform.web.requests import app_context, client_ip, current_tenant

#: Per client address (a whole office may share one), and per e-mail typed.
IP_LIMIT = "20/hour"
EMAIL_LIMIT = "3/hour"
SENT = (
    "如果该邮箱是本信箱工作台的有效账号，我们已向它发送了一封重置密码的邮件，"
    f"邮件中的链接 {int(RESET_LIFETIME.total_seconds() // 60)} 分钟内有效、只能使用一次。"
    "几分钟内没有收到，请检查垃圾邮件，或联系本单位管理员。"
)


def _render(request: Request, template: str, ctx: dict[str, Any], status: int = 200) -> Response:
    return renderer_for(app_context(request)).render(request, template, ctx, status_code=status)


async def forgot(request: Request) -> Response:
    tenant = current_tenant(request)
    context = app_context(request)
    ctx: dict[str, Any] = {"email": "", "errors": {}, "sent": None}
    if request.method == "GET":
        if request.query_params.get("sent"):
            ctx["sent"] = SENT
        return _render(request, "signin/forgot.html", ctx)
    async with request.form() as form:
        email = str(form.get("email", "")).strip().lower()
    ctx["email"] = email
    if "@" not in email or len(email) > 254:
        ctx["errors"] = {"email": "请填写您登录工作台所用的邮箱"}
        return _render(request, "signin/forgot.html", ctx, status=422)
    over = await context.rate_limiter.check(
        Step.hit("console-reset-ip", client_ip(request), IP_LIMIT),
        Step.hit("console-reset-email", email, EMAIL_LIMIT),
    )
    if over is not None:
        ctx["errors"] = {"email": "申请过于频繁，请一小时后再试；如急需登录，请联系本单位管理员"}
        return _render(request, "signin/forgot.html", ctx, status=429)
    async with context.database.core_session() as session:
        user = await member_for_reset(session, email, tenant)
        if user is not None:
            link_base = f"{request.url.scheme}://{request.url.netloc}" + console_url(
                request, "/password/reset/"
            )
            await request_password_reset(
                session,
                user,
                tenant,
                Actor(None, "忘记密码（未登录）", client_ip(request)),
                link_base=link_base,
                secret_key=context.settings.secret_key,
            )
            await session.commit()
    return RedirectResponse(console_url(request, "/password/forgot?sent=1"), status_code=303)


async def reset(request: Request) -> Response:
    """No sign-in: the token is the credential. GET never spends it."""
    tenant = current_tenant(request)
    context = app_context(request)
    token = request.path_params["token"]
    ctx: dict[str, Any] = {"invalid": None, "errors": {}, "min_length": MIN_PASSWORD_LENGTH}
    async with context.database.core_session() as session:
        try:
            _, user = await find_reset(session, token, tenant)
            ctx["email"] = user.email
            if request.method == "GET":
                return _render(request, "signin/reset.html", ctx)
            async with request.form() as form:
                password = str(form.get("password", ""))
                again = str(form.get("password_again", ""))
            try:
                await complete_password_reset(
                    session, token, tenant, password, again, ip_address=client_ip(request)
                )
            except PasswordChangeRefused as refused:
                ctx["errors"] = refused.errors
                return _render(request, "signin/reset.html", ctx, status=422)
            await session.commit()
        except ResetLinkInvalid as invalid:
            ctx["invalid"] = invalid.message
            return _render(request, "signin/reset.html", ctx, status=404)
    sign_out(request)  # whoever this browser was signed in as, start afresh
    flash(request, "新密码已设置，您的所有登录均已失效。请用新密码登录，仍需输入动态验证码。")
    return RedirectResponse(console_url(request, "/login"), status_code=303)


routes = [
    Route("/password/forgot", forgot, methods=["GET", "POST"]),
    Route("/password/reset/{token}", reset, methods=["GET", "POST"]),
]
