"""The art. 19 flag in the upper tenant's console: what it shows, who gets a
link to the matter below, linking the new letter (the citizen is told where
the matter is handled; both tenants record it), and isolation."""

from __future__ import annotations

from leadermail.platform.accounts.models import Role
from leadermail.platform.accounts.services import grant_role
from tests.functional.province.citizens import (
    answer_letter,
    audit_actions,
    event_kinds,
    get_letter,
    open_tracking,
    run_jobs,
    submit,
    tracked,
)
from tests.functional.staff_ops.helpers import make_staff, sign_in_client


def console(tenant, path: str) -> str:  # noqa: ANN001
    return f"/t/{tenant.slug}/console{path}"


async def test_the_flag_the_link_and_linking_the_letter(context, tree, client):
    everyone = [tree.province, tree.city, tree.county, tree.other_city]
    county = await submit(context, tree.county, phone="13866667777")
    await run_jobs(context, everyone)
    province = await submit(context, tree.province, phone="13866667777")
    city = await submit(context, tree.city, phone="13866667777")
    await run_jobs(context, everyone)

    # A province registrar without a role in the county: the flag, no link.
    registrar = await make_staff(context, tree.province, "省登记员", Role.REGISTRAR)
    sign_in_client(client, registrar)
    page = await client.get(console(tree.province, f"/letters/{province.letter_id}"))
    assert f"/forwarding/matter/{province.letter_id}" in page.text
    flag = await client.get(console(tree.province, f"/forwarding/matter/{province.letter_id}"))
    assert flag.status_code == 200
    assert tree.county.name in flag.text and "待登记" in flag.text
    assert 'data-testid="matter-link"' not in flag.text
    assert 'data-testid="matter-link-button"' in flag.text
    htmx = await client.get(
        console(tree.province, f"/forwarding/matter/{province.letter_id}"),
        headers={"HX-Request": "true"},
    )
    assert "<html" not in htmx.text and tree.county.name in htmx.text

    # Province staff who also work in the county may follow the link.
    both = await make_staff(context, tree.province, "省市县兼职", Role.REGISTRAR)
    async with context.database.core_session() as session:
        await grant_role(session, user_id=both.user_id, tenant_id=tree.county.id, role="registrar")
        await session.commit()
    sign_in_client(client, both)
    flag = await client.get(console(tree.province, f"/forwarding/matter/{province.letter_id}"))
    link = f'href="/t/{tree.county.slug}/console/letters/{county.letter_id}"'
    assert link in flag.text
    followed = await client.get(console(tree.county, f"/letters/{county.letter_id}"))
    assert followed.status_code == 200 and "人民路幸福小区" in followed.text

    # City staff see their own letter's flag (the county is below them), no link.
    city_staff = await make_staff(context, tree.city, "市登记员", Role.REGISTRAR)
    sign_in_client(client, city_staff)
    flag = await client.get(console(tree.city, f"/forwarding/matter/{city.letter_id}"))
    assert tree.county.name in flag.text and 'data-testid="matter-link"' not in flag.text

    # Linking: no second case; the citizen is told where the matter is handled.
    sign_in_client(client, registrar)
    linked = await client.post(
        console(tree.province, f"/forwarding/matter/{province.letter_id}/link"), data={}
    )
    assert linked.status_code == 303
    assert (await get_letter(context, tree.province, province.letter_id)).state == "merged"
    again = await client.get(console(tree.province, f"/forwarding/matter/{province.letter_id}"))
    assert 'data-testid="matter-linked"' in again.text
    assert "letter.matter_linked" in await audit_actions(context, tree.province)
    assert "matter_linked" in await event_kinds(context, tree.county, county.letter_id)
    assert "matter.linked_from_above" in await audit_actions(context, tree.county)
    # The county's letter is untouched otherwise.
    assert (await get_letter(context, tree.county, county.letter_id)).state == "submitted"

    await open_tracking(client, tree.province, province.tracking_code, province.password)
    page, _ = await tracked(client, tree.province, province.tracking_code)
    assert tree.county.name in page and county.tracking_code in page and "第十九条" in page


async def test_a_closed_matter_cannot_be_linked_and_says_so(context, tree, client):
    everyone = [tree.province, tree.city, tree.county]
    county = await submit(context, tree.county, phone="13877778888")
    await run_jobs(context, everyone)
    province = await submit(context, tree.province, phone="13877778888")
    await run_jobs(context, everyone)
    await answer_letter(context, tree.county, county.letter_id, "已答复。")
    await run_jobs(context, everyone)

    registrar = await make_staff(context, tree.province, "省登记员", Role.REGISTRAR)
    sign_in_client(client, registrar)
    flag = await client.get(console(tree.province, f"/forwarding/matter/{province.letter_id}"))
    assert 'data-testid="matter-closed"' in flag.text
    assert 'data-testid="matter-link-button"' not in flag.text
    refused = await client.post(
        console(tree.province, f"/forwarding/matter/{province.letter_id}/link"), data={}
    )
    assert refused.status_code == 303
    assert (await get_letter(context, tree.province, province.letter_id)).state == "submitted"


async def test_other_tenants_learn_nothing(context, tree, client):
    """Another city's staff: its letter by the same writer is not flagged, and
    the flag page of a letter it does not have is a 404."""
    everyone = [tree.province, tree.city, tree.county, tree.other_city]
    await submit(context, tree.county, phone="13888889999")
    await run_jobs(context, everyone)
    elsewhere = await submit(context, tree.other_city, phone="13888889999")
    await run_jobs(context, everyone)
    staff = await make_staff(context, tree.other_city, "丙市登记员", Role.REGISTRAR)
    sign_in_client(client, staff)
    flag = await client.get(console(tree.other_city, f"/forwarding/matter/{elsewhere.letter_id}"))
    assert flag.status_code == 200 and tree.county.name not in flag.text
    assert 'data-testid="matter-flag"' not in flag.text
    missing = await client.get(console(tree.other_city, "/forwarding/matter/999999999"))
    assert missing.status_code == 404
    # Nor may it link a letter that is not flagged.
    refused = await client.post(
        console(tree.other_city, f"/forwarding/matter/{elsewhere.letter_id}/link"), data={}
    )
    assert refused.status_code == 303
    assert (await get_letter(context, tree.other_city, elsewhere.letter_id)).state == "submitted"
