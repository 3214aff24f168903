"""Two provinces on one deployment: each province's admins list, open and act
on the mailboxes (and provisioning runs) of their own tree only. Another
province's mailbox answers exactly as a missing one does (404), and nothing
is changed, queued or audited on it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from leadermail.platform.accounts.models import Role
from leadermail.platform.audit.models import PlatformAuditRecord
from leadermail.tenants.jobs import provision_tenant
from leadermail.tenants.models import Tenant
from leadermail.tenants.provisioning_runs import ProvisioningRun
from leadermail.tenants.registry import TenantRef
from tests.conftest import unique_slug
from tests.functional.province.test_provisioning import post_new, url
from tests.functional.staff_ops.helpers import Staff, make_staff, sign_in_client

MISSING_TENANT = 9_000_000_000


@dataclass(frozen=True)
class Province:
    root: TenantRef
    city: TenantRef
    county: TenantRef
    admin: Staff


async def province(context, make_tenant, tag: str) -> Province:  # noqa: ANN001
    names = unique_slug(tag)
    root = await make_tenant(slug=unique_slug("prov"), name=f"{names}省省长信箱", kind="province")
    city = await make_tenant(name=f"{names}市市长信箱", kind="city", parent_id=root.id)
    county = await make_tenant(name=f"{names}县县长信箱", kind="county", parent_id=city.id)
    admin = await make_staff(context, root, f"{tag}省管理员", Role.PROVINCE_ADMIN)
    return Province(root, city, county, admin)


async def two_provinces(context, make_tenant) -> tuple[Province, Province]:  # noqa: ANN001
    return await province(context, make_tenant, "东"), await province(context, make_tenant, "西")


async def runs_of(context, tenant_id: int) -> int:  # noqa: ANN001
    async with context.database.core_session() as session:
        return await session.scalar(
            select(func.count()).where(ProvisioningRun.tenant_id == tenant_id)
        )


async def audit_count(context, tenant_id: int) -> int:  # noqa: ANN001
    async with context.database.core_session() as session:
        return await session.scalar(
            select(func.count()).where(PlatformAuditRecord.tenant_id == tenant_id)
        )


async def test_the_tenant_list_shows_only_the_own_tree(context, make_tenant, client):
    east, west = await two_provinces(context, make_tenant)
    sign_in_client(client, east.admin)
    page = await client.get(url(east.root, "/province/tenants"))
    assert page.status_code == 200
    table = page.text.split('data-testid="tenant-tree"', 1)[1]
    for own in (east.root, east.city, east.county):
        assert own.name in table and f"/province/tenants/{own.id}/edit" in table
    for other in (west.root, west.city, west.county):
        assert other.name not in page.text
        assert f"/province/tenants/{other.id}/" not in page.text

    # And the other way round.
    sign_in_client(client, west.admin)
    page = (await client.get(url(west.root, "/province/tenants"))).text
    assert west.county.name in page and east.city.name not in page and east.root.name not in page


async def test_the_form_offers_parents_and_templates_of_the_own_tree_only(
    context, make_tenant, client
):
    east, west = await two_provinces(context, make_tenant)
    sign_in_client(client, east.admin)
    form = (await client.get(url(east.root, "/province/tenants/new"))).text
    assert f'<option value="{east.city.id}"' in form
    assert west.root.name not in form and west.city.name not in form
    # A new mailbox always goes under one of the tree: no "（无）" parent.
    assert '<option value="">（无）</option>' not in form
    # The province's own mailbox keeps its none.
    own = (await client.get(url(east.root, f"/province/tenants/{east.root.id}/edit"))).text
    assert '<option value="">（无）</option>' in own


async def test_another_provinces_mailbox_is_a_404_on_every_action(context, make_tenant, client):
    east, west = await two_provinces(context, make_tenant)
    sign_in_client(client, east.admin)
    before = await audit_count(context, west.city.id)
    for target in (west.root.id, west.city.id, west.county.id, MISSING_TENANT):
        base = url(east.root, f"/province/tenants/{target}")
        assert (await client.get(f"{base}/edit")).status_code == 404
        assert (await client.get(f"{base}/admins")).status_code == 404
        invite = {"admin_name": "冒名", "admin_email": "x@west.example.cn", "request_key": "k"}
        assert (await client.post(f"{base}/admins", data=invite)).status_code == 404
        assert (await client.post(f"{base}/disable", data={"reason": "越权"})).status_code == 404
        assert (await client.post(f"{base}/enable", data={})).status_code == 404
        renamed = {
            "name": "被改名的信箱", "kind": "city", "parent_id": str(east.root.id),
            "slug": unique_slug("hij"), "theme": "base",
        }
        assert (await client.post(base, data=renamed)).status_code == 404

    context.tenants.invalidate()
    city = await context.tenants.by_id(west.city.id)
    assert city.is_active and city.name == west.city.name and city.parent_id == west.root.id
    assert await runs_of(context, west.city.id) == 0  # no invitation queued
    assert await audit_count(context, west.city.id) == before

    # The same requests on the own tree work (the 404s are about the tree, not the routes).
    own = url(east.root, f"/province/tenants/{east.city.id}")
    assert (await client.get(f"{own}/edit")).status_code == 200
    assert (await client.get(f"{own}/admins")).status_code == 200


async def test_another_provinces_runs_are_not_listed_opened_or_retried(
    context, make_tenant, client
):
    east, west = await two_provinces(context, make_tenant)
    sign_in_client(client, west.admin)
    slug = unique_slug("wst")
    opened = await post_new(
        client, west.root, slug, admin_email="", parent_id=str(west.city.id), name="西区信箱"
    )
    assert opened.status_code == 303
    run_id = int(opened.headers["location"].rsplit("/", 1)[1])
    await make_tenant(slug=slug)  # the slug is taken meanwhile: the run fails
    assert await provision_tenant({"app": context}, run_id=run_id) == "failed"
    assert (await client.get(url(west.root, f"/province/runs/{run_id}"))).status_code == 200

    sign_in_client(client, east.admin)
    listed = (await client.get(url(east.root, "/province/tenants"))).text
    assert f"/province/runs/{run_id}" not in listed and "西区信箱" not in listed
    assert (await client.get(url(east.root, f"/province/runs/{run_id}"))).status_code == 404
    assert (await client.post(url(east.root, f"/province/runs/{run_id}/retry"))).status_code == 404
    again = url(east.root, f"/province/tenants/new?from_run={run_id}")
    assert (await client.get(again)).status_code == 404
    async with context.database.core_session() as session:
        run = await session.get(ProvisioningRun, run_id)
    assert run.status == "failed"

    # Another admin of the west province sees it (the tree, not the person, decides).
    colleague = await make_staff(context, west.root, "西省另一管理员", Role.PROVINCE_ADMIN)
    sign_in_client(client, colleague)
    listed = (await client.get(url(west.root, "/province/tenants"))).text
    assert f"/province/runs/{run_id}" in listed
    assert (await client.get(url(west.root, f"/province/runs/{run_id}"))).status_code == 200


async def test_a_mailbox_is_opened_and_moved_only_within_the_own_tree(
    context, make_tenant, client
):
    east, west = await two_provinces(context, make_tenant)
    sign_in_client(client, east.admin)
    slug = unique_slug("out")

    under_west = await post_new(client, east.root, slug, parent_id=str(west.city.id))
    assert under_west.status_code == 422
    assert 'id="e-parent_id">上级信箱须是本省的信箱<' in under_west.text
    assert f'value="{slug}"' in under_west.text  # what was typed stays
    no_parent = await post_new(client, east.root, slug, parent_id="")
    assert no_parent.status_code == 422 and 'id="e-parent_id">请选择上级信箱<' in no_parent.text
    copied = await post_new(
        client, east.root, slug, admin_email="", template_tenant_id=str(west.county.id)
    )
    assert copied.status_code == 422
    assert 'id="e-template_tenant_id">只能复制本省信箱的分类和承办单位<' in copied.text
    async with context.database.core_session() as session:
        asked = await session.scalar(
            select(func.count()).where(ProvisioningRun.spec["slug"].as_string() == slug)
        )
    assert asked == 0

    moved = await client.post(
        url(east.root, f"/province/tenants/{east.county.id}"),
        data={
            "name": east.county.name, "kind": "county", "parent_id": str(west.city.id),
            "slug": east.county.slug, "theme": "base",
        },
    )
    assert moved.status_code == 422 and "上级信箱须是本省的信箱" in moved.text
    detached = await client.post(
        url(east.root, f"/province/tenants/{east.county.id}"),
        data={
            "name": east.county.name, "kind": "county", "parent_id": "",
            "slug": east.county.slug, "theme": "base",
        },
    )
    assert detached.status_code == 422 and "请选择上级信箱" in detached.text
    async with context.database.core_session() as session:
        assert (await session.get(Tenant, east.county.id)).parent_id == east.city.id

    # Within the tree: the county moves to the province itself, and the
    # province's own mailbox is saved with the no parent it has.
    within = await client.post(
        url(east.root, f"/province/tenants/{east.county.id}"),
        data={
            "name": east.county.name, "kind": "county", "parent_id": str(east.root.id),
            "slug": east.county.slug, "theme": "base",
        },
    )
    assert within.status_code == 303
    root = await client.post(
        url(east.root, f"/province/tenants/{east.root.id}"),
        data={
            "name": east.root.name, "kind": "province", "parent_id": "",
            "slug": east.root.slug, "theme": "base",
        },
    )
    assert root.status_code == 303
