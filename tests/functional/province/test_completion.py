"""The receiver's completion report (办结报告) answers the sender's letter, up
a province → city → county chain, with the citizen querying at each step;
then evaluation and 复查 work on the site where the citizen wrote."""

from __future__ import annotations

from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.platform.appeals.services import next_appeal_step
from leadermail.platform.audit.writer import Actor
from leadermail.platform.forwarding import services
from leadermail.platform.forwarding.models import Forwarding, OpenMatter
from leadermail.platform.letters.models import Evaluation
from leadermail.tenants.session import tenant_session
from tests.functional.province.citizens import (
    answer_letter,
    audit_actions,
    get_letter,
    open_tracking,
    public_messages,
    run_jobs,
    submit,
    tracked,
)
from tests.functional.staff_ops.helpers import make_staff, sign_in_client

ACTOR = Actor(user_id=None, label="测试员")


def console(tenant, path: str) -> str:  # noqa: ANN001
    return f"/t/{tenant.slug}/console{path}"


async def is_indexed(context, tenant, letter_id) -> bool:  # noqa: ANN001
    async with context.database.core_session() as session:
        return await session.get(OpenMatter, (tenant.id, letter_id)) is not None


async def test_county_completes_city_completes_province_letter_answered(context, tree, client):
    everyone = [tree.province, tree.city, tree.county]
    citizen = await submit(context, tree.province, phone="13912340000")
    code, password = citizen.tracking_code, citizen.password
    assert password is not None
    await run_jobs(context, everyone)

    await open_tracking(client, tree.province, code, password)
    page, path = await tracked(client, tree.province, code)
    assert "待登记" in page and "来信由本信箱直接办理" in path

    leg1 = await services.forward_letter_by_id(
        context, tenant=tree.province, letter_id=citizen.letter_id, to_tenant_id=tree.city.id,
        actor=ACTOR,
    )
    page, path = await tracked(client, tree.province, code)
    assert "已转办" in page and f"{tree.province.name} 转交 {tree.city.name}" in path

    await services.accept_forwarding(context, tenant=tree.city, forwarding_id=leg1.id, actor=ACTOR)
    leg2 = await services.forward_letter_by_id(
        context, tenant=tree.city, letter_id=leg1.to_letter_id, to_tenant_id=tree.county.id,
        actor=ACTOR,
    )
    await services.accept_forwarding(
        context, tenant=tree.county, forwarding_id=leg2.id, actor=ACTOR
    )
    page, path = await tracked(client, tree.province, code)
    assert "已转办" in page and f"{tree.city.name} 转交 {tree.county.name}" in path
    assert "最终答复" not in path

    # The county answers the citizen and reports, over HTTP.
    await answer_letter(context, tree.county, leg2.to_letter_id, "排水管道已于本周疏通。")
    county_staff = await make_staff(context, tree.county, "县登记员", Role.REGISTRAR)
    sign_in_client(client, county_staff)
    reported = await client.post(
        console(tree.county, f"/forwarding/{leg2.id}/report"), data={"report": "已疏通排水管道"}
    )
    assert reported.status_code == 303

    async with context.database.core_session() as session:
        statuses = [
            (await session.get(Forwarding, leg_id)).status for leg_id in (leg1.id, leg2.id)
        ]
    assert statuses == ["completed", "completed"]
    assert (await get_letter(context, tree.city, leg1.to_letter_id)).state == "replied"
    original = await get_letter(context, tree.province, citizen.letter_id)
    assert original.state == "replied" and original.replied_at is not None
    assert any(
        tree.county.name in m and "办结" in m
        for m in await public_messages(context, tree.province, citizen.letter_id)
    )
    for tenant in (tree.province, tree.city):
        assert {"forwarding.completion_received", "letter.complete_forwarded"} <= (
            await audit_actions(context, tenant)
        )
    assert "forwarding.completed" in await audit_actions(context, tree.county)

    # The province's "forwarded" view: completed, with the final reply.
    province_staff = await make_staff(context, tree.province, "省登记员", Role.REGISTRAR)
    sign_in_client(client, province_staff)
    detail = await client.get(console(tree.province, f"/forwarding/{leg1.id}"))
    assert "已办结" in detail.text and "排水管道已于本周疏通" in detail.text
    overview = await client.get(console(tree.province, "/forwarding"))
    assert "已办结" in overview.text

    # The citizen: answered, the whole path completed, the final reply.
    token = await open_tracking(client, tree.province, code, password)
    page, path = await tracked(client, tree.province, code)
    assert "已答复" in page
    assert path.count("已办结") >= 2 and "排水管道已于本周疏通" in path
    assert f"最终答复（{tree.county.name}）" in path

    # The closed matter left the art. 19 index.
    await run_jobs(context, everyone)
    assert not await is_indexed(context, tree.province, citizen.letter_id)

    # 复查 goes to the level above the county, which answered.
    step = await next_appeal_step(context, tree.province, original)
    assert step.kind == "review" and step.to_tenant.id == tree.city.id
    assert "申请复查" in path and tree.city.name in path

    # Evaluation on the site where the citizen wrote.
    evaluated = await client.post(
        f"/t/{tree.province.slug}/track/{code}/evaluate",
        data={"satisfaction": "satisfied", "problem_solved": "yes", "csrf_token": token},
    )
    assert evaluated.status_code == 303, evaluated.text[:300]
    assert (await get_letter(context, tree.province, citizen.letter_id)).state == "evaluated"
    async with tenant_session(context.database, tree.province) as session:
        rating = await session.scalar(
            select(Evaluation).where(Evaluation.letter_id == citizen.letter_id)
        )
    assert rating is not None and rating.satisfaction == "satisfied"


async def test_unsatisfied_citizen_gets_the_letter_handled_again_at_home(context, tree, client):
    everyone = [tree.province, tree.city]
    citizen = await submit(context, tree.province, phone="13912341111")
    await run_jobs(context, everyone)
    leg = await services.forward_letter_by_id(
        context, tenant=tree.province, letter_id=citizen.letter_id, to_tenant_id=tree.city.id,
        actor=ACTOR,
    )
    await answer_letter(context, tree.city, leg.to_letter_id, "已安排维修。")
    await services.report_completion(
        context, tenant=tree.city, forwarding_id=leg.id, actor=ACTOR, report="已安排维修"
    )
    # Reported twice (the outbox job after the inline run): one event, one transition.
    from leadermail.platform.forwarding.completion import receive_completion_report

    assert not await receive_completion_report(context, forwarding_id=leg.id)
    await run_jobs(context, everyone)
    assert not await is_indexed(context, tree.province, citizen.letter_id)

    token = await open_tracking(client, tree.province, citizen.tracking_code, citizen.password)
    response = await client.post(
        f"/t/{tree.province.slug}/track/{citizen.tracking_code}/evaluate",
        data={
            "satisfaction": "unsatisfied",
            "problem_solved": "no",
            "comment": "维修没有进行",
            "wants_rehandling": "1",
            "csrf_token": token,
        },
    )
    assert response.status_code == 303, response.text[:300]
    letter = await get_letter(context, tree.province, citizen.letter_id)
    assert letter.state == "assigned" and letter.rehandle_count == 1
    # In hand again: back in the index, so a repeat letter upstairs would be flagged.
    await run_jobs(context, everyone)
    assert await is_indexed(context, tree.province, citizen.letter_id)
