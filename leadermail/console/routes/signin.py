"""Sign-in: local password + TOTP (with QR enrolment), or the province's OIDC.

    GET/POST /console/login          e-mail + password (step 1)
    GET/POST /console/login/totp     6-digit code (step 2), or enrolment by QR
    GET      /console/login/oidc     → the identity provider
    GET      /console/login/oidc/callback
    POST     /console/logout

Attempts are rate limited per client IP and per account (``console.attempts``).
A failed step never says whether the e-mail exists. The TOTP secret is read
and written sealed (``accounts.totp_secrets``); one still in clear from
before revision 0009 is sealed at the user's next sign-in.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.base_client import OAuthError
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from leadermail.console.attempts import TOO_MANY, too_many_attempts
from leadermail.console.auth import current_staff, sign_in, sign_out
from leadermail.console.flash import console_url
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts import totp
from leadermail.platform.accounts.models import Membership, User
from leadermail.platform.accounts.oidc import OIDCRefused, oidc_client, resolve_oidc_user
from leadermail.platform.accounts.passwords import hash_password, needs_rehash, verify_password
from leadermail.platform.accounts.totp_secrets import (
    SealBroken,
    needs_sealing,
    read_totp_secret,
    store_totp_secret,
)
from leadermail.platform.audit.writer import Actor, record_platform_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.web.requests import app_context, client_ip, current_tenant

PENDING = "signin_pending"  # {"user_id", "next", "at", "enrol_secret"?}
PENDING_TTL = 300
GENERIC_ERROR = "邮箱、密码或验证码不正确"
#: A TOTP secret sealed under another SECRET_KEY.
UNREADABLE_FACTOR = (
    "无法读取您绑定的动态验证码（服务器密钥已更换），请联系本单位管理员重置动态验证码后重新绑定"
)


def _safe_next(request: Request, value: str | None) -> str:
    """Only paths inside this console: never an open redirect."""
    default = console_url(request, "/inbox")
    if not value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return default
    if not parts.path.startswith(console_url(request, "/")):
        return default
    return value


def _page(request: Request, template: str, ctx: dict[str, Any], status: int = 200) -> Response:
    return renderer_for(app_context(request)).render(request, template, ctx, status_code=status)


async def _member_user(request: Request, email: str) -> User | None:
    tenant = current_tenant(request)
    async with app_context(request).database.core_session() as session:
        return (
            await session.execute(
                select(User)
                .join(Membership, Membership.user_id == User.id)
                .where(
                    User.email == email,
                    User.is_active.is_(True),
                    Membership.tenant_id == tenant.id,
                    Membership.is_active.is_(True),
                )
                .limit(1)
            )
        ).scalar_one_or_none()


async def _finish(request: Request, user_id: int, method: str, next_url: str) -> Response:
    context = app_context(request)
    tenant = current_tenant(request)
    async with context.database.core_session() as session:
        user = await session.get(User, user_id)
        assert user is not None
        user.last_login_at = utcnow()
        if needs_sealing(user):  # a secret in clear from before revision 0009
            store_totp_secret(user, user.totp_secret, context.settings.secret_key)
        await record_platform_audit(
            session,
            actor=Actor(user.id, user.display_name, client_ip(request)),
            action="staff.sign_in",
            tenant_id=tenant.id,
            object_type="user",
            object_id=user.id,
            data={"method": method},
        )
        await session.commit()
    # Only a TOTP sign-in is tied to the secret it passed; OIDC and
    # certificates bring their own second factor.
    sign_in(request, user, passed_totp=method == "password+totp")
    return RedirectResponse(_safe_next(request, next_url), status_code=303)


async def login(request: Request) -> Response:
    current_tenant(request)
    context = app_context(request)
    next_url = request.query_params.get("next", "")
    ctx: dict[str, Any] = {
        "next": next_url,
        "email": "",
        "error": None,
        "oidc": oidc_client(context.settings) is not None,
    }
    if request.method == "GET":
        if await current_staff(request) is not None:
            return RedirectResponse(_safe_next(request, next_url), status_code=303)
        return _page(request, "signin/login.html", ctx)
    async with request.form() as form:
        email = str(form.get("email", "")).strip().lower()
        password = str(form.get("password", ""))
        next_url = str(form.get("next", ""))
    ctx.update(email=email, next=next_url)
    if await too_many_attempts(request, email):
        ctx["error"] = TOO_MANY
        return _page(request, "signin/login.html", ctx, status=429)
    user = await _member_user(request, email)
    if user is None or not verify_password(user.password_hash, password):
        ctx["error"] = GENERIC_ERROR
        return _page(request, "signin/login.html", ctx, status=400)
    if user.password_hash and needs_rehash(user.password_hash):
        async with context.database.core_session() as session:
            fresh = await session.get(User, user.id)
            if fresh is not None:
                fresh.password_hash = hash_password(password)
                await session.commit()
    pending: dict[str, Any] = {"user_id": user.id, "next": next_url, "at": int(time.time())}
    if not (user.totp_enabled and user.totp_secret):
        pending["enrol_secret"] = totp.new_secret()
    request.session[PENDING] = pending
    return RedirectResponse(console_url(request, "/login/totp"), status_code=303)


async def login_totp(request: Request) -> Response:
    tenant = current_tenant(request)
    context = app_context(request)
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_TTL:
        request.session.pop(PENDING, None)
        return RedirectResponse(console_url(request, "/login"), status_code=303)
    async with context.database.core_session() as session:
        user = await session.get(User, pending["user_id"])
    if user is None or not user.is_active:
        request.session.pop(PENDING, None)
        return RedirectResponse(console_url(request, "/login"), status_code=303)
    enrol_secret = pending.get("enrol_secret")
    ctx: dict[str, Any] = {
        "error": None,
        "enrol": bool(enrol_secret),
        "qr_svg": None,
        "secret": None,
    }
    if enrol_secret:
        uri = totp.provisioning_uri(enrol_secret, user.email, issuer=f"{tenant.name}工作台")
        ctx.update(qr_svg=totp.qr_svg(uri), secret=enrol_secret)
    if request.method == "GET":
        return _page(request, "signin/totp.html", ctx)
    async with request.form() as form:
        code = totp.normalise_code(str(form.get("code", "")))
    if await too_many_attempts(request, user.email):
        ctx["error"] = TOO_MANY
        return _page(request, "signin/totp.html", ctx, status=429)
    try:
        secret = enrol_secret or read_totp_secret(user, context.settings.secret_key)
    except SealBroken:
        # Sealed under another SECRET_KEY: no code can be checked, and
        # enrolling anew on the password alone would bypass the factor.
        ctx["error"] = UNREADABLE_FACTOR
        return _page(request, "signin/totp.html", ctx, status=409)
    # A code works once: remember it for the window in which it is valid.
    fresh_code = (
        await context.redis.set(f"leadermail:totp-used:{user.id}:{code}", "1", nx=True, ex=120)
        if totp.verify_code(secret, code)
        else False
    )
    if not fresh_code:
        ctx["error"] = GENERIC_ERROR
        return _page(request, "signin/totp.html", ctx, status=400)
    if enrol_secret:
        async with context.database.core_session() as session:
            fresh = await session.get(User, user.id)
            assert fresh is not None
            store_totp_secret(fresh, enrol_secret, context.settings.secret_key)
            fresh.totp_enabled = True
            await record_platform_audit(
                session,
                actor=Actor(user.id, user.display_name, client_ip(request)),
                action="staff.totp_enrolled",
                tenant_id=tenant.id,
                object_type="user",
                object_id=user.id,
            )
            await session.commit()
    return await _finish(request, user.id, "password+totp", str(pending.get("next", "")))


async def login_oidc(request: Request) -> Response:
    current_tenant(request)
    client = oidc_client(app_context(request).settings)
    if client is None:
        return RedirectResponse(console_url(request, "/login"), status_code=303)
    if await too_many_attempts(request, "oidc"):
        return _page(
            request,
            "signin/login.html",
            {"next": "", "email": "", "oidc": True, "error": "尝试次数过多，请稍后再试"},
            status=429,
        )
    request.session["oidc_next"] = request.query_params.get("next", "")
    callback = f"{request.url.scheme}://{request.url.netloc}" + console_url(
        request, "/login/oidc/callback"
    )
    return await client.authorize_redirect(request, callback)


async def oidc_callback(request: Request) -> Response:
    current_tenant(request)
    context = app_context(request)
    client = oidc_client(context.settings)
    if client is None:
        return RedirectResponse(console_url(request, "/login"), status_code=303)
    ctx: dict[str, Any] = {"next": "", "email": "", "oidc": True, "error": None}
    try:
        token = await client.authorize_access_token(request)
    except OAuthError:
        ctx["error"] = "统一身份认证未完成，请重试"
        return _page(request, "signin/login.html", ctx, status=400)
    claims = dict(token.get("userinfo") or {})
    assert context.settings.oidc_issuer is not None
    try:
        async with context.database.core_session() as session:
            user, linked = await resolve_oidc_user(session, context.settings.oidc_issuer, claims)
            if linked:
                await record_platform_audit(
                    session,
                    actor=Actor(user.id, user.display_name, client_ip(request)),
                    action="staff.oidc_linked",
                    object_type="user",
                    object_id=user.id,
                    data={"issuer": context.settings.oidc_issuer, "sub": claims.get("sub")},
                )
            await session.commit()
            user_id, email = user.id, user.email
    except OIDCRefused as refused:
        ctx["error"] = refused.message
        return _page(request, "signin/login.html", ctx, status=403)
    if await _member_user(request, email) is None:
        ctx["error"] = "您在本信箱没有工作台账号，请联系本单位管理员"
        return _page(request, "signin/login.html", ctx, status=403)
    return await _finish(request, user_id, "oidc", str(request.session.get("oidc_next", "")))


async def logout(request: Request) -> Response:
    sign_out(request)
    return RedirectResponse(console_url(request, "/login"), status_code=303)


async def home(request: Request) -> Response:
    return RedirectResponse(console_url(request, "/inbox"), status_code=303)


routes = [
    Route("/", home),
    Route("/login", login, methods=["GET", "POST"]),
    Route("/login/totp", login_totp, methods=["GET", "POST"]),
    Route("/login/oidc", login_oidc),
    Route("/login/oidc/callback", oidc_callback),
    Route("/logout", logout, methods=["POST"]),
]
