"""忘记密码: a single-use link, valid 30 minutes, sent to the staff member's e-mail.

    await request_password_reset(core, user, tenant, actor, link_base=…, secret_key=…)
    await core.commit()       # the e-mail job is in the outbox now
    ...
    reset = await find_reset(core, token)                     # or ResetLinkInvalid
    user = await complete_password_reset(core, token, tenant, "新密码…", "新密码…", ip_address=…)

Only the SHA-256 of a token is stored. The raw token reaches the e-mail job
sealed in the outbox row (like a letter's query password, see
``notifications.jobs``), and the job scrubs it from the row once sent.
Using a link sets the password through ``password_changes.set_password``:
the link and every other open link of the user are spent, every session of
the user ends, and the next sign-in still asks for the TOTP code — a reset
replaces the password, never the second factor.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.models import Membership, PasswordReset, User
from leadermail.platform.accounts.password_changes import (
    PasswordChangeRefused,
    new_password_errors,
    set_password,
)
from leadermail.platform.audit.writer import Actor, record_platform_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.jobs.outbox import enqueue
from leadermail.platform.sealing import Sealer
from leadermail.tenants.registry import TenantRef

RESET_LIFETIME = timedelta(minutes=30)
TOKEN_PURPOSE = "password-reset-token"  # noqa: S105 - a sealing label
INVALID_LINK = "该链接无效、已经使用过或已过期（链接在发送后 30 分钟内有效，且只能使用一次）"


class ResetLinkInvalid(LookupError):
    """Unknown, used, expired, or its account can no longer sign in here (one answer)."""

    message = INVALID_LINK


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _bound_to(reset_id: int) -> str:
    return f"password-reset:{reset_id}"


def open_reset_token(sealed: str, reset_id: int, secret_key: str) -> str:
    """The raw token the e-mail job puts in the link (raises ``SealBroken``)."""
    return Sealer(secret_key, TOKEN_PURPOSE).open(sealed, bound_to=_bound_to(reset_id))


async def member_for_reset(session: AsyncSession, email: str, tenant: TenantRef) -> User | None:
    """The active user with this e-mail who is an active member of ``tenant``."""
    return (
        await session.execute(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                User.email == email.strip().lower(),
                User.is_active.is_(True),
                Membership.tenant_id == tenant.id,
                Membership.is_active.is_(True),
            )
            .limit(1)
        )
    ).scalar_one_or_none()


async def request_password_reset(
    session: AsyncSession,
    user: User,
    tenant: TenantRef,
    actor: Actor,
    *,
    link_base: str,
    secret_key: str,
) -> PasswordReset | None:
    """Issue a link for ``user`` (from :func:`member_for_reset`) and queue its e-mail.

    ``link_base`` is the console address the request came from, ending in
    ``/password/reset/``. A user without a password (OIDC only, or an
    invitation not yet accepted) gets no link, only an e-mail saying how they
    sign in: a link would give the account a password it never had.
    """
    if not user.password_hash:
        enqueue(
            session,
            "send_password_notice",
            tenant_id=tenant.id,
            user_id=user.id,
            kind="no_password",
            at=utcnow().isoformat(),
            ip_address=actor.ip_address,
        )
        return None
    token = secrets.token_urlsafe(32)
    now = utcnow()
    reset = PasswordReset(
        token_hash=token_digest(token),
        user_id=user.id,
        tenant_id=tenant.id,
        created_at=now,
        expires_at=now + RESET_LIFETIME,
    )
    session.add(reset)
    await session.flush()
    await record_platform_audit(
        session,
        actor=actor,
        action="staff.password_reset_requested",
        tenant_id=tenant.id,
        object_type="user",
        object_id=user.id,
        data={"reset_id": reset.id},
    )
    enqueue(
        session,
        "send_password_reset_email",
        tenant_id=tenant.id,
        reset_id=reset.id,
        link_base=link_base,
        sealed_token=Sealer(secret_key, TOKEN_PURPOSE).seal(token, bound_to=_bound_to(reset.id)),
    )
    return reset


async def find_reset(
    session: AsyncSession, token: str, tenant: TenantRef, *, for_update: bool = False
) -> tuple[PasswordReset, User]:
    """The open link of ``token`` for this mailbox and its user, else :class:`ResetLinkInvalid`."""
    query = select(PasswordReset).where(PasswordReset.token_hash == token_digest(token or ""))
    if for_update:
        # Fresh values under the lock, even if this session read the row before.
        query = query.with_for_update().execution_options(populate_existing=True)
    reset = (await session.execute(query)).scalar_one_or_none()
    if (
        reset is None
        or reset.tenant_id != tenant.id
        or reset.used_at is not None
        or reset.expires_at <= utcnow()
    ):
        raise ResetLinkInvalid(token)
    user = await session.get(
        User, reset.user_id, with_for_update=for_update, populate_existing=for_update
    )
    if user is None or not user.is_active or not user.password_hash:
        raise ResetLinkInvalid(token)
    if await member_for_reset(session, user.email, tenant) is None:
        raise ResetLinkInvalid(token)
    return reset, user


async def complete_password_reset(
    session: AsyncSession,
    token: str,
    tenant: TenantRef,
    password: str,
    again: str,
    *,
    ip_address: str,
) -> User:
    """Set the new password through the link; the caller commits.

    Raises :class:`ResetLinkInvalid` (the link no longer works) or
    ``PasswordChangeRefused`` (the rule or the confirmation, per field).
    The row is locked, so two submissions of one link cannot both succeed.
    """
    reset, user = await find_reset(session, token, tenant, for_update=True)
    errors = new_password_errors(user, tenant, password, again)
    if errors:
        raise PasswordChangeRefused(errors)
    reset.used_at = utcnow()
    await set_password(
        session,
        user,
        password,
        actor=Actor(user.id, user.display_name, ip_address),
        tenant=tenant,
        action="staff.password_reset",
    )
    return user
