"""Resetting a staff member's second factor (lost or replaced phone).

    member, user = await access_staff_member(core, staff, user_id, tenant_id)
    await reset_second_factor(core, staff, actor, member, user, reason="手机遗失")
    await core.commit()

After a reset the user has no TOTP secret: their next password sign-in goes
through the QR enrolment of a new one, and the sessions they already had stop
working, because a session remembers which secret it was signed in with
(``accounts.sessions.session_marker``) and the console compares it on every
request.
Only another admin may do this (``can(staff, Action.RESET_SECOND_FACTOR,
member)``): never oneself, so a stolen session cannot swap the factor.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.models import Membership, Role, User
from leadermail.platform.accounts.policy import Action, StaffMember, StaffUser, can
from leadermail.platform.audit.writer import Actor, record_platform_audit

MAX_REASON_CHARS = 200


class StaffNotFound(LookupError):
    """No such staff member for this admin (missing and forbidden look the same)."""


class ResetRefused(Exception):
    """The reset cannot be done; ``message`` is for the UI."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def access_staff_member(
    session: AsyncSession, staff: StaffUser, user_id: int, tenant_id: int
) -> tuple[StaffMember, User]:
    """An active member of ``tenant_id`` that ``staff`` may reset, else :class:`StaffNotFound`.

    ``session`` is a core session.
    """
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        raise StaffNotFound(user_id)
    memberships = (
        await session.execute(
            select(Membership.tenant_id, Membership.role).where(
                Membership.user_id == user_id, Membership.is_active.is_(True)
            )
        )
    ).all()
    roles = frozenset(role for tenant, role in memberships if tenant == tenant_id)
    if not roles:
        raise StaffNotFound(user_id)
    member = StaffMember(
        user_id=user_id,
        tenant_id=tenant_id,
        roles=roles,
        is_province_admin=any(role == Role.PROVINCE_ADMIN for _, role in memberships),
    )
    if not can(staff, Action.RESET_SECOND_FACTOR, member):
        raise StaffNotFound(user_id)
    return member, user


async def reset_second_factor(
    session: AsyncSession,
    staff: StaffUser,
    actor: Actor,
    member: StaffMember,
    user: User,
    reason: str,
) -> None:
    """Forget ``user``'s TOTP secret; audited on the platform chain with the reason."""
    if not can(staff, Action.RESET_SECOND_FACTOR, member):
        raise ResetRefused("您没有执行此操作的权限")
    reason = " ".join((reason or "").split())
    if not reason:
        raise ResetRefused("请填写重置原因")
    if len(reason) > MAX_REASON_CHARS:
        raise ResetRefused(f"重置原因不能超过 {MAX_REASON_CHARS} 个字")
    had_factor = bool(user.totp_enabled and user.totp_secret)
    user.totp_secret = None
    user.totp_enabled = False
    await record_platform_audit(
        session,
        actor=actor,
        action="staff.totp_reset",
        tenant_id=member.tenant_id,
        object_type="user",
        object_id=user.id,
        data={"reason": reason, "had_second_factor": had_factor},
    )


async def second_factor_states(session: AsyncSession, user_ids: list[int]) -> dict[int, bool]:
    """user id -> whether a TOTP second factor is enrolled (for the staff list)."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(User.id, User.totp_enabled, User.totp_secret).where(User.id.in_(user_ids))
    )
    return {user_id: bool(enabled and secret) for user_id, enabled, secret in rows}
