"""Every role against every action, from a table written out by hand.

The table is the specification: a change to ``ROLE_ACTIONS`` that is not also
made here fails, so nobody widens a role by accident.
"""

from __future__ import annotations

import pytest

from leadermail.platform.accounts.models import Role
from leadermail.platform.accounts.policy import Action, StaffMember, StaffUser, can
from leadermail.tenants.registry import TenantRef

A = Action
EXPECTED: dict[str, set[Action]] = {
    Role.TENANT_ADMIN: set(Action) - {A.PROVINCE_ADMIN},
    Role.REGISTRAR: {
        A.VIEW_INBOX,
        A.VIEW_LETTER,
        A.REGISTER,
        A.ACCEPT,
        A.ASSIGN,
        A.URGE,
        A.REQUEST_MATERIAL,
        A.ADD_NOTE,
        A.MERGE,
        A.SEND_REPLY,
        A.PUBLISH,
        A.CLOSE,
        A.ARCHIVE,
        A.FORWARD,
        A.EXPORT,
        A.VIEW_PERSONAL_DATA,
        A.MANAGE_DUTY,
        A.MANAGE_CANNED_REPLIES,
    },
    Role.HANDLER: {
        A.VIEW_INBOX,
        A.VIEW_LETTER,
        A.DRAFT_REPLY,
        A.ADD_NOTE,
        A.REQUEST_MATERIAL,
        A.REQUEST_EXTENSION,
        A.VIEW_PERSONAL_DATA,
    },
    Role.LEADER: {
        A.VIEW_INBOX,
        A.VIEW_LETTER,
        A.INSTRUCT,
        A.APPROVE_REPLY,
        A.APPROVE_EXTENSION,
        A.ADD_NOTE,
        A.VIEW_SUPERVISION,
        A.URGE,
    },
    Role.SUPERVISOR: {
        A.VIEW_INBOX,
        A.VIEW_LETTER,
        A.URGE,
        A.ADD_NOTE,
        A.VIEW_SUPERVISION,
        A.VIEW_AUDIT,
        A.EXPORT,
    },
    Role.PROVINCE_ADMIN: {
        A.PROVINCE_ADMIN,
        A.VIEW_SUPERVISION,
        A.VIEW_AUDIT,
        A.FORWARD,
        A.RESET_SECOND_FACTOR,
    },
}

TENANT = TenantRef(
    id=7,
    slug="cs",
    name="长沙",
    kind="city",
    parent_id=None,
    status="active",
    theme="base",
    schema_name="t_7",
)
OTHER_TENANT_ID = 8
OWN_UNIT, OTHER_UNIT = 11, 12


class FakeLetter:
    def __init__(
        self,
        tenant_id: int = TENANT.id,
        unit_id: int | None = OWN_UNIT,
        letter_type: str = "complaint",
    ) -> None:
        self.tenant_id, self.unit_id, self.letter_type = tenant_id, unit_id, letter_type


def staff(*roles: str, unit_id: int | None = None) -> StaffUser:
    return StaffUser(
        user_id=1,
        display_name="x",
        email="x@x.cn",
        tenant=TENANT,
        roles=frozenset(roles),
        unit_id=unit_id,
    )


@pytest.mark.parametrize("role", list(EXPECTED))
@pytest.mark.parametrize("action", list(Action))
def test_role_against_action(role: str, action: Action) -> None:
    member = staff(role, unit_id=OWN_UNIT if role == Role.HANDLER else None)
    assert can(member, action) is (action in EXPECTED[role])
    # On a letter of their own tenant (and, for a handler, their own unit):
    assert can(member, action, FakeLetter()) is (action in EXPECTED[role])


@pytest.mark.parametrize("role", list(EXPECTED))
@pytest.mark.parametrize("action", list(Action))
def test_nobody_acts_on_another_tenants_letter(role: str, action: Action) -> None:
    member = staff(role, unit_id=OWN_UNIT)
    assert can(member, action, FakeLetter(tenant_id=OTHER_TENANT_ID)) is False


@pytest.mark.parametrize(
    "action",
    [A.VIEW_LETTER, A.DRAFT_REPLY, A.ADD_NOTE, A.REQUEST_MATERIAL, A.REQUEST_EXTENSION],
)
def test_a_handler_acts_only_on_their_units_letters(action: Action) -> None:
    handler = staff(Role.HANDLER, unit_id=OWN_UNIT)
    assert can(handler, action, FakeLetter(unit_id=OWN_UNIT))
    assert not can(handler, action, FakeLetter(unit_id=OTHER_UNIT))
    assert not can(handler, action, FakeLetter(unit_id=None))
    assert not can(staff(Role.HANDLER, unit_id=None), action, FakeLetter(unit_id=None))


def test_a_handler_who_is_also_leader_is_not_bound_to_the_unit() -> None:
    both = staff(Role.HANDLER, Role.LEADER, unit_id=OWN_UNIT)
    assert can(both, A.VIEW_LETTER, FakeLetter(unit_id=OTHER_UNIT))
    assert can(both, A.APPROVE_REPLY, FakeLetter(unit_id=OTHER_UNIT))


# --- actions on people: 重置动态验证码 ---------------------------------------------

ME = 1


def member(
    user_id: int = 2,
    tenant_id: int = TENANT.id,
    role: str = Role.REGISTRAR,
    *,
    province_admin: bool = False,
) -> StaffMember:
    return StaffMember(user_id, tenant_id, frozenset({role}), is_province_admin=province_admin)


#: (target, may a tenant admin reset it?, may a province admin?)
TARGETS = {
    "colleague": (member(), True, True),
    "another admin": (member(role=Role.TENANT_ADMIN), True, True),
    "oneself": (member(user_id=ME, role=Role.TENANT_ADMIN), False, False),
    "another tenant's staff": (member(tenant_id=OTHER_TENANT_ID), False, True),
    "a province admin": (member(role=Role.LEADER, province_admin=True), False, True),
}


@pytest.mark.parametrize("role", list(EXPECTED))
@pytest.mark.parametrize("target", list(TARGETS))
def test_who_may_reset_whose_second_factor(role: str, target: str) -> None:
    person, tenant_admin_may, province_admin_may = TARGETS[target]
    expected = {Role.TENANT_ADMIN: tenant_admin_may, Role.PROVINCE_ADMIN: province_admin_may}
    assert can(staff(role), A.RESET_SECOND_FACTOR, person) is expected.get(role, False)


@pytest.mark.parametrize("action", sorted(set(Action) - {A.RESET_SECOND_FACTOR}))
def test_nobody_acts_on_themselves_through_a_staff_target(action: Action) -> None:
    admin = staff(Role.TENANT_ADMIN)
    assert can(admin, action, member(user_id=ME)) is False
