"""The staff directory: units (承办单位) and their people, and the contact
table (人员联系表) the province asks every tenant for.

    listing = await tenant_directory(database, tenant)       # units with their staff
    xlsx = contact_table_xlsx([(tenant, listing)])            # bytes of an .xlsx
    everyone = await province_directory(database, tenants)    # province admins only

Staff live in the shared schema (users, memberships, certificates), units in
the tenant schema; one query on each side, joined here by ``unit_id``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import select

from leadermail.platform.accounts.models import Membership, Role, User
from leadermail.platform.certificates.models import StaffCertificate
from leadermail.platform.db import Database
from leadermail.platform.deadlines.calendar import SHANGHAI
from leadermail.platform.letters.models import Unit
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session

ROLE_LABELS: dict[str, str] = {
    Role.TENANT_ADMIN: "系统管理员",
    Role.REGISTRAR: "登记员",
    Role.HANDLER: "承办人",
    Role.LEADER: "领导",
    Role.SUPERVISOR: "督办",
    Role.PROVINCE_ADMIN: "省级管理员",
}
NO_UNIT = "本机关"


@dataclass
class StaffEntry:
    user_id: int
    name: str
    roles: list[str]
    phone: str | None
    office: str | None
    email: str
    certificate_serial: str | None = None
    certificate_expires: datetime | None = None

    @property
    def role_label(self) -> str:
        return "、".join(ROLE_LABELS.get(r, r) for r in self.roles)


@dataclass
class UnitListing:
    unit_id: int | None
    name: str
    phone: str | None = None
    address: str | None = None
    staff: list[StaffEntry] = field(default_factory=list)


async def tenant_directory(database: Database, tenant: TenantRef) -> list[UnitListing]:
    """Every active unit with its staff; staff without a unit under 本机关."""
    async with tenant_session(database, tenant) as session:
        units = (
            (await session.execute(select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.id)))
            .scalars()
            .all()
        )
    async with database.core_session() as session:
        rows = (
            await session.execute(
                select(User, Membership.role, Membership.unit_id)
                .join(Membership, Membership.user_id == User.id)
                .where(
                    Membership.tenant_id == tenant.id,
                    Membership.is_active.is_(True),
                    User.is_active.is_(True),
                )
                .order_by(User.display_name, User.id)
            )
        ).all()
        user_ids = {user.id for user, _, _ in rows}
        certificates = (
            (
                await session.execute(
                    select(StaffCertificate)
                    .where(
                        StaffCertificate.user_id.in_(user_ids), StaffCertificate.is_active.is_(True)
                    )
                    .order_by(StaffCertificate.not_after)
                )
            )
            .scalars()
            .all()
            if user_ids
            else []
        )
    newest = {c.user_id: c for c in certificates}  # ordered by expiry: the last wins
    listings = {None: UnitListing(None, NO_UNIT)} | {
        u.id: UnitListing(u.id, u.name, u.phone, u.address) for u in units
    }
    entries: dict[tuple[int, int | None], StaffEntry] = {}
    for user, role, unit_id in rows:
        key = (user.id, unit_id if unit_id in listings else None)
        entry = entries.get(key)
        if entry is None:
            certificate = newest.get(user.id)
            entry = StaffEntry(
                user.id,
                user.display_name,
                [],
                user.phone,
                user.office,
                user.email,
                certificate.serial if certificate else None,
                certificate.not_after if certificate else None,
            )
            entries[key] = entry
            listings[key[1]].staff.append(entry)
        entry.roles.append(role)
    return [listing for listing in listings.values() if listing.staff or listing.unit_id]


async def province_directory(
    database: Database, tenants: Sequence[TenantRef]
) -> list[tuple[TenantRef, list[UnitListing]]]:
    return [(tenant, await tenant_directory(database, tenant)) for tenant in tenants]


HEADINGS = (
    "序号",
    "所属机关",
    "单位",
    "姓名",
    "角色",
    "办公电话/手机",
    "办公室",
    "电子邮箱",
    "数字证书序列号",
    "证书有效期至",
)


def contact_table_xlsx(directories: Sequence[tuple[TenantRef, Sequence[UnitListing]]]) -> bytes:
    """人员联系表 as an .xlsx workbook (one sheet, one row per person and unit)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "人员联系表"
    sheet.append(["领导信箱管理系统人员联系表"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADINGS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(list(HEADINGS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    number = 0
    for tenant, listings in directories:
        for listing in listings:
            for person in listing.staff:
                number += 1
                expires = (
                    person.certificate_expires.astimezone(SHANGHAI).strftime("%Y-%m-%d")
                    if person.certificate_expires
                    else ""
                )
                sheet.append(
                    [
                        number,
                        tenant.name,
                        listing.name,
                        person.name,
                        person.role_label,
                        person.phone or "",
                        person.office or "",
                        person.email,
                        person.certificate_serial or "",
                        expires,
                    ]
                )
    for column, width in zip("ABCDEFGHIJ", (6, 22, 24, 10, 16, 16, 14, 28, 24, 14), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
