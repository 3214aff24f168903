"""Staff sign-in through the province's OpenID Connect identity provider.

    client = oidc_client(settings)            # None when OIDC is not configured
    return await client.authorize_redirect(request, callback_url)
    ...
    token = await client.authorize_access_token(request)   # checks state, nonce, id_token
    user = await resolve_oidc_user(session, settings.oidc_issuer, token["userinfo"])

authlib does the protocol (discovery, PKCE-less code flow with state and
nonce, ID token signature/issuer/audience checks).

Which account a sign-in maps to — the decision:

1. A user already linked to ``(issuer, sub)`` is that user.
2. Otherwise, if the IdP says the e-mail is verified (``email_verified`` is
   true) and it matches a *registered* staff user who has no OIDC link yet,
   that user is linked to ``(issuer, sub)`` once, and the link is audited.
3. Otherwise: refused. No account is ever created from an IdP login: being in
   the province directory does not make someone staff of a mailbox; a tenant
   admin registers staff (and grants roles) first.

Membership in the request's tenant is checked afterwards like for any sign-in.
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.models import User
from leadermail.platform.config import Settings

_clients: dict[tuple[str, str], StarletteOAuth2App] = {}


def oidc_configured(settings: Settings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_client_id and settings.oidc_client_secret)


def oidc_client(settings: Settings) -> StarletteOAuth2App | None:
    """The authlib client for the configured provider (one per issuer/client)."""
    if not oidc_configured(settings):
        return None
    assert settings.oidc_issuer is not None and settings.oidc_client_id is not None
    key = (settings.oidc_issuer, settings.oidc_client_id)
    client = _clients.get(key)
    if client is None:
        oauth = OAuth()
        client = oauth.register(
            name="province",
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            server_metadata_url=settings.oidc_issuer.rstrip("/")
            + "/.well-known/openid-configuration",
            client_kwargs={"scope": "openid email profile"},
        )
        _clients[key] = client
    return client


class OIDCRefused(Exception):
    """The IdP account maps to no staff user; ``message`` is for the sign-in page."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def resolve_oidc_user(
    session: AsyncSession, issuer: str, claims: dict[str, Any]
) -> tuple[User, bool]:
    """The staff user for these ID-token claims and whether it was just linked."""
    subject = str(claims.get("sub") or "")
    if not subject:
        raise OIDCRefused("身份认证平台没有返回用户标识")
    user = (
        await session.execute(
            select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject)
        )
    ).scalar_one_or_none()
    if user is not None:
        if not user.is_active:
            raise OIDCRefused("该账号已停用")
        return user, False
    email = str(claims.get("email") or "").strip().lower()
    if not email or claims.get("email_verified") is not True:
        raise OIDCRefused("该统一身份账号尚未与工作台账号关联，请联系本单位管理员")
    user = (
        await session.execute(select(User).where(User.email == email).with_for_update())
    ).scalar_one_or_none()
    if user is None or not user.is_active:
        raise OIDCRefused("该统一身份账号尚未与工作台账号关联，请联系本单位管理员")
    if user.oidc_subject is not None:
        # Linked to another IdP identity already: never re-link silently.
        raise OIDCRefused("该工作台账号已关联其他统一身份账号，请联系本单位管理员")
    user.oidc_issuer = issuer
    user.oidc_subject = subject
    return user, True
