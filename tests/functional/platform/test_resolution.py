"""Host → tenant resolution over HTTP."""

from __future__ import annotations

from leadermail.tenants.provisioning import set_tenant_status


async def test_custom_domain_selects_its_tenant(client, make_tenant):
    tenant = await make_tenant(name="湘江市市长信箱", domains=["szxx.xiangjiang.gov.cn"])
    response = await client.get("/", headers={"host": "szxx.xiangjiang.gov.cn"})
    assert response.status_code == 200
    assert tenant.name in response.text


async def test_custom_domain_with_port_and_upper_case(client, make_tenant):
    tenant = await make_tenant(name="大写域名信箱", domains=["mail.daxie.gov.cn"])
    response = await client.get("/", headers={"host": "MAIL.Daxie.gov.cn:8443"})
    assert response.status_code == 200
    assert tenant.name in response.text


async def test_path_prefix_selects_the_tenant_on_the_platform_host(client, make_tenant):
    tenant = await make_tenant(name="路径前缀信箱")
    response = await client.get(f"/t/{tenant.slug}/")
    assert response.status_code == 200
    assert tenant.name in response.text
    # Links on the page keep the prefix.
    assert f'href="/t/{tenant.slug}/' in response.text


async def test_path_prefix_without_trailing_slash_redirects(client, make_tenant):
    tenant = await make_tenant()
    response = await client.get(f"/t/{tenant.slug}")
    assert response.status_code == 308
    assert response.headers["location"] == f"/t/{tenant.slug}/"


async def test_unknown_slug_gets_a_404_page(client):
    response = await client.get("/t/no-such-mailbox/")
    assert response.status_code == 404
    assert "页面不存在" in response.text


async def test_unknown_host_gets_a_404_page(client):
    response = await client.get("/", headers={"host": "evil.example.com"})
    assert response.status_code == 404
    assert "页面不存在" in response.text


async def test_disabled_tenant_shows_a_closed_page_on_both_addresses(context, client, make_tenant):
    tenant = await make_tenant(name="已停用信箱", domains=["closed.example.gov.cn"])
    set_tenant_status(context.database.sync_engine, tenant.slug, "disabled", "机构调整")
    context.tenants.invalidate()
    try:
        for response in (
            await client.get(f"/t/{tenant.slug}/"),
            await client.get("/", headers={"host": "closed.example.gov.cn"}),
            await client.get(f"/t/{tenant.slug}/console/"),
        ):
            assert response.status_code == 503
            assert "已停用信箱暂停受理来信" in response.text
    finally:
        set_tenant_status(context.database.sync_engine, tenant.slug, "active")
        context.tenants.invalidate()
    assert (await client.get(f"/t/{tenant.slug}/")).status_code == 200


async def test_platform_home_lists_active_mailboxes(client, make_tenant):
    tenant = await make_tenant(name="平台首页可见信箱")
    response = await client.get("/")
    assert response.status_code == 200
    assert f"/t/{tenant.slug}/" in response.text


async def test_a_post_without_csrf_token_is_refused(client, make_tenant):
    tenant = await make_tenant()
    response = await client.post(f"/t/{tenant.slug}/", data={"anything": "1"})
    assert response.status_code == 403
    assert "页面已过期" in response.text


async def test_security_headers_are_set(client):
    response = await client.get("/")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
