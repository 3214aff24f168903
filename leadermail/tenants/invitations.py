"""One-time invitations that let a new tenant's first admin set a password.

    invitation, token = await invite_staff(session, tenant_id=7, email="a@x.cn",
                                           display_name="张三", role=Role.TENANT_ADMIN)
    link = invitation_link(settings, tenant, token)   # …/t/<slug>/console/invitation/<token>
    await send_invitation_email(settings, to="a@x.cn", tenant_name=..., link=link)
    user = await accept_invitation(session, token, tenant, "新密码…", "新密码…", ip_address=ip)

Only the SHA-256 of the token is stored, so a copy of the table cannot be
used to sign in; a token works once and for a limited time, and a new
invitation of the same person to the same mailbox spends the older ones.
Accepting sets the password through ``accounts.password_changes.set_password``,
like 修改密码 and 忘记密码: an account that already had a password has its
sessions ended and its open reset links spent, and is told by e-mail.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, ForeignKey, Identity, String, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.accounts.models import Role, User
from leadermail.platform.accounts.password_changes import (
    PasswordChangeRefused,
    new_password_errors,
    set_password,
)
from leadermail.platform.accounts.services import create_user, grant_role
from leadermail.platform.audit.writer import Actor
from leadermail.platform.clock import utcnow
from leadermail.platform.config import Settings
from leadermail.platform.db import CoreBase
from leadermail.platform.notifications.email import send_email
from leadermail.tenants.registry import TenantRef

INVITATION_LIFETIME = timedelta(days=7)
INVALID_INVITATION = "邀请链接无效或已过期，请联系省级管理员重新发送"


class StaffInvitation(CoreBase):
    __tablename__ = "staff_invitations"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(30))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InvitationError(ValueError):
    """The token is unknown, used or expired (Chinese message)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def invite_staff(
    session: AsyncSession,
    *,
    tenant_id: int,
    email: str,
    display_name: str,
    role: Role | str = Role.TENANT_ADMIN,
    phone: str | None = None,
) -> tuple[StaffInvitation, str]:
    """Create (or reuse) the user, grant ``role`` in the tenant, return a fresh token.

    Runs in the caller's core transaction. An existing user keeps their
    password unless they use the link (which sets a new one). The user's
    earlier open invitations to this tenant are spent: only the newest link works.
    """
    email = email.strip().lower()
    user = (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()
    if user is None:
        user = await create_user(session, email=email, display_name=display_name, phone=phone)
    await grant_role(session, user_id=user.id, tenant_id=tenant_id, role=role)
    await session.execute(
        update(StaffInvitation)
        .where(
            StaffInvitation.user_id == user.id,
            StaffInvitation.tenant_id == tenant_id,
            StaffInvitation.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    token = secrets.token_urlsafe(32)
    invitation = StaffInvitation(
        token_hash=_digest(token),
        user_id=user.id,
        tenant_id=tenant_id,
        email=email,
        role=str(role),
        expires_at=utcnow() + INVITATION_LIFETIME,
    )
    session.add(invitation)
    await session.flush()
    return invitation, token


async def find_invitation(
    session: AsyncSession, token: str, *, for_update: bool = False
) -> StaffInvitation:
    query = select(StaffInvitation).where(StaffInvitation.token_hash == _digest(token or ""))
    if for_update:
        # Fresh values under the lock, even if this session read the row before.
        query = query.with_for_update().execution_options(populate_existing=True)
    invitation = (await session.execute(query)).scalar_one_or_none()
    # One message for unknown, used and expired: the link simply no longer works.
    if invitation is None or invitation.used_at is not None or invitation.expires_at < utcnow():
        raise InvitationError(INVALID_INVITATION)
    return invitation


async def accept_invitation(
    session: AsyncSession,
    token: str,
    tenant: TenantRef,
    password: str,
    again: str,
    *,
    ip_address: str,
) -> User:
    """Set the password the invited user chose and burn the token (caller commits).

    ``tenant`` is the invitation's mailbox. Raises :class:`InvitationError`
    (the link no longer works) or ``PasswordChangeRefused`` (the rule or the
    confirmation, per field). The row is locked, so a link submitted twice
    at once is used once.
    """
    invitation = await find_invitation(session, token, for_update=True)
    if invitation.tenant_id != tenant.id:
        raise InvitationError(INVALID_INVITATION)
    user = await session.get(User, invitation.user_id, with_for_update=True)
    if user is None:
        raise InvitationError(INVALID_INVITATION)
    errors = new_password_errors(user, tenant, password, again)
    if errors:
        raise PasswordChangeRefused(errors)
    invitation.used_at = utcnow()
    user.is_active = True
    await set_password(
        session,
        user,
        password,
        actor=Actor(user.id, user.display_name, ip_address),
        tenant=tenant,
        action="staff.invitation_accepted",
    )
    return user


def invitation_link(settings: Settings, tenant: TenantRef, token: str) -> str:
    return f"{settings.base_url}/t/{tenant.slug}/console/invitation/{token}"


async def send_invitation_email(
    settings: Settings, *, to: str, tenant_name: str, link: str
) -> None:
    body = (
        f"您好：\n\n“{tenant_name}”已开通。请在 7 天内打开下面的链接设置管理员密码：\n\n"
        f"{link}\n\n该链接只能使用一次。如非本人申请，请忽略本邮件。\n\n领导信箱平台"
    )
    await send_email(
        settings, to=to, subject=f"【领导信箱平台】{tenant_name} 管理员邀请", body=body
    )
