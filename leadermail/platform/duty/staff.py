"""Who can be put on a tenant's rota: its active staff (shared schema)."""

from __future__ import annotations

from sqlalchemy import select

from leadermail.platform.accounts.models import Membership, Role, User
from leadermail.platform.db import Database
from leadermail.platform.duty.rota import StaffRef

#: Roles that take duty shifts (handlers work in their units, leaders instruct).
DUTY_ROLES = (Role.REGISTRAR, Role.TENANT_ADMIN, Role.SUPERVISOR)


async def duty_staff(database: Database, tenant_id: int) -> list[StaffRef]:
    async with database.core_session() as session:
        rows = (
            await session.execute(
                select(User.id, User.display_name)
                .join(Membership, Membership.user_id == User.id)
                .where(
                    Membership.tenant_id == tenant_id,
                    Membership.is_active.is_(True),
                    Membership.role.in_(DUTY_ROLES),
                    User.is_active.is_(True),
                )
                .distinct()
                .order_by(User.display_name, User.id)
            )
        ).all()
    return [StaffRef(user_id, name) for user_id, name in rows]
