"""Workflow actions over HTTP: transitions, refusals, 举报 rules, forged posts."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.platform.audit.models import AuditRecord
from leadermail.platform.deadlines.letters import letter_deadlines, session_calendar
from leadermail.platform.jobs.models import OutboxJob
from leadermail.platform.letters.models import Category, Letter, LetterEvent, Unit
from leadermail.platform.letters.staff_models import InternalNote, LeaderInstruction
from leadermail.tenants.session import tenant_session
from tests.functional.console.staff_session import (
    console_url,
    make_letter,
    make_staff,
    sign_in_client,
)


async def unit_ids(context, tenant) -> list[int]:
    async with tenant_session(context.database, tenant) as session:
        return list((await session.execute(select(Unit.id).order_by(Unit.id))).scalars())


async def letter_state(context, tenant, letter_id) -> str:
    async with tenant_session(context.database, tenant) as session:
        return (
            await session.execute(select(Letter.state).where(Letter.id == letter_id))
        ).scalar_one()


async def test_register_accept_assign_close_with_timeline_and_audit(context, make_tenant, client):
    tenant = await make_tenant()
    unit = (await unit_ids(context, tenant))[0]
    letter = await make_letter(context, tenant)
    sign_in_client(client, await make_staff(context, tenant, "王登记", Role.REGISTRAR))
    base = console_url(tenant, f"/letters/{letter.id}")
    assert (await client.post(base + "/do/register")).status_code == 303
    assert (await client.post(base + "/do/accept")).status_code == 303
    assigned = await client.post(
        base + "/assign",
        data={"unit_id": str(unit), "note": "请核实"},
        headers={"HX-Request": "true"},
    )
    assert assigned.status_code == 200 and 'id="letter-main"' in assigned.text
    assert "<html" not in assigned.text  # only the swapped block
    assert await letter_state(context, tenant, letter.id) == "assigned"
    async with tenant_session(context.database, tenant) as session:
        kinds = (
            (
                await session.execute(
                    select(LetterEvent.kind)
                    .where(LetterEvent.letter_id == letter.id)
                    .order_by(LetterEvent.id)
                )
            )
            .scalars()
            .all()
        )
        actions = (
            (await session.execute(select(AuditRecord.action).order_by(AuditRecord.id)))
            .scalars()
            .all()
        )
    # Accepting issues the statutory acceptance notice (受理告知) at once.
    assert kinds == ["register", "accept", "notice_acceptance", "assign"]
    assert actions == [
        "letter.register",
        "letter.accept",
        "letter.notice_acceptance",
        "letter.assign",
    ]


async def test_illegal_transition_is_refused_with_a_clear_message(context, make_tenant, client):
    tenant = await make_tenant()
    letter = await make_letter(context, tenant, state="closed")
    sign_in_client(client, await make_staff(context, tenant, "王登记", Role.REGISTRAR))
    response = await client.post(
        console_url(tenant, f"/letters/{letter.id}/do/accept"), headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert "来信当前状态为“已办结”，不能执行“受理”" in response.text
    assert await letter_state(context, tenant, letter.id) == "closed"
    # Without JS: redirect back with the message shown on the page.
    plain = await client.post(console_url(tenant, f"/letters/{letter.id}/do/accept"))
    assert plain.status_code == 303
    page = await client.get(plain.headers["location"])
    assert "不能执行“受理”" in page.text


async def test_reject_requires_a_reason(context, make_tenant, client):
    tenant = await make_tenant()
    letter = await make_letter(context, tenant, state="registered")
    sign_in_client(client, await make_staff(context, tenant, "王登记", Role.REGISTRAR))
    url = console_url(tenant, f"/letters/{letter.id}/do/reject")
    empty = await client.post(url, data={"message": "  "}, headers={"HX-Request": "true"})
    assert empty.status_code == 422 and "请填写不予受理的理由" in empty.text
    done = await client.post(url, data={"message": "不属于本机关职责范围"})
    assert done.status_code == 303
    assert await letter_state(context, tenant, letter.id) == "not_accepted"


async def test_a_report_never_goes_to_the_accused_unit_and_supervisors_are_alerted(
    context, make_tenant, client
):
    tenant = await make_tenant()
    accused, other = (await unit_ids(context, tenant))[:2]
    report = await make_letter(
        context,
        tenant,
        state="accepted",
        letter_type="report",
        accused_unit_id=accused,
        accused_person="某科长",
    )
    sign_in_client(client, await make_staff(context, tenant, "王登记", Role.REGISTRAR))
    refused = await client.post(
        console_url(tenant, f"/letters/{report.id}/assign"),
        data={"unit_id": str(accused)},
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 422 and "不能交由被举报单位办理" in refused.text
    assert await letter_state(context, tenant, report.id) == "accepted"
    async with tenant_session(context.database, tenant) as session:
        audit = (await session.execute(select(AuditRecord.action))).scalars().all()
        jobs = (
            (
                await session.execute(
                    select(OutboxJob).where(
                        OutboxJob.job_name == "alert_supervisors_report_misassignment",
                        OutboxJob.tenant_id == tenant.id,
                    )
                )
            )
            .scalars()
            .all()
        )
    assert "letter.assign_refused" in audit
    assert len(jobs) == 1 and jobs[0].kwargs["letter_id"] == report.id
    # Bulk assign refuses the same way.
    bulk = await client.post(
        console_url(tenant, "/inbox/assign"),
        data={"letter_id": str(report.id), "unit_id": str(accused)},
    )
    assert bulk.status_code == 303
    assert await letter_state(context, tenant, report.id) == "accepted"
    ok = await client.post(
        console_url(tenant, f"/letters/{report.id}/assign"), data={"unit_id": str(other)}
    )
    assert ok.status_code == 303
    assert await letter_state(context, tenant, report.id) == "assigned"


async def test_reading_a_report_is_audited(context, make_tenant, client):
    tenant = await make_tenant()
    report = await make_letter(context, tenant, letter_type="report")
    plain = await make_letter(context, tenant)
    sign_in_client(client, await make_staff(context, tenant, "赵督办", Role.SUPERVISOR))
    assert (await client.get(console_url(tenant, f"/letters/{plain.id}"))).status_code == 200
    assert (await client.get(console_url(tenant, f"/letters/{report.id}"))).status_code == 200
    async with tenant_session(context.database, tenant) as session:
        rows = (await session.execute(select(AuditRecord.action, AuditRecord.object_id))).all()
    assert rows == [("letter.read_report", str(report.id))]


async def test_leader_instructs_and_notes_stay_internal(context, make_tenant, client):
    tenant = await make_tenant()
    letter = await make_letter(context, tenant, state="assigned")
    sign_in_client(client, await make_staff(context, tenant, "刘领导", Role.LEADER))
    base = console_url(tenant, f"/letters/{letter.id}")
    assert (
        await client.post(base + "/instructions", data={"body": "请三日内办结"})
    ).status_code == 303
    assert (
        await client.post(base + "/notes", data={"body": "已电话联系来信人"})
    ).status_code == 303
    page = await client.get(base)
    assert "请三日内办结" in page.text and "已电话联系来信人" in page.text
    async with tenant_session(context.database, tenant) as session:
        assert len((await session.execute(select(LeaderInstruction))).scalars().all()) == 1
        assert len((await session.execute(select(InternalNote))).scalars().all()) == 1
        public = (
            (await session.execute(select(LetterEvent.kind).where(LetterEvent.is_public.is_(True))))
            .scalars()
            .all()
        )
    assert "instruction" not in public and "note" not in public
    # Closing is the registrar's job: a leader is refused, nothing changes.
    refused = await client.post(base + "/do/close", headers={"HX-Request": "true"})
    assert refused.status_code == 422 and "没有执行此操作的权限" in refused.text


async def test_a_handler_cannot_act_on_another_units_letter(context, make_tenant, client):
    tenant = await make_tenant()
    mine, theirs = (await unit_ids(context, tenant))[:2]
    letter = await make_letter(context, tenant, state="assigned", unit_id=theirs)
    sign_in_client(client, await make_staff(context, tenant, "李承办", Role.HANDLER, unit_id=mine))
    base = console_url(tenant, f"/letters/{letter.id}")
    assert (await client.get(base)).status_code == 404
    assert (await client.post(base + "/notes", data={"body": "x"})).status_code == 404
    assert (await client.post(base + "/reply", data={"body": "答复"})).status_code == 404
    assert (await client.get(console_url(tenant, "/letters/999999"))).status_code == 404


async def test_tenant_a_staff_cannot_open_tenant_b_letters(context, make_tenant, client):
    tenant_a, tenant_b = await make_tenant(), await make_tenant()
    letter_b = await make_letter(context, tenant_b)
    staff_a = await make_staff(context, tenant_a, "王登记", Role.TENANT_ADMIN)
    sign_in_client(client, staff_a)
    # Same letter id under A's address: not found (A has no such letter).
    assert (await client.get(console_url(tenant_a, f"/letters/{letter_b.id}"))).status_code in {404}
    # B's address: A's session is nobody there.
    response = await client.get(console_url(tenant_b, f"/letters/{letter_b.id}"))
    assert response.status_code == 303 and "/login" in response.headers["location"]


async def test_forged_and_replayed_posts_are_rejected(context, make_tenant, client, app):
    tenant = await make_tenant()
    letter = await make_letter(context, tenant, state="registered")
    sign_in_client(client, await make_staff(context, tenant, "王登记", Role.REGISTRAR))
    url = console_url(tenant, f"/letters/{letter.id}/do/accept")
    # A cross-site form: the session cookie rides along, the token does not.
    forged = await client.post(url, headers={"X-CSRF-Token": ""}, data={"x": "1"})
    assert forged.status_code == 403
    wrong = await client.post(url, headers={"X-CSRF-Token": "guessed"})
    assert wrong.status_code == 403
    # A token captured from another session, replayed with this one.
    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    sign_in_client(other, await make_staff(context, tenant, "另一人", Role.REGISTRAR))
    replayed = await client.post(url, headers={"X-CSRF-Token": other.headers["X-CSRF-Token"]})
    await other.aclose()
    assert replayed.status_code == 403
    assert await letter_state(context, tenant, letter.id) == "registered"


async def test_the_registrar_corrects_type_category_and_priority_and_deadlines_follow(
    context, make_tenant, client
):
    tenant = await make_tenant()
    letter = await make_letter(context, tenant, letter_type="consultation")
    async with tenant_session(context.database, tenant) as session:
        categories = {c.name: c.id for c in (await session.execute(select(Category))).scalars()}
    registrar = await make_staff(context, tenant, "王登记", Role.REGISTRAR)
    sign_in_client(client, registrar)
    base = console_url(tenant, f"/letters/{letter.id}")
    assert "登记分类" in (await client.get(base)).text
    assert (await client.post(base + "/do/register")).status_code == 303

    bad = await client.post(
        base + "/classify",
        data={"letter_type": "gossip", "category_id": "", "priority": "normal"},
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 422 and "请选择来信类型" in bad.text
    done = await client.post(
        base + "/classify",
        data={
            "letter_type": "complaint",
            "category_id": str(categories["环境保护"]),
            "priority": "urgent",
        },
    )
    assert done.status_code == 303

    async with tenant_session(context.database, tenant) as session:
        changed = await session.get(Letter, letter.id)
        event = (
            await session.execute(select(LetterEvent).where(LetterEvent.kind == "classified"))
        ).scalar_one()
        audit = (
            await session.execute(
                select(AuditRecord).where(AuditRecord.action == "letter.classify")
            )
        ).scalar_one()
    assert (changed.letter_type, changed.category_id, changed.priority) == (
        "complaint", categories["环境保护"], "urgent"
    )
    # The deadlines follow the new type, from the one place that computes them.
    async with tenant_session(context.database, tenant) as session:
        expected = letter_deadlines(changed, tenant.settings, await session_calendar(session))
    assert changed.reply_due_at is not None
    assert changed.reply_due_at == expected.reply.due_at
    assert event.message == "调整分类：类型 咨询→投诉；分类 未分类→环境保护；优先级 普通→特急"
    assert not event.is_public
    assert audit.data["before"]["letter_type"] == "consultation"

    # A handler may not reclassify.
    handler = await make_staff(context, tenant, "李承办", Role.HANDLER)
    sign_in_client(client, handler)
    refused = await client.post(
        base + "/classify",
        data={"letter_type": "report", "category_id": "", "priority": "normal"},
        headers={"HX-Request": "true"},
    )
    assert refused.status_code in (403, 404, 422)
