"""Art. 19 upwards: a letter a citizen wrote to a lower tenant, still in hand
there, flags the same writer's letter on the same matter at any tenant above
(and only above); a closed matter stops flagging; the shared index holds no
personal data."""

from __future__ import annotations

from sqlalchemy import select

from leadermail.platform.forwarding.models import OpenMatter
from tests.functional.province.citizens import (
    NOISE_BODY,
    NOISE_TITLE,
    answer_letter,
    get_letter,
    run_jobs,
    submit,
)


async def index_rows(context, tenant):  # noqa: ANN001, ANN201
    async with context.database.core_session() as session:
        return (
            await session.scalars(select(OpenMatter).where(OpenMatter.tenant_id == tenant.id))
        ).all()


async def flag_of(context, tenant, letter_id):  # noqa: ANN001, ANN201
    return (await get_letter(context, tenant, letter_id)).extra.get("matter_flag")


async def test_a_matter_in_hand_at_the_county_flags_the_letter_at_city_and_province(
    context, tree
):
    everyone = [tree.province, tree.city, tree.county, tree.other_city]
    county = await submit(context, tree.county, phone="13811112222")
    await run_jobs(context, everyone)
    (row,) = await index_rows(context, tree.county)
    assert (row.letter_id, row.state) == (county.letter_id, "submitted")
    # Keyed hashes only: no phone number and no text in the shared schema.
    stored = " ".join(str(v) for v in (row.writer_phone_key, row.writer_id_key, row.fingerprint))
    assert "13811112222" not in stored and "积水" not in stored

    province = await submit(
        context, tree.province, phone="138-1111-2222", title="道路积水问题一直没人管"
    )
    city = await submit(context, tree.city, phone="+86 138 1111 2222")
    elsewhere = await submit(context, tree.other_city, phone="13811112222")
    other_text = await submit(
        context, tree.province, phone="13811112222", title=NOISE_TITLE, body=NOISE_BODY
    )
    other_writer = await submit(context, tree.province, phone="13933334444")
    results = await run_jobs(context, everyone)
    assert results["flag_matter_in_progress"].count("in_progress") == 2

    for tenant, submitted in ((tree.province, province), (tree.city, city)):
        flag = await flag_of(context, tenant, submitted.letter_id)
        assert flag["source"] == "below" and flag["kind"] == "in_progress"
        assert flag["handled_by_tenant_id"] == tree.county.id
        assert flag["matter_letter_id"] == county.letter_id
    # Another city's mailbox is not above the county; other text or writer: no matter.
    assert await flag_of(context, tree.other_city, elsewhere.letter_id) is None
    assert await flag_of(context, tree.province, other_text.letter_id) is None
    assert await flag_of(context, tree.province, other_writer.letter_id) is None
    # The county's own letter is nobody's repeat (there is nothing below it).
    assert await flag_of(context, tree.county, county.letter_id) is None


async def test_the_id_number_alone_identifies_the_writer(context, tree):
    everyone = [tree.province, tree.city, tree.county]
    await submit(context, tree.county, phone="13700000001", id_number="43010519900101123X")
    await run_jobs(context, everyone)
    other_phone = await submit(
        context, tree.province, phone="13700000002", id_number="43010519900101123x"
    )
    await run_jobs(context, everyone)
    flag = await flag_of(context, tree.province, other_phone.letter_id)
    assert flag is not None and flag["handled_by_tenant_id"] == tree.county.id


async def test_a_matter_closed_below_stops_flagging(context, tree):
    everyone = [tree.province, tree.city, tree.county]
    county = await submit(context, tree.county, phone="13822223333")
    await run_jobs(context, everyone)
    before = await submit(context, tree.province, phone="13822223333")
    await run_jobs(context, everyone)
    assert (await flag_of(context, tree.province, before.letter_id))["source"] == "below"

    await answer_letter(context, tree.county, county.letter_id, "排水管道已疏通。")
    results = await run_jobs(context, everyone)
    assert "removed" in results["refresh_open_matter"]
    assert await index_rows(context, tree.county) == []

    after = await submit(context, tree.province, phone="13822223333")
    results = await run_jobs(context, everyone)
    assert results["flag_matter_in_progress"] == ["no match"]
    assert await flag_of(context, tree.province, after.letter_id) is None


async def test_a_forwarded_matter_below_is_open_until_its_completion(context, tree):
    """The county forwards its letter on; the matter stays open (state forwarded)."""
    from leadermail.platform.audit.writer import Actor
    from leadermail.platform.forwarding import services

    department = tree.county  # the city hands the letter it received on to the county
    everyone = [tree.province, tree.city, tree.county]
    city = await submit(context, tree.city, phone="13855556666")
    await run_jobs(context, everyone)
    leg = await services.forward_letter_by_id(
        context,
        tenant=tree.city,
        letter_id=city.letter_id,
        to_tenant_id=department.id,
        actor=Actor(user_id=None, label="市登记员"),
    )
    await run_jobs(context, everyone)
    (row,) = await index_rows(context, tree.city)
    assert row.state == "forwarded"

    repeat = await submit(context, tree.province, phone="13855556666")
    await run_jobs(context, everyone)
    assert (await flag_of(context, tree.province, repeat.letter_id))["handled_by_tenant_id"] == (
        tree.city.id
    )

    await answer_letter(context, department, leg.to_letter_id, "已处理。")
    await services.report_completion(
        context,
        tenant=department,
        forwarding_id=leg.id,
        actor=Actor(user_id=None, label="县登记员"),
        report="已处理完毕",
    )
    await run_jobs(context, everyone)
    assert (await get_letter(context, tree.city, city.letter_id)).state == "replied"
    assert await index_rows(context, tree.city) == []
