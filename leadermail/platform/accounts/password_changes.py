"""A staff member changes their own password (修改密码).

    try:
        await change_password(core, user, actor, tenant, current="…", new="…", again="…")
    except PasswordChangeRefused as refused:
        refused.errors        # {"current": "当前密码不正确", "password": "…"}: next to each field
    await core.commit()

:func:`set_password` is what every way of choosing a password ends in (this
form, a 忘记密码 link in ``accounts.password_resets``, and accepting an
invitation in ``tenants.invitations``): the argon2 hash,
``password_changed_at`` (the user's other sessions stop working, see
``accounts.sessions``), every reset link of the user still open spent, the
audit record on the platform chain and, when a password was replaced, the
e-mail that tells the user, added to the outbox in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.models import PasswordReset, User
from leadermail.platform.accounts.passwords import (
    WeakPassword,
    check_new_password,
    hash_password,
    verify_password,
)
from leadermail.platform.audit.writer import Actor, record_platform_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.jobs.outbox import enqueue
from leadermail.tenants.registry import TenantRef

WRONG_CURRENT = "当前密码不正确"
#: The audit code of each way a password is set → the notice e-mail it sends
#: (``notifications.account_jobs.notice_email``).
NOTICE_KINDS = {
    "staff.password_changed": "changed",
    "staff.password_reset": "reset",
    "staff.invitation_accepted": "invitation",
}


class PasswordChangeRefused(Exception):
    """The change is refused; ``errors`` maps each form field to its Chinese message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def new_password_errors(
    user: User, tenant: TenantRef, password: str, again: str
) -> dict[str, str]:
    """The rule and the confirmation, as field → message (empty when both pass)."""
    errors: dict[str, str] = {}
    try:
        check_new_password(password, email=user.email, tenant_slug=tenant.slug)
    except WeakPassword as weak:
        errors["password"] = weak.message
    if password != again:
        errors["password_again"] = "两次输入的新密码不一致"  # noqa: S105 - a message
    return errors


async def set_password(
    session: AsyncSession,
    user: User,
    password: str,
    *,
    actor: Actor,
    tenant: TenantRef,
    action: str,
) -> None:
    """Store ``password`` for ``user`` (already checked) and end their other sessions.

    ``action`` is the audit code, a key of :data:`NOTICE_KINDS`. The user is
    told by e-mail when a password they had is replaced (not when an
    invitation gives an account its first one).
    """
    kind = NOTICE_KINDS[action]
    now = utcnow()
    replaced = user.password_hash is not None
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    spent = await session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    await record_platform_audit(
        session,
        actor=actor,
        action=action,
        tenant_id=tenant.id,
        object_type="user",
        object_id=user.id,
        data={"reset_links_spent": spent.rowcount, "replaced": replaced},
    )
    if replaced:
        enqueue(
            session,
            "send_password_notice",
            tenant_id=tenant.id,
            user_id=user.id,
            kind=kind,
            at=now.isoformat(),
            ip_address=actor.ip_address,
        )


async def change_password(
    session: AsyncSession,
    user: User,
    actor: Actor,
    tenant: TenantRef,
    *,
    current: str,
    new: str,
    again: str,
) -> None:
    """Check every field (all problems at once), then :func:`set_password`.

    ``user`` is a row of ``session`` (a core session); the caller commits.
    """
    errors: dict[str, str] = {}
    if not verify_password(user.password_hash, current):
        errors["current"] = WRONG_CURRENT
    errors.update(new_password_errors(user, tenant, new, again))
    if "password" not in errors and "current" not in errors and new == current:
        errors["password"] = "新密码不能与当前密码相同"  # noqa: S105 - a message
    if errors:
        raise PasswordChangeRefused(errors)
    await set_password(
        session, user, new, actor=actor, tenant=tenant, action="staff.password_changed"
    )
