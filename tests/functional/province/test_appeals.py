"""复查 → 复核 → final, from the citizen's tracking page; repeat letters flagged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from leadermail.platform.appeals.models import Appeal
from leadermail.platform.appeals.services import AppealError, answer_appeal, request_appeal
from leadermail.platform.audit.writer import Actor
from leadermail.platform.clock import utcnow
from leadermail.platform.forwarding import services
from leadermail.platform.forwarding.intake import flag_matter_in_progress
from leadermail.platform.letters.models import Letter, Reply
from leadermail.tenants.session import tenant_session
from tests.functional.province.conftest import PASSWORD, reply_to, write_letter

ACTOR = Actor(user_id=None, label="审查员")


async def open_tracking(client, tenant, letter):  # noqa: ANN001, ANN201
    client.cookies.clear()
    page = await client.get(f"/t/{tenant.slug}/track")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = await client.post(
        f"/t/{tenant.slug}/track",
        data={"code": letter.tracking_code, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code in (200, 303), response.text[:500]
    return token


async def test_review_then_re_review_then_final_over_http(context, tree, client):
    letter = await write_letter(context, tree.county, phone="13700001111")
    await reply_to(context, tree.county, letter.id, "经核查，道路排水设施已纳入改造计划。")
    token = await open_tracking(client, tree.county, letter)

    page = await client.get(f"/t/{tree.county.slug}/track/{letter.tracking_code}/path")
    assert page.status_code == 200
    assert "申请复查" in page.text and tree.city.name in page.text

    response = await client.post(
        f"/t/{tree.county.slug}/track/{letter.tracking_code}/appeal",
        data={"reason": "改造计划没有时间表", "csrf_token": token},
    )
    assert response.status_code == 303
    async with context.database.core_session() as session:
        review = await session.scalar(
            select(Appeal).where(Appeal.tracking_code == letter.tracking_code)
        )
    assert review.kind == "review" and review.to_tenant_id == tree.city.id
    assert review.answer_due_at - utcnow() >= timedelta(days=29)
    async with tenant_session(context.database, tree.city) as session:
        copy = await session.get(Letter, review.to_letter_id)
    assert copy.title.startswith("【复查申请】")

    again = await client.post(
        f"/t/{tree.county.slug}/track/{letter.tracking_code}/appeal",
        data={"reason": "再申请一次", "csrf_token": token},
    )
    assert again.status_code == 422 and "正在办理中" in again.text

    await answer_appeal(
        context,
        tenant=tree.city,
        appeal_id=review.id,
        actor=ACTOR,
        outcome="upheld",
        opinion="维持县里的答复，改造将于明年实施。",
    )
    page = await client.get(f"/t/{tree.county.slug}/track/{letter.tracking_code}/path")
    assert "申请复核" in page.text and tree.province.name in page.text

    async with tenant_session(context.database, tree.county) as session:
        fresh = await session.get(Letter, letter.id)
    re_review = await request_appeal(context, tenant=tree.county, letter=fresh, reason="仍不满意")
    assert re_review.kind == "re_review" and re_review.to_tenant_id == tree.province.id
    await answer_appeal(
        context,
        tenant=tree.province,
        appeal_id=re_review.id,
        actor=ACTOR,
        outcome="upheld",
        opinion="复核维持。",
    )
    page = await client.get(f"/t/{tree.county.slug}/track/{letter.tracking_code}/path")
    assert "不再受理" in page.text and "申请复" not in page.text.split("不再受理")[1]
    with pytest.raises(AppealError, match="不再受理"):
        await request_appeal(context, tenant=tree.county, letter=fresh, reason="还要申请")

    # A new letter on the same matter, anywhere, is flagged 不再受理.
    repeat = await write_letter(context, tree.province, phone="137 0000 1111")
    assert (
        await flag_matter_in_progress(
            {"app": context}, tenant_id=tree.province.id, letter_id=repeat.id
        )
        == "final"
    )
    async with tenant_session(context.database, tree.province) as session:
        flagged = await session.get(Letter, repeat.id)
    assert flagged.extra["matter_flag"]["label"] == "不再受理"


async def test_no_appeal_before_a_reply_or_after_thirty_days(context, tree):
    letter = await write_letter(context, tree.county)
    with pytest.raises(AppealError, match="收到书面答复后"):
        await request_appeal(context, tenant=tree.county, letter=letter, reason="不满意")
    async with tenant_session(context.database, tree.county) as session:
        session.add(
            Reply(
                tenant_id=tree.county.id,
                letter_id=letter.id,
                body_html="<p>答复</p>",
                status="sent",
                sent_at=utcnow() - timedelta(days=40),
            )
        )
        await session.commit()
    with pytest.raises(AppealError, match="已超过"):
        await request_appeal(context, tenant=tree.county, letter=letter, reason="不满意")


async def test_a_reply_from_the_province_has_nowhere_higher_to_go(context, tree):
    letter = await write_letter(context, tree.province)
    await reply_to(context, tree.province, letter.id, "答复")
    with pytest.raises(AppealError, match="没有可受理复查的上一级机关"):
        await request_appeal(context, tenant=tree.province, letter=letter, reason="不满意")


async def test_the_tracking_page_shows_the_path_and_the_final_reply(context, tree, client):
    letter = await write_letter(context, tree.province)
    leg = await services.forward_letter_by_id(
        context,
        tenant=tree.province,
        letter_id=letter.id,
        to_tenant_id=tree.city.id,
        actor=ACTOR,
        note="请办理",
    )
    await reply_to(context, tree.city, leg.to_letter_id, "已修好排水口。")
    await open_tracking(client, tree.province, letter)
    tracked = await client.get(f"/t/{tree.province.slug}/track/{letter.tracking_code}")
    assert f"/track/{letter.tracking_code}/path" in tracked.text  # the include on issue 3's page
    page = await client.get(
        f"/t/{tree.province.slug}/track/{letter.tracking_code}/path", headers={"HX-Request": "true"}
    )
    assert page.status_code == 200 and "<html" not in page.text
    assert f"{tree.province.name} 转交 {tree.city.name}" in page.text
    assert "已修好排水口" in page.text
    # The appeal from a forwarded letter goes above the tenant that answered.
    assert f"由{tree.province.name}办理" in page.text


async def test_art_19_a_repeat_letter_upstairs_is_flagged(context, tree):
    first = await write_letter(context, tree.province, phone="13812345678")
    await services.forward_letter_by_id(
        context, tenant=tree.province, letter_id=first.id, to_tenant_id=tree.city.id, actor=ACTOR
    )
    repeat = await write_letter(
        context, tree.province, title="小区门口道路积水问题还没解决", phone="138-1234-5678"
    )
    other = await write_letter(
        context, tree.province, title="噪音扰民", body="楼下商铺夜间施工噪音很大。"
    )
    run = {"app": context}
    assert (
        await flag_matter_in_progress(run, tenant_id=tree.province.id, letter_id=repeat.id)
        == "in_progress"
    )
    assert (
        await flag_matter_in_progress(run, tenant_id=tree.province.id, letter_id=other.id)
        == "no match"
    )
    async with tenant_session(context.database, tree.province) as session:
        flagged = await session.get(Letter, repeat.id)
    assert flagged.extra["matter_flag"]["handled_by_tenant_id"] == tree.city.id
