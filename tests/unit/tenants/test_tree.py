"""The tenant tree's reading order, on plain TenantRefs."""

from __future__ import annotations

from leadermail.tenants.registry import TenantRef
from leadermail.tenants.tree import tenant_tree, tree_order


def ref(tenant_id: int, kind: str, parent_id: int | None, status: str = "active") -> TenantRef:
    return TenantRef(
        id=tenant_id, slug=f"t{tenant_id}", name=f"信箱{tenant_id}", kind=kind,
        parent_id=parent_id, status=status, theme="base", schema_name=f"t_{tenant_id}",
    )


PROVINCE = ref(1, "province", None)
DEPARTMENT = ref(2, "department", 1)  # opened before the cities: still after them
CITY_A = ref(3, "city", 1)
CITY_B = ref(4, "city", 1)
COUNTY_B = ref(5, "county", 4)
COUNTY_A = ref(9, "county", 3)  # opened last, under the first city


def ids(rows: list[tuple[TenantRef, int]]) -> list[tuple[int, int]]:
    return [(tenant.id, depth) for tenant, depth in rows]


def test_each_mailbox_comes_under_its_parent_cities_before_departments():
    tenants = [COUNTY_A, COUNTY_B, CITY_B, CITY_A, DEPARTMENT, PROVINCE]
    assert ids(tree_order(tenants)) == [(1, 0), (3, 1), (9, 2), (4, 1), (5, 2), (2, 1)]


def test_a_left_out_mailbox_leaves_its_children_in_its_place():
    closed_city = ref(3, "city", 1, status="disabled")
    tenants = [PROVINCE, DEPARTMENT, closed_city, CITY_B, COUNTY_B, COUNTY_A]
    rows = tree_order(tenants, shown=lambda t: t.is_active)
    assert ids(rows) == [(1, 0), (9, 1), (4, 1), (5, 2), (2, 1)]
    (root,) = tenant_tree(tenants, shown=lambda t: t.is_active)
    assert [child.tenant.id for child in root.children] == [9, 4, 2]


def test_orphans_and_cycles_still_appear_once():
    orphan = ref(7, "county", 99)  # its parent is not in the list
    loop_a, loop_b = ref(20, "city", 21), ref(21, "city", 20)
    rows = ids(tree_order([loop_b, orphan, PROVINCE, loop_a]))
    assert rows[:2] == [(1, 0), (7, 0)]
    assert sorted(tenant for tenant, _ in rows) == [1, 7, 20, 21]
