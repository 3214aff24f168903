"""The forwarded copy's page at the receiving mailbox, as its registrar meets
it: the category in the receiver's own list (the sender's shown as
information) and what happened at the senders before the letter came."""

from __future__ import annotations

from sqlalchemy import select

from leadermail.platform.audit.models import AuditRecord
from leadermail.platform.audit.writer import Actor
from leadermail.platform.forwarding import services
from leadermail.platform.forwarding.copies import ForwardedCopy
from leadermail.platform.letters.models import Category, Letter
from leadermail.platform.letters.tracking import format_tracking_code
from leadermail.tenants.session import tenant_session
from tests.functional.province.conftest import write_letter
from tests.functional.province.forwarded import (
    INTERNAL,
    category_id,
    copy_of,
    forward,
    handled_letter,
    sender_history,
)
from tests.functional.province.test_isolation import as_staff, console


async def test_the_copy_takes_the_receivers_category_of_the_same_name(context, tree, client):
    letter = await handled_letter(context, tree.province, category="城乡建设")
    leg = await forward(context, tree.province, letter.id, tree.city)
    copy = await copy_of(context, tree.city, leg)
    assert copy.category_id == await category_id(context, tree.city, "城乡建设")

    await as_staff(context, client, tree.city, "市登记员")
    page = (await client.get(console(tree.city, f"/letters/{copy.id}"))).text
    assert "分类：城乡建设" in page
    origin = page.split('data-testid="origin-category">')[1].split("</p>")[0]
    assert origin == "转出机关的分类：城乡建设（已按同名分类登记）。"


async def test_without_that_name_the_category_stays_empty_and_the_registrar_classifies(
    context, tree, make_tenant, client
):
    receiver = await make_tenant(
        name="丁市市长信箱", kind="city", parent_id=tree.province.id,
        categories=("住房保障", "市容环境", "其他"),
    )  # fmt: skip
    letter = await handled_letter(context, tree.province, category="城乡建设")
    leg = await forward(context, tree.province, letter.id, receiver)
    copy = await copy_of(context, receiver, leg)
    assert copy.category_id is None
    async with tenant_session(context.database, receiver) as session:
        kept = await session.get(ForwardedCopy, copy.id)
    assert kept.origin_category_name == "城乡建设"
    assert kept.writer_tracking_code == letter.tracking_code

    await as_staff(context, client, receiver, "丁市登记员")
    page = (await client.get(console(receiver, f"/letters/{copy.id}"))).text
    assert "转出机关的分类：城乡建设。本信箱没有同名分类" in page
    assert f"/letters/{copy.id}/classify" in page  # 登记分类 is offered

    housing = await category_id(context, receiver, "住房保障")
    done = await client.post(
        console(receiver, f"/letters/{copy.id}/classify"),
        data={"letter_type": "complaint", "category_id": str(housing), "priority": "normal"},
    )
    assert done.status_code in (200, 303)
    assert (await copy_of(context, receiver, leg)).category_id == housing
    async with tenant_session(context.database, receiver) as session:
        actions = (await session.execute(select(AuditRecord.action))).scalars().all()
    assert "letter.classify" in actions
    # The copy's category is now the registrar's; the sender's stays as information.
    page = (await client.get(console(receiver, f"/letters/{copy.id}"))).text
    assert "分类：住房保障" in page
    assert 'data-testid="origin-category">转出机关的分类：城乡建设。</p>' in page


async def test_a_name_found_twice_is_settled_by_its_parent(context, tree, make_tenant):
    receiver = await make_tenant(
        name="戊市市长信箱", kind="city", parent_id=tree.province.id,
        categories=("城乡建设", "环境保护"),
    )  # fmt: skip
    for tenant in (tree.province, receiver):
        async with tenant_session(context.database, tenant) as session:
            for parent in ("城乡建设", "环境保护"):
                parent_id = (
                    await session.execute(select(Category.id).where(Category.name == parent))
                ).scalar_one()
                session.add(Category(tenant_id=tenant.id, name="噪声", parent_id=parent_id))
            await session.commit()
    letter = await write_letter(context, tree.province)
    environment = await category_id(context, tree.province, "环境保护")
    noise = await category_id(context, tree.province, "噪声", parent=environment)
    async with tenant_session(context.database, tree.province) as session:
        (await session.get(Letter, letter.id)).category_id = noise
        await session.commit()
    leg = await forward(context, tree.province, letter.id, receiver)
    receiver_environment = await category_id(context, receiver, "环境保护")
    assert (await copy_of(context, receiver, leg)).category_id == await category_id(
        context, receiver, "噪声", parent=receiver_environment
    )


async def test_the_copy_shows_the_senders_handling_and_nothing_internal(context, tree, client):
    letter = await handled_letter(context, tree.province)
    leg = await forward(context, tree.province, letter.id, tree.city)

    await as_staff(context, client, tree.city, "市登记员")
    page = (await client.get(console(tree.city, f"/letters/{leg.to_letter_id}"))).text
    province = tree.province.name
    assert sender_history(page) == [
        f"{province} · 收到来信（网站）",
        f"{province} · 来信已受理",
        f"{province} · 转办至{tree.city.name}（转办人：省转办员赵六；转办意见：请核实后依法办理）",
    ]
    for internal in INTERNAL:
        assert internal not in page, internal


async def test_down_a_chain_the_county_sees_each_mailbox_on_the_way(context, tree, client):
    letter = await handled_letter(context, tree.province)
    leg1 = await forward(context, tree.province, letter.id, tree.city)
    await services.accept_forwarding(
        context, tenant=tree.city, forwarding_id=leg1.id, actor=Actor(None, "市登记员")
    )
    leg2 = await forward(
        context, tree.city, leg1.to_letter_id, tree.county, note="请乙县办理",
        actor=Actor(None, "市转办员孙七"),
    )  # fmt: skip

    await as_staff(context, client, tree.county, "县登记员")
    page = (await client.get(console(tree.county, f"/letters/{leg2.to_letter_id}"))).text
    province, city = tree.province.name, tree.city.name
    assert sender_history(page) == [
        f"{province} · 收到来信（网站）",
        f"{province} · 来信已受理",
        f"{province} · 转办至{city}（转办人：省转办员赵六；转办意见：请核实后依法办理）",
        f"{city} · 收到{province}转办",
        f"{city} · 签收转办来信",
        f"{city} · 转办至{tree.county.name}（转办人：市转办员孙七；转办意见：请乙县办理）",
    ]
    assert format_tracking_code(letter.tracking_code) in page
    for internal in INTERNAL:
        assert internal not in page, internal
