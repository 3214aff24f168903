"""Isolation across the tenant tree: a city sees what was forwarded to it and
nothing else of the province (HTTP through the console, and the services)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.platform.audit.writer import Actor
from leadermail.platform.forwarding import services
from leadermail.platform.forwarding.models import Forwarding
from leadermail.platform.forwarding.services import ForwardingNotFound
from leadermail.platform.letters.models import Letter
from leadermail.platform.letters.tracking import format_tracking_code
from leadermail.tenants.session import tenant_session
from tests.functional.province.conftest import write_letter
from tests.functional.province.forwarded import INTERNAL, forward, handled_letter
from tests.functional.staff_ops.helpers import make_staff, sign_in_client


def console(tenant, path: str) -> str:  # noqa: ANN001
    return f"/t/{tenant.slug}/console{path}"


async def as_staff(context, client, tenant, name):  # noqa: ANN001, ANN201
    staff = await make_staff(context, tenant, name, Role.REGISTRAR)
    client.cookies.clear()
    sign_in_client(client, staff)
    return staff


async def test_forwarding_over_http_and_what_each_tenant_sees(context, tree, client):
    letter = await write_letter(context, tree.province, title="省里收到的积水来信")
    secret = await write_letter(context, tree.province, title="省里自己办理的来信")

    await as_staff(context, client, tree.province, "省登记员")
    # The letter page is where staff start a 转办.
    page = await client.get(console(tree.province, f"/letters/{letter.id}"))
    assert f"/forwarding/new?letter={letter.id}" in page.text
    form = await client.get(console(tree.province, f"/forwarding/new?letter={letter.id}"))
    assert form.status_code == 200 and tree.city.name in form.text
    response = await client.post(
        console(tree.province, "/forwarding"),
        data={
            "letter_id": str(letter.id),
            "to_tenant_id": str(tree.city.id),
            "note": "请核实办理",
            "due_date": "",
            "request_key": "iso-1",
        },
    )
    assert response.status_code == 303, response.text[:300]
    leg_id = int(response.headers["location"].rsplit("/", 1)[1])
    async with context.database.core_session() as session:
        leg = await session.get(Forwarding, leg_id)
    assert leg.to_letter_id is not None
    page = await client.get(console(tree.province, f"/letters/{letter.id}"))
    assert page.status_code == 200 and "/forwarding/new?" not in page.text  # once only

    # The city: sees the leg, the copy in its inbox, and nothing else of the province.
    await as_staff(context, client, tree.city, "市登记员")
    overview = await client.get(console(tree.city, "/forwarding"))
    assert f'/forwarding/{leg_id}"' in overview.text
    assert (await client.get(console(tree.city, f"/forwarding/{leg_id}"))).status_code == 200
    inbox = await client.get(console(tree.city, "/inbox"))
    assert "省里收到的积水来信" in inbox.text and "省里自己办理的来信" not in inbox.text
    # The copy's page names the sender, the writer's own 查询码 and the way to 签收.
    copy_page = await client.get(console(tree.city, f"/letters/{leg.to_letter_id}"))
    assert 'data-testid="forwarded-from"' in copy_page.text
    assert tree.province.name in copy_page.text
    assert format_tracking_code(letter.tracking_code) in copy_page.text
    assert f"/forwarding/{leg_id}" in copy_page.text
    copy = await client.get(console(tree.city, f"/letters/{leg.to_letter_id}"))
    assert copy.status_code == 200
    if leg.to_letter_id != secret.id:  # ids are per schema: only a distinct id proves something
        assert (await client.get(console(tree.city, f"/letters/{secret.id}"))).status_code == 404
    accept = await client.post(console(tree.city, f"/forwarding/{leg_id}/accept"), data={})
    assert accept.status_code == 303

    # Another city and the county below: the leg does not exist for them.
    for tenant in (tree.other_city, tree.county):
        await as_staff(context, client, tenant, "其他登记员")
        assert (await client.get(console(tenant, f"/forwarding/{leg_id}"))).status_code == 404
        assert (
            f'/forwarding/{leg_id}"' not in (await client.get(console(tenant, "/forwarding"))).text
        )
        refused = await client.post(console(tenant, f"/forwarding/{leg_id}/urge"), data={})
        assert refused.status_code == 404
        inbox = await client.get(console(tenant, "/inbox"))
        assert "省里收到的积水来信" not in inbox.text

    # The province urges over HTTP; the city's copy hears it.
    await as_staff(context, client, tree.province, "省登记员")
    urged = await client.post(
        console(tree.province, f"/forwarding/{leg_id}/urge"), data={"message": "请尽快"}
    )
    assert urged.status_code == 303
    detail = await client.get(console(tree.province, f"/forwarding/{leg_id}"))
    assert "催办次数" in detail.text and "<dd>1</dd>" in detail.text


async def test_a_session_of_one_tenant_gets_nothing_in_another(context, tree, client):
    await as_staff(context, client, tree.city, "市登记员")
    # The city's cookie, sent to the province console: not signed in there.
    response = await client.get(console(tree.province, "/forwarding"))
    assert response.status_code in (303, 401)


async def test_access_forwarding_refuses_third_tenants(context, tree):
    letter = await write_letter(context, tree.province)
    leg = await services.forward_letter_by_id(
        context,
        tenant=tree.province,
        letter_id=letter.id,
        to_tenant_id=tree.city.id,
        actor=Actor(None, "测试"),
    )
    async with context.database.core_session() as session:
        for tenant in (tree.county, tree.other_city):
            with pytest.raises(ForwardingNotFound):
                await services.access_forwarding(session, tenant, leg.id)
        assert (await services.access_forwarding(session, tree.city, leg.id)).id == leg.id
    with pytest.raises(ForwardingNotFound):
        await services.urge_forwarding(
            context, tenant=tree.other_city, forwarding_id=leg.id, actor=Actor(None, "x")
        )
    # The receiver's schema holds only the copy; the sender's nothing of the receiver.
    async with tenant_session(context.database, tree.city) as session:
        titles = (await session.execute(select(Letter.id))).scalars().all()
    assert titles == [leg.to_letter_id]
    async with tenant_session(context.database, tree.other_city) as session:
        assert (await session.execute(select(Letter.id))).scalars().all() == []


async def test_the_receiver_sees_of_the_sender_only_what_it_is_meant_to(context, tree, client):
    """The copy page and the inbox search at the receiver: the sender's
    handling as the citizen sees it, the forwarder and the note; nothing of
    the sender's internal record, other letters or the writer's ID number.
    A mailbox the letter never reached gets nothing at all."""
    letter = await handled_letter(context, tree.province)
    kept_home = await write_letter(context, tree.province, title="省里自己办理的来信")
    leg = await forward(context, tree.province, letter.id, tree.city)

    await as_staff(context, client, tree.city, "市登记员")
    page = (await client.get(console(tree.city, f"/letters/{leg.to_letter_id}"))).text
    assert 'data-testid="sender-history"' in page and "省转办员赵六" in page
    elsewhere = ("省里自己办理的来信", format_tracking_code(kept_home.tracking_code))
    for internal in (*INTERNAL, *elsewhere):
        assert internal not in page, internal
    search = await client.get(
        console(tree.city, "/inbox"), params={"q": kept_home.tracking_code, "state": "all"}
    )
    assert "省里自己办理的来信" not in search.text

    for tenant in (tree.other_city, tree.county):
        await as_staff(context, client, tenant, "其他登记员")
        search = await client.get(
            console(tenant, "/inbox"), params={"q": letter.tracking_code, "state": "all"}
        )
        assert "人民路积水多年未修" not in search.text
        assert (await client.get(console(tenant, f"/forwarding/{leg.id}"))).status_code == 404
