"""Every role against every action, from a table written out by hand.

The table is the specification: a change to ``ROLE_ACTIONS`` that is not also
made here fails, so nobody widens a role by accident.
"""

from __future__ import annotations

import pytest

from leadermail.platform.accounts.models import Role
from leadermail.platform.accounts.policy import Action, StaffUser, can
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
    Role.PROVINCE_ADMIN: {A.PROVINCE_ADMIN, A.VIEW_SUPERVISION, A.VIEW_AUDIT, A.FORWARD},
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
