"""Creating staff users and memberships."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.models import Membership, Role, User
from leadermail.platform.accounts.passwords import check_new_password, hash_password


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    display_name: str,
    password: str | None = None,
    phone: str | None = None,
    office: str | None = None,
) -> User:
    """A staff user; ``password`` only for the demo's and the tests' fixed accounts.

    People choose their own password through an invitation (or 修改密码 /
    忘记密码); a ``password`` given here passes the same rule,
    ``passwords.check_new_password``, or raises ``WeakPassword``.
    """
    email = email.strip().lower()
    if password:
        check_new_password(password, email=email)
    user = User(
        email=email,
        display_name=display_name,
        password_hash=hash_password(password) if password else None,
        phone=phone,
        office=office,
    )
    session.add(user)
    await session.flush()
    return user


async def grant_role(
    session: AsyncSession,
    *,
    user_id: int,
    tenant_id: int,
    role: Role | str,
    unit_id: int | None = None,
) -> Membership:
    role = Role(role)
    existing = (
        await session.execute(
            select(Membership).where(
                Membership.user_id == user_id,
                Membership.tenant_id == tenant_id,
                Membership.role == role,
            )
        )
    ).scalar_one_or_none()
    if existing is not None:
        existing.unit_id = unit_id
        existing.is_active = True
        return existing
    membership = Membership(user_id=user_id, tenant_id=tenant_id, role=role, unit_id=unit_id)
    session.add(membership)
    await session.flush()
    return membership
