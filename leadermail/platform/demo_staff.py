"""The demo staff: one account per role in every demo tenant
(``<role>@<slug>.demo``) and the province admin, all with :data:`DEMO_PASSWORD`::

    await ensure_demo_staff(context, tenant)
    await ensure_province_admin(context, tenants["hunan"])
    cast = await demo_cast(context, tenant)  # who makes the letters' history
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.models import Role, User
from leadermail.platform.accounts.passwords import hash_password, verify_password
from leadermail.platform.accounts.policy import StaffUser
from leadermail.platform.accounts.services import create_user, grant_role
from leadermail.platform.context import AppContext
from leadermail.platform.demo_history import Cast
from leadermail.platform.letters.models import Unit
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session

#: Printed by ``leadermail demo``; passes ``check_new_password`` for every demo
#: account (the one before contained "leader", an account's local part).
DEMO_PASSWORD = "Demo-2026-xinfang"  # noqa: S105 - printed for the demo

#: (role, local part of the e-mail, display name)
DEMO_STAFF: tuple[tuple[str, str, str], ...] = (
    (Role.TENANT_ADMIN, "admin", "信箱管理员"),
    (Role.REGISTRAR, "registrar", "登记员小李"),
    (Role.HANDLER, "handler", "承办人老王"),
    (Role.LEADER, "leader", "分管领导"),
    (Role.SUPERVISOR, "supervisor", "督办员小陈"),
)


async def ensure_demo_staff(context: AppContext, tenant: TenantRef) -> None:
    """The demo accounts of ``tenant`` (``<role>@<slug>.demo``), once."""
    async with tenant_session(context.database, tenant) as tenant_db:
        first_unit = (
            await tenant_db.execute(select(Unit.id).order_by(Unit.id).limit(1))
        ).scalar_one_or_none()
    async with context.database.core_session() as session:
        for role, local, display in DEMO_STAFF:
            user = await _demo_user(session, f"{local}@{tenant.slug}.demo", display)
            await grant_role(
                session,
                user_id=user.id,
                tenant_id=tenant.id,
                role=role,
                unit_id=first_unit if role == Role.HANDLER else None,
            )
        await session.commit()


async def ensure_province_admin(context: AppContext, province: TenantRef) -> None:
    async with context.database.core_session() as session:
        admin = await _demo_user(session, "province@hunan.demo", "省平台管理员")
        await grant_role(session, user_id=admin.id, tenant_id=province.id, role=Role.PROVINCE_ADMIN)
        await grant_role(session, user_id=admin.id, tenant_id=province.id, role=Role.TENANT_ADMIN)
        await session.commit()


async def _demo_user(session: AsyncSession, email: str, display_name: str) -> User:
    user = (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()
    if user is None:
        user = await create_user(
            session, email=email, display_name=display_name, password=DEMO_PASSWORD
        )
    elif not verify_password(user.password_hash, DEMO_PASSWORD):
        # The printed password must work: a demo built with an earlier one
        # (or a demo password changed in the console) gets it back.
        user.password_hash = hash_password(DEMO_PASSWORD)
    return user


async def demo_cast(context: AppContext, tenant: TenantRef) -> Cast:
    """The demo staff of ``tenant`` who make its letters' history."""
    async with context.database.core_session() as session:
        users = {
            user.email: user
            for user in (
                await session.execute(select(User).where(User.email.like(f"%@{tenant.slug}.demo")))
            ).scalars()
        }

    roles = {local: role for role, local, _ in DEMO_STAFF}

    def staff(local: str) -> StaffUser:
        user = users[f"{local}@{tenant.slug}.demo"]
        return StaffUser(user.id, user.display_name, user.email, tenant, frozenset({roles[local]}))

    return Cast(
        registrar=staff("registrar"),
        drafter=staff("admin"),
        leader=staff("leader"),
        supervisor=staff("supervisor"),
    )
