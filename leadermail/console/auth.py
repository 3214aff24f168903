"""The signed-in staff member of the current request.

Sign-in methods (password + TOTP, OIDC, client certificate) all end in
:func:`sign_in`, which stores the user id in the signed session cookie; every
console view then calls :func:`require_staff`::

    staff = await require_staff(request, Action.ACCEPT)

Membership is looked up in the *request's* tenant on every request, so a
session from tenant A gives nothing in tenant B.
"""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request

from leadermail.platform.accounts.models import Membership, User
from leadermail.platform.accounts.policy import Action, StaffUser, role_allows
from leadermail.platform.accounts.sessions import session_marker
from leadermail.platform.accounts.totp_secrets import SealBroken, read_totp_secret
from leadermail.platform.letters.access import LetterNotFound, access_letter_by_id
from leadermail.platform.letters.models import Letter
from leadermail.platform.web.requests import app_context, client_ip, current_tenant

SESSION_USER = "staff_user_id"
SESSION_SIGNED_IN_AT = "staff_signed_in_at"
#: What the session remembers of the credentials it signed in with
#: (``accounts.sessions.session_marker``): after an admin resets the second
#: factor, or the password is changed or reset, it no longer matches and the
#: session stops working. The key keeps its first name ("second factor"), so
#: the sessions signed in before passwords joined the marker go on.
SESSION_CREDENTIALS = "staff_second_factor"
#: Whether the sign-in passed the user's TOTP code (absent in sessions from
#: before it was stored: those had a marker exactly when they passed it).
SESSION_PASSED_TOTP = "staff_passed_totp"
#: Idle sessions end after this many seconds (the cookie itself lives 8 h).
SESSION_MAX_AGE = 8 * 3600


class SignInRequired(HTTPException):
    """Raised for anonymous visitors; the console turns it into a redirect to
    the sign-in page that comes back to the page asked for."""

    def __init__(self, next_url: str | None = None) -> None:
        super().__init__(status_code=401, detail="请先登录")
        #: Where to come back to after sign-in (default: the page asked for;
        #: a POST comes back to the page its form was on).
        self.next_url = next_url


#: Text typed into a reply editor when the session had expired, kept through
#: the sign-in so the work is not lost: {"letter_id": ..., "body": ...}.
SESSION_PENDING_DRAFT = "pending_reply_draft"


def _passed_totp(request: Request) -> bool:
    passed = request.session.get(SESSION_PASSED_TOTP)
    if passed is None:
        return request.session.get(SESSION_CREDENTIALS) is not None
    return bool(passed)


def _marker(request: Request, user: User, passed_totp: bool) -> str | None:
    secret = None
    if passed_totp:
        try:
            secret = read_totp_secret(user, app_context(request).settings.secret_key)
        except SealBroken:  # SECRET_KEY rotated: the factor is unreadable, as if reset
            secret = None
    return session_marker(user, secret, second_factor=passed_totp)


def _remember_credentials(request: Request, user: User, passed_totp: bool) -> None:
    request.session[SESSION_PASSED_TOTP] = passed_totp
    marker = _marker(request, user, passed_totp)
    if marker is None:
        request.session.pop(SESSION_CREDENTIALS, None)
    else:
        request.session[SESSION_CREDENTIALS] = marker


def sign_in(request: Request, user: User, *, passed_totp: bool = False) -> None:
    """Start a session of ``user``; ``passed_totp``: the sign-in checked their TOTP code."""
    # A fresh session on sign-in: nothing from before (CSRF secret, half-done
    # sign-in steps) survives, which defeats session fixation. Only a reply
    # draft rescued from an expired session is carried over (it is data the
    # user typed, not a credential).
    pending_draft = request.session.get(SESSION_PENDING_DRAFT)
    request.session.clear()
    request.session[SESSION_USER] = user.id
    request.session[SESSION_SIGNED_IN_AT] = int(time.time())
    _remember_credentials(request, user, passed_totp)
    if isinstance(pending_draft, dict):
        request.session[SESSION_PENDING_DRAFT] = pending_draft


def sign_out(request: Request) -> None:
    request.session.clear()


def keep_session(request: Request, user: User) -> None:
    """After ``user`` changed their own password in this session: it goes on
    (their other sessions end, as their markers no longer match)."""
    _remember_credentials(request, user, _passed_totp(request))


async def current_staff(request: Request) -> StaffUser | None:
    cached = getattr(request.state, "staff", None)
    if cached is not None:
        return cached
    user_id = request.session.get(SESSION_USER)
    signed_in_at = request.session.get(SESSION_SIGNED_IN_AT, 0)
    if not user_id or time.time() - signed_in_at > SESSION_MAX_AGE:
        return None
    tenant = current_tenant(request)
    context = app_context(request)
    async with context.database.core_session() as session:
        user = await session.get(User, user_id)
        if user is None or not user.is_active:
            return None
        if request.session.get(SESSION_CREDENTIALS) != _marker(
            request, user, _passed_totp(request)
        ):
            return None  # the second factor was reset, or the password changed, since
        memberships = (
            await session.execute(
                select(Membership).where(
                    Membership.user_id == user_id,
                    Membership.tenant_id == tenant.id,
                    Membership.is_active.is_(True),
                )
            )
        ).scalars().all()
    if not memberships:
        return None
    unit_ids = [m.unit_id for m in memberships if m.unit_id is not None]
    staff = StaffUser(
        user_id=user.id,
        display_name=user.display_name,
        email=user.email,
        tenant=tenant,
        roles=frozenset(m.role for m in memberships),
        unit_id=unit_ids[0] if unit_ids else None,
    )
    request.state.staff = staff
    return staff


async def require_staff(request: Request, action: Action | None = None) -> StaffUser:
    """The signed-in member of this tenant, allowed to do ``action`` (if given)."""
    staff = await current_staff(request)
    if staff is None:
        raise SignInRequired()
    if action is not None and not role_allows(staff.roles, action):
        raise HTTPException(status_code=403, detail="您没有执行此操作的权限")
    return staff


async def letter_or_404(
    request: Request, session: AsyncSession, staff: StaffUser, *, for_update: bool = False
) -> Letter:
    """The letter of the URL's ``letter_id``, as this staff member may see it
    (``access_letter_by_id``: reading a 举报 is audited with the client's
    address), or 404 — the same for a missing letter and someone else's."""
    try:
        return await access_letter_by_id(
            session,
            staff,
            request.path_params["letter_id"],
            ip_address=client_ip(request),
            for_update=for_update,
        )
    except LetterNotFound as exc:
        raise HTTPException(404, "来信不存在") from exc
