"""The platform home and the province's tenant table list each mailbox under
its parent: one opened last lands under its own parent, not at the end."""

from __future__ import annotations

import re

from leadermail.platform.accounts.models import Role
from leadermail.tenants.provisioning import set_tenant_status
from leadermail.tenants.registry import TenantRef
from tests.conftest import unique_slug
from tests.functional.staff_ops.helpers import make_staff, sign_in_client

NAMES = (
    "省省长信箱", "甲市市长信箱", "甲市丁县县长信箱", "乙市市长信箱", "乙市丙县县长信箱",
    "省教育厅厅长信箱",
)


async def _tree(make_tenant) -> tuple[list[str], TenantRef, TenantRef]:  # noqa: ANN001
    """A province whose first city gets a county last; returns the names in
    reading order (unique to this call), the province and the first city."""
    tag = unique_slug("树")
    names = [f"{tag}{name}" for name in NAMES]
    province = await make_tenant(slug=unique_slug("prov"), name=names[0], kind="province")
    # Opened before the cities, listed after them.
    await make_tenant(name=names[5], kind="department", parent_id=province.id)
    first_city = await make_tenant(name=names[1], kind="city", parent_id=province.id)
    second_city = await make_tenant(name=names[3], kind="city", parent_id=province.id)
    await make_tenant(name=names[4], kind="county", parent_id=second_city.id)
    # Opened last, under the first city.
    await make_tenant(name=names[2], kind="county", parent_id=first_city.id)
    return names, province, first_city


def positions(page: str, names: list[str]) -> list[int]:
    return [page.index(name) for name in names]


async def test_the_platform_home_lists_each_mailbox_under_its_parent(
    context, make_tenant, client
):
    names, _, first_city = await _tree(make_tenant)
    home = await client.get("/")
    assert home.status_code == 200
    page = home.text
    found = positions(page, names)
    assert found == sorted(found), page
    # Nested: the new county is inside its city's item, before the next city.
    city_item = re.search(
        rf'<li><a href="/t/{first_city.slug}/">{names[1]}</a>.*?</li>\s*<li>', page, re.S
    )
    assert city_item is not None and names[2] in city_item.group(0)

    # A closed city's counties stay where the city stood; the city is not listed.
    set_tenant_status(context.database.sync_engine, first_city.slug, "disabled", "测试")
    context.tenants.invalidate()
    page = (await client.get("/")).text
    assert names[1] not in page
    found = positions(page, [name for name in names if name != names[1]])
    assert found == sorted(found), page


async def test_the_province_tenant_table_is_in_the_same_order(context, make_tenant, client):
    names, province, _ = await _tree(make_tenant)
    admin = await make_staff(context, province, "省管理员", Role.PROVINCE_ADMIN)
    sign_in_client(client, admin)
    page = await client.get(f"/t/{province.slug}/console/province/tenants")
    assert page.status_code == 200, page.text
    table = page.text.split('data-testid="tenant-tree"', 1)[1]
    found = positions(table, names)
    assert found == sorted(found)
