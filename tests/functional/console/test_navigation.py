"""Every role gets a working console with only the links it may use."""

from __future__ import annotations

import re

import pytest

from leadermail.platform.accounts.models import Role
from tests.functional.console.staff_session import console_url, make_staff, sign_in_client

EXPECTED = {
    Role.TENANT_ADMIN: {"/rules", "/exports", "/audit", "/supervision", "/forwarding"},
    Role.REGISTRAR: {"/channels/register", "/forwarding", "/duplicates"},
    Role.HANDLER: set(),
    Role.LEADER: {"/supervision", "/notices/extensions"},
    Role.SUPERVISOR: {"/supervision", "/audit", "/exports"},
}
PROVINCE_ONLY = {"/province/tenants", "/province/applications", "/supervision/province"}


@pytest.mark.parametrize("role", list(EXPECTED))
async def test_each_role_sees_its_links_and_every_link_opens(context, make_tenant, client, role):
    tenant = await make_tenant()
    staff = await make_staff(context, tenant, f"导航{role}", role)
    sign_in_client(client, staff)
    page = await client.get(console_url(tenant, "/inbox"))
    assert page.status_code == 200, page.text[:500]
    nav = page.text.split('aria-label="主导航"', 1)[1].split("</nav>", 1)[0]
    links = set(re.findall(rf'href="/t/{tenant.slug}/console(/[^"]*)"', nav))
    assert EXPECTED[role] <= links
    assert not links & PROVINCE_ONLY
    for link in sorted(links):
        response = await client.get(console_url(tenant, link))
        assert response.status_code == 200, (role, link, response.status_code)
