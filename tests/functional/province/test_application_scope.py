"""Two provinces on one deployment: each province's admins list, open and
decide the applications (开通申请) under their own tree only. Another
province's application answers exactly as a missing one does (404), and
nothing is changed, queued, audited or mailed for it; an approval opens the
mailbox only under a parent of the approver's tree."""

from __future__ import annotations

import mailbox
from email import message_from_binary_file, policy

from sqlalchemy import func, select

from leadermail.platform.audit.models import PlatformAuditRecord
from leadermail.tenants.applications import TenantApplication
from leadermail.tenants.jobs import provision_tenant
from leadermail.tenants.provisioning_runs import ProvisioningRun
from tests.conftest import unique_slug
from tests.functional.province.test_applications import (
    application_id,
    apply,
    code_of,
    fresh_rate_limit,  # noqa: F401 (autouse: each test submits from a clean count)
)
from tests.functional.province.test_province_scope import Province, two_provinces
from tests.functional.province.test_provisioning import url
from tests.functional.staff_ops.helpers import sign_in_client

MISSING_APPLICATION = 9_000_000_000
application_codes: dict[int, str] = {}


async def applied(context, client, parent, unit_name: str) -> int:  # noqa: ANN001
    """Id of a new application, sent as a stranger on the platform site under ``parent``."""
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token", None)
    slug = unique_slug("sq")
    response = await apply(client, slug, unit_name=unit_name, parent_tenant_id=str(parent.id))
    code = code_of(response)
    app_id = await application_id(context, code)
    application_codes[app_id] = code
    return app_id


async def state_of(context, app_id: int) -> tuple:  # noqa: ANN001
    """What a decision would change: the row, its runs, its audit trail."""
    async with context.database.core_session() as session:
        row = await session.get(TenantApplication, app_id)
        runs = await session.scalar(
            select(func.count()).where(ProvisioningRun.application_id == app_id)
        )
        audited = await session.scalar(
            select(func.count()).where(
                PlatformAuditRecord.object_type == "tenant_application",
                PlatformAuditRecord.object_id == str(app_id),
            )
        )
    return (
        row.status, row.parent_tenant_id, row.reviewed_by_label, row.rejection_reason,
        row.provisioning_run_id, runs, audited,
    )


def mails_about(context, app_id: int) -> int:  # noqa: ANN001
    """Mails the console kept for the applicant of ``app_id`` (no SMTP in tests)."""
    directory = context.settings.mail_dir
    if not directory.exists():
        return 0
    subject = f"开通申请 {application_codes[app_id]} "
    kept = mailbox.Maildir(
        directory, factory=lambda file: message_from_binary_file(file, policy=policy.default)
    )
    return sum(subject in str(message["subject"]) for message in kept)


def pending_count(page: str) -> int:
    return int(page.split('data-testid="pending-count">', 1)[1].split("<strong>")[1].split("<")[0])


async def queue_of(client, province: Province) -> str:  # noqa: ANN001
    sign_in_client(client, province.admin)
    page = await client.get(url(province.root, "/province/applications"))
    assert page.status_code == 200
    return page.text


async def test_the_queue_and_its_count_show_only_the_own_tree(context, make_tenant, client):
    east, west = await two_provinces(context, make_tenant)
    east_ids = [
        await applied(context, client, east.city, "东区甲单位信箱"),
        await applied(context, client, east.root, "东区乙单位信箱"),
    ]
    west_id = await applied(context, client, west.county, "西区丙单位信箱")

    page = await queue_of(client, east)
    for app_id in east_ids:
        assert f"/province/applications/{app_id}" in page
    assert "东区甲单位信箱" in page and east.city.name in page  # its 上级信箱 column
    assert f"/province/applications/{west_id}" not in page and "西区丙单位信箱" not in page
    assert pending_count(page) == 2

    page = await queue_of(client, west)
    assert f"/province/applications/{west_id}" in page and "西区丙单位信箱" in page
    assert "东区甲单位信箱" not in page and "东区乙单位信箱" not in page
    assert pending_count(page) == 1

    # A decided application leaves the count, not the list.
    reject = url(west.root, f"/province/applications/{west_id}/reject")
    assert (await client.post(reject, data={"reason": "重复申请"})).status_code == 303
    page = await queue_of(client, west)
    assert pending_count(page) == 0 and f"/province/applications/{west_id}" in page


async def test_another_provinces_application_is_a_404_on_every_route(
    context, make_tenant, client
):
    east, west = await two_provinces(context, make_tenant)
    west_id = await applied(context, client, west.city, "西区待审单位信箱")
    before = await state_of(context, west_id)

    sign_in_client(client, east.admin)
    for target in (west_id, MISSING_APPLICATION):
        base = url(east.root, f"/province/applications/{target}")
        assert (await client.get(base)).status_code == 404
        # Even naming a parent of the approver's own tree.
        own_parent = {"parent_tenant_id": str(east.city.id)}
        assert (await client.post(f"{base}/approve", data=own_parent)).status_code == 404
        assert (await client.post(f"{base}/approve", data={})).status_code == 404
        assert (await client.post(f"{base}/reject", data={"reason": "越权"})).status_code == 404

    assert await state_of(context, west_id) == before
    assert before[0] == "pending" and before[5:] == (0, 1)  # only its submission is audited
    assert mails_about(context, west_id) == 0  # the applicant was told nothing

    # The same routes on the west admin's side work (the 404s are about the tree).
    sign_in_client(client, west.admin)
    base = url(west.root, f"/province/applications/{west_id}")
    page = await client.get(base)
    assert page.status_code == 200 and "西区待审单位信箱" in page.text
    assert (await client.post(f"{base}/reject", data={"reason": "重复申请"})).status_code == 303
    assert (await state_of(context, west_id))[0] == "rejected"
    assert mails_about(context, west_id) == 1


async def test_an_approval_opens_the_mailbox_only_under_a_parent_of_the_tree(
    context, mail_context, make_tenant, client
):
    east, west = await two_provinces(context, make_tenant)
    app_id = await applied(context, client, east.root, "东区新开单位信箱")
    before = await state_of(context, app_id)
    sign_in_client(client, east.admin)
    base = url(east.root, f"/province/applications/{app_id}")

    page = (await client.get(base)).text
    assert f'<option value="{east.county.id}"' in page
    assert f'<option value="{east.root.id}" selected>' in page  # the applicant's choice
    assert west.city.name not in page and f'<option value="{west.city.id}"' not in page

    elsewhere = await client.post(f"{base}/approve", data={"parent_tenant_id": str(west.city.id)})
    assert elsewhere.status_code == 422
    assert 'id="e-parent_tenant_id">上级信箱须是本省的信箱<' in elsewhere.text
    none = await client.post(f"{base}/approve", data={"parent_tenant_id": ""})
    assert none.status_code == 422 and 'id="e-parent_tenant_id">请选择上级信箱<' in none.text
    assert await state_of(context, app_id) == before  # nothing queued or audited

    # Under another mailbox of the tree: the application and its run follow the approver.
    approved = await client.post(f"{base}/approve", data={"parent_tenant_id": str(east.city.id)})
    assert approved.status_code == 303 and "/province/runs/" in approved.headers["location"]
    run_id = int(approved.headers["location"].rsplit("/", 1)[1])
    async with context.database.core_session() as session:
        run = await session.get(ProvisioningRun, run_id)
        assert run.spec["parent_id"] == east.city.id
        assert (await session.get(TenantApplication, app_id)).parent_tenant_id == east.city.id
        record = (
            await session.execute(
                select(PlatformAuditRecord).where(
                    PlatformAuditRecord.action == "application.approve",
                    PlatformAuditRecord.object_id == str(app_id),
                )
            )
        ).scalar_one()
    assert record.data == {
        "run_id": run_id, "parent_id": east.city.id, "applied_parent_id": east.root.id,
    }

    assert await provision_tenant({"app": mail_context}, run_id=run_id) == "succeeded"
    async with context.database.core_session() as session:
        opened = (await session.get(TenantApplication, app_id)).tenant_id
    context.tenants.invalidate()
    assert (await context.tenants.by_id(opened)).parent_id == east.city.id
    # The opened application stays the east's, and only the east's.
    assert (await client.get(base)).status_code == 200
    assert (await client.get(url(east.root, f"/province/runs/{run_id}"))).status_code == 200
    sign_in_client(client, west.admin)
    assert (await client.get(url(west.root, f"/province/applications/{app_id}"))).status_code == 404
    assert (await client.get(url(west.root, f"/province/runs/{run_id}"))).status_code == 404
    assert "东区新开单位信箱" not in await queue_of(client, west)


async def test_with_several_trees_an_applicant_names_the_parent(context, make_tenant, client):
    await two_provinces(context, make_tenant)  # more than one tree, whatever else exists
    slug = unique_slug("nop")
    response = await apply(client, slug, unit_name="不知上级单位信箱", parent_tenant_id="")
    assert response.status_code == 422
    assert (
        'id="parent_tenant_id-error">本平台开设了多个省的领导信箱，请选择上级信箱；'
        "不确定时请选择本单位所在省的信箱<"
    ) in response.text
    assert f'name="wished_slug" type="text" value="{slug}"' in response.text  # nothing lost
    assert 'value="不知上级单位信箱"' in response.text
    async with context.database.core_session() as session:
        assert not await session.scalar(
            select(func.count()).where(TenantApplication.wished_slug == slug)
        )
