"""Who may do what: every permission check goes through :func:`can`.

    if not can(staff, Action.ACCEPT, letter):
        raise Forbidden

Roles are per tenant membership; ``province_admin`` (a membership in the
province tenant) reaches across tenants for province operations only, never
for reading another tenant's letters directly (those travel by forwarding).
The one exception is supervision's list of a mailbox's late letters (code,
title, unit, deadline; no personal data), behind
``supervision.overdue.access_supervised_mailbox``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from leadermail.platform.accounts.models import Role
from leadermail.tenants.registry import TenantRef


class Action(enum.StrEnum):
    VIEW_INBOX = "view_inbox"
    VIEW_LETTER = "view_letter"
    REGISTER = "register"  # 登记 (also letters from other channels)
    ACCEPT = "accept"  # 受理 / 不予受理
    ASSIGN = "assign"  # 分办
    URGE = "urge"  # 催办
    INSTRUCT = "instruct"  # 批示
    DRAFT_REPLY = "draft_reply"
    APPROVE_REPLY = "approve_reply"
    SEND_REPLY = "send_reply"
    PUBLISH = "publish"  # 公示
    REQUEST_MATERIAL = "request_material"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    ADD_NOTE = "add_note"
    MERGE = "merge"
    ARCHIVE = "archive"
    CLOSE = "close"
    FORWARD = "forward"  # 转办 to another tenant
    MANAGE_RULES = "manage_rules"
    MANAGE_UNITS = "manage_units"
    MANAGE_STAFF = "manage_staff"
    MANAGE_DUTY = "manage_duty"
    EXPORT = "export"
    VIEW_AUDIT = "view_audit"
    VIEW_SUPERVISION = "view_supervision"
    VIEW_PERSONAL_DATA = "view_personal_data"  # unmasked phone / ID number
    PROVINCE_ADMIN = "province_admin"  # provisioning, applications, cross-tenant figures
    MANAGE_CANNED_REPLIES = "manage_canned_replies"  # 常用语
    RESET_SECOND_FACTOR = "reset_second_factor"  # lost phone: enrol a new TOTP


_ALL = frozenset(Action)

#: What each role may do inside its tenant.
ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.TENANT_ADMIN: _ALL - {Action.PROVINCE_ADMIN},
    Role.REGISTRAR: frozenset(
        {
            Action.VIEW_INBOX, Action.VIEW_LETTER, Action.REGISTER, Action.ACCEPT,
            Action.ASSIGN, Action.URGE, Action.REQUEST_MATERIAL, Action.ADD_NOTE,
            Action.MERGE, Action.SEND_REPLY, Action.PUBLISH, Action.CLOSE, Action.ARCHIVE,
            Action.FORWARD, Action.EXPORT, Action.VIEW_PERSONAL_DATA, Action.MANAGE_DUTY,
            Action.MANAGE_CANNED_REPLIES,
        }
    ),
    Role.HANDLER: frozenset(
        {
            Action.VIEW_INBOX, Action.VIEW_LETTER, Action.DRAFT_REPLY, Action.ADD_NOTE,
            Action.REQUEST_MATERIAL, Action.REQUEST_EXTENSION, Action.VIEW_PERSONAL_DATA,
        }
    ),
    Role.LEADER: frozenset(
        {
            Action.VIEW_INBOX, Action.VIEW_LETTER, Action.INSTRUCT, Action.APPROVE_REPLY,
            Action.APPROVE_EXTENSION, Action.ADD_NOTE, Action.VIEW_SUPERVISION, Action.URGE,
        }
    ),
    Role.SUPERVISOR: frozenset(
        {
            Action.VIEW_INBOX, Action.VIEW_LETTER, Action.URGE, Action.ADD_NOTE,
            Action.VIEW_SUPERVISION, Action.VIEW_AUDIT, Action.EXPORT,
        }
    ),
    Role.PROVINCE_ADMIN: frozenset(
        {
            Action.PROVINCE_ADMIN, Action.VIEW_SUPERVISION, Action.VIEW_AUDIT, Action.FORWARD,
            Action.RESET_SECOND_FACTOR,
        }
    ),
}

#: Actions a handler may take only on letters assigned to their own unit.
UNIT_BOUND_ACTIONS = frozenset(
    {
        Action.VIEW_LETTER, Action.DRAFT_REPLY, Action.ADD_NOTE, Action.REQUEST_MATERIAL,
        Action.REQUEST_EXTENSION,
    }
)


class LetterLike(Protocol):
    tenant_id: int
    unit_id: int | None
    letter_type: str


@dataclass(frozen=True)
class StaffMember:
    """Another staff member, as the target of a staff-management action."""

    user_id: int
    #: The tenant whose membership is being managed.
    tenant_id: int
    #: Their roles in that tenant.
    roles: frozenset[str]
    #: A province admin (in any tenant): only other province admins manage them.
    is_province_admin: bool = False


@dataclass(frozen=True)
class StaffUser:
    """A signed-in staff member *in one tenant* (the request's tenant)."""

    user_id: int
    display_name: str
    email: str
    tenant: TenantRef
    roles: frozenset[str]
    unit_id: int | None = None

    @property
    def is_province_admin(self) -> bool:
        return Role.PROVINCE_ADMIN in self.roles

    @property
    def only_handler(self) -> bool:
        """Handlers without any wider role see only their unit's letters."""
        return self.roles == {Role.HANDLER}


def role_allows(roles: frozenset[str], action: Action) -> bool:
    return any(action in ROLE_ACTIONS.get(role, frozenset()) for role in roles)


def can(
    staff: StaffUser, action: Action, letter: LetterLike | StaffMember | None = None
) -> bool:
    """The single permission check of the console.

    The object is a letter, or a :class:`StaffMember` for actions on people.
    """
    if not role_allows(staff.roles, action):
        return False
    if letter is None:
        return True
    if isinstance(letter, StaffMember):
        return _may_manage(staff, letter)
    if letter.tenant_id != staff.tenant.id:
        return False
    if staff.only_handler and action in UNIT_BOUND_ACTIONS:
        return staff.unit_id is not None and letter.unit_id == staff.unit_id
    return True


def _may_manage(staff: StaffUser, member: StaffMember) -> bool:
    # Never oneself: a stolen session must not be able to replace its own
    # second factor; another admin has to do it.
    if member.user_id == staff.user_id:
        return False
    # Province admins look after every tenant's staff, and each other.
    if staff.is_province_admin:
        return True
    # A tenant admin: only members of their own tenant, never a province admin.
    if member.tenant_id != staff.tenant.id:
        return False
    return not member.is_province_admin


def sees_personal_data(staff: StaffUser) -> bool:
    """Roles without VIEW_PERSONAL_DATA see phone and ID numbers masked."""
    return role_allows(staff.roles, Action.VIEW_PERSONAL_DATA)
