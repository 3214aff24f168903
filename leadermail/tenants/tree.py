"""The mailboxes as a tree, in the order people read it.

Each mailbox comes right under its parent: the province, then each city
followed by its counties, then the province's departments. Siblings go by
kind (city, county, department) and then in the order they were opened, so
a mailbox opened today lands at the end of its own parent's list, not at
the end of the page::

    for node in tenant_tree(await directory.all(), shown=lambda t: t.is_active):
        node.tenant, node.children                      # nested (the platform home)
    for tenant, depth in tree_order(await directory.all()):
        ...                                             # flat (the province's table)

Opening order rather than pinyin: the embedded PostgreSQL has no Chinese
collation, pypinyin costs ~55 MB in every web process, and a GB2312 byte
order puts 浏阳、醴陵、汨罗 … after every other county. Provinces open their
cities in the official order anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from leadermail.tenants.models import TenantKind
from leadermail.tenants.registry import TenantRef

#: Siblings of one parent: cities before counties before departments.
KIND_ORDER = {
    TenantKind.PROVINCE: 0,
    TenantKind.CITY: 1,
    TenantKind.COUNTY: 2,
    TenantKind.DEPARTMENT: 3,
}


@dataclass
class TreeNode:
    tenant: TenantRef
    children: list[TreeNode] = field(default_factory=list)


def _sibling_key(tenant: TenantRef) -> tuple[int, int]:
    return KIND_ORDER.get(tenant.kind, len(KIND_ORDER)), tenant.id


def tenant_tree(
    tenants: Iterable[TenantRef], *, shown: Callable[[TenantRef], bool] | None = None
) -> list[TreeNode]:
    """The roots of the tree, each with its children, in reading order.

    ``shown``: the mailboxes to keep; one left out (a disabled city) leaves
    its children where it stood, one level up. A mailbox whose parent is not
    among ``tenants`` starts a tree of its own, after the real roots.
    """
    everyone = sorted(tenants, key=_sibling_key)
    known = {t.id for t in everyone}
    children: dict[int, list[TenantRef]] = {}
    for tenant in everyone:
        if tenant.parent_id is not None and tenant.parent_id in known:
            children.setdefault(tenant.parent_id, []).append(tenant)
    roots = [t for t in everyone if t.parent_id is None]
    orphans = [t for t in everyone if t.parent_id is not None and t.parent_id not in known]
    placed: set[int] = set()

    def build(level: list[TenantRef]) -> list[TreeNode]:
        nodes: list[TreeNode] = []
        for tenant in level:
            if tenant.id in placed:
                continue  # a cycle in bad data must not loop forever
            placed.add(tenant.id)
            below = build(children.get(tenant.id, []))
            if shown is None or shown(tenant):
                nodes.append(TreeNode(tenant, below))
            else:
                nodes.extend(below)
        return nodes

    forest = build(roots) + build(orphans)
    # Mailboxes only on a cycle (each the other's parent) still appear.
    return forest + build([t for t in everyone if t.id not in placed])


def tree_order(
    tenants: Iterable[TenantRef], *, shown: Callable[[TenantRef], bool] | None = None
) -> list[tuple[TenantRef, int]]:
    """(tenant, depth) of :func:`tenant_tree`, depth first (a table's rows)."""
    rows: list[tuple[TenantRef, int]] = []
    stack = [(node, 0) for node in reversed(tenant_tree(tenants, shown=shown))]
    while stack:
        node, depth = stack.pop()
        rows.append((node.tenant, depth))
        stack.extend((child, depth + 1) for child in reversed(node.children))
    return rows
