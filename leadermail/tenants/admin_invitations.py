"""A mailbox's admins (信箱管理员), and inviting one to a mailbox that exists.

    errors = invitation_problems(name, email)          # field → message, all at once
    run = await request_admin_invitation(session, tenant_row, email="a@x.cn", name="张三",
                                         actor=actor, request_key=form_key)
    await session.commit()    # the worker sends the invitation: run.id's progress page
    admins = await mailbox_admins(session, tenant_id)

A mailbox opened without an admin e-mail, an admin who lost the mail or let
it expire, a new admin after a change of staff: each is one more
provisioning run of only the invitation step (``tenants.provisioning_runs``), so the
e-mail goes out the one way it does when a mailbox is opened (after the
commit, by the worker), its progress page says whether it went, and a mail
server fault is retried with that page's 重新发送邀请邮件. The newest link
is the only one that works (``invitations.invite_staff``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.models import Membership, Role, User
from leadermail.platform.audit.writer import Actor, record_platform_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.letters.validation import normalize_email
from leadermail.tenants.invitations import StaffInvitation
from leadermail.tenants.models import Tenant, TenantStatus
from leadermail.tenants.provisioning import TenantSpec
from leadermail.tenants.provisioning_runs import (
    INVITATION_KEY_PREFIX,
    ProvisioningRun,
    queue_run,
    run_of_request,
)

NAME_MAX = 50

#: What the admins list says of each state (see :attr:`MailboxAdmin.state`).
ADMIN_STATE_LABELS = {
    "ready": "可以登录",
    "invited": "已邀请，等待设置密码",
    "expired": "邀请已过期，未设置密码",
    "not_invited": "未设置密码",
    "inactive": "账号已停用",
}


@dataclass(frozen=True)
class MailboxAdmin:
    user_id: int
    name: str
    email: str
    is_active: bool
    can_sign_in: bool
    #: The newest invitation to this mailbox: when it runs out, and whether it was used.
    invited_until: datetime | None
    invitation_used: bool

    @property
    def state(self) -> str:
        if not self.is_active:
            return "inactive"
        if self.can_sign_in:
            return "ready"
        if self.invited_until is None or self.invitation_used:
            return "not_invited"
        return "invited" if self.invited_until > utcnow() else "expired"

    @property
    def state_label(self) -> str:
        return ADMIN_STATE_LABELS[self.state]


def invitation_problems(name: str, email: str) -> dict[str, str]:
    """Field → message for the invitation form (empty when both are fine)."""
    errors: dict[str, str] = {}
    if not name.strip():
        errors["admin_name"] = "请填写管理员姓名"
    elif len(name.strip()) > NAME_MAX:
        errors["admin_name"] = f"姓名不能超过 {NAME_MAX} 个字"
    if not email.strip():
        errors["admin_email"] = "请填写管理员邮箱，邀请邮件将发到这里"
    elif normalize_email(email) is None:
        errors["admin_email"] = "邮箱格式不正确，例如 wang@county.gov.cn"
    return errors


def tenant_problem(tenant: Tenant) -> str | None:
    """Why no admin can be invited to ``tenant`` now, or None."""
    if tenant.status == TenantStatus.DISABLED:
        return "该信箱已停用，重新启用后才能邀请管理员"
    if tenant.status != TenantStatus.ACTIVE:
        return "该信箱还在开通中，开通完成后才能邀请管理员"
    return None


async def request_admin_invitation(
    session: AsyncSession,
    tenant: Tenant,
    *,
    email: str,
    name: str,
    actor: Actor,
    request_key: str,
) -> ProvisioningRun:
    """The invitation run of ``request_key``: queued now, or the one already queued.

    Checked first with :func:`invitation_problems` and :func:`tenant_problem`;
    the caller commits. A double submit of the form is one run and one mail.
    """
    address = normalize_email(email)
    if address is None:
        raise ValueError(f"not an e-mail address: {email!r}")
    key = f"{INVITATION_KEY_PREFIX}{request_key}"
    inserted = await queue_run(
        session,
        request_key=key,
        spec=TenantSpec(
            slug=tenant.slug,
            name=tenant.name,
            kind=tenant.kind,
            parent_id=tenant.parent_id,
            theme=tenant.theme,
        ),
        actor=actor,
        admin_email=address,
        admin_name=name.strip(),
        tenant_id=tenant.id,
    )
    if inserted is not None:
        await record_platform_audit(
            session,
            actor=actor,
            action="tenant.admin_invited",
            tenant_id=tenant.id,
            object_type="provisioning_run",
            object_id=inserted,
            data={"email": address.lower(), "name": name.strip()},
        )
    return await run_of_request(session, key)


async def mailbox_admins(session: AsyncSession, tenant_id: int) -> list[MailboxAdmin]:
    """The mailbox's admins (active memberships), with where each one's invitation stands."""
    users = (
        (
            await session.execute(
                select(User)
                .join(Membership, Membership.user_id == User.id)
                .where(
                    Membership.tenant_id == tenant_id,
                    Membership.role == Role.TENANT_ADMIN,
                    Membership.is_active.is_(True),
                )
                .order_by(User.display_name, User.id)
            )
        )
        .scalars()
        .all()
    )
    newest: dict[int, StaffInvitation] = {}
    invitations = await session.execute(
        select(StaffInvitation)
        .where(
            StaffInvitation.tenant_id == tenant_id,
            StaffInvitation.user_id.in_([user.id for user in users]),
        )
        .order_by(StaffInvitation.created_at, StaffInvitation.id)
    )
    for invitation in invitations.scalars():
        newest[invitation.user_id] = invitation
    return [
        MailboxAdmin(
            user_id=user.id,
            name=user.display_name,
            email=user.email,
            is_active=user.is_active,
            can_sign_in=bool(user.password_hash or user.oidc_subject),
            invited_until=newest[user.id].expires_at if user.id in newest else None,
            invitation_used=user.id in newest and newest[user.id].used_at is not None,
        )
        for user in users
    ]


async def invitation_runs(session: AsyncSession, tenant_id: int) -> list[ProvisioningRun]:
    """The mailbox's runs that sent (or try to send) an invitation, newest first."""
    return list(
        (
            await session.execute(
                select(ProvisioningRun)
                .where(
                    ProvisioningRun.tenant_id == tenant_id,
                    ProvisioningRun.admin_email.is_not(None),
                )
                .order_by(ProvisioningRun.id.desc())
                .limit(10)
            )
        ).scalars()
    )
