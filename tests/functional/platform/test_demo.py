"""``leadermail demo`` builds the demo province once, with real letters."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from leadermail.platform.audit.models import AuditRecord
from leadermail.platform.demo import build_demo
from leadermail.platform.demo_history import WRITER_MESSAGE_JOBS
from leadermail.platform.demo_letters import seed_letters
from leadermail.platform.demo_sources import SourceLetter, letters_dir
from leadermail.platform.demo_staff import ensure_demo_staff
from leadermail.platform.demo_tenants import DEMO_TENANTS
from leadermail.platform.jobs.models import OutboxJob
from leadermail.platform.letters.models import (
    Assignment,
    Category,
    Letter,
    LetterEvent,
    Reply,
    Unit,
)
from leadermail.platform.letters.workflow import OPEN_STATES
from leadermail.platform.notifications.console import StaffNotification
from leadermail.platform.routing.models import RoutingRule
from leadermail.tenants.session import tenant_session


@pytest.mark.slow
async def test_demo_province_is_built_once_with_letters_in_varied_states(context, client):
    tenants = await build_demo(context)
    assert set(tenants) == {d.slug for d in DEMO_TENANTS}
    assert tenants["shaoshan"].parent_id == tenants["xiangtan"].id
    assert tenants["changsha"].theme != tenants["hunan"].theme

    async def census() -> dict[str, dict[str, int]]:
        result = {}
        for slug, tenant in tenants.items():
            async with tenant_session(context.database, tenant) as session:
                rows = await session.execute(
                    select(Letter.state, func.count()).group_by(Letter.state)
                )
                result[slug] = dict(rows.all())
        return result

    first = await census()
    if letters_dir() is not None:
        assert sum(sum(states.values()) for states in first.values()) >= 300
        states = set(first["hunan"])
        assert {"assigned", "replied", "evaluated", "closed"} <= states
        assert states & {"submitted", "registered", "accepted"}  # the registrar's queue
    await build_demo(context)
    assert await census() == first

    response = await client.get("/", headers={"host": "szxx.changsha.gov.cn"})
    assert response.status_code == 200
    assert "长沙市市长信箱" in response.text


REPLY = (
    "您好！您反映的问题已转交属地街道核实处理。经查，施工单位已调整作业时间，"
    "夜间不再施工。感谢您的监督。"
)


#: (title, body, the unit and category the office's 派单目录 gives it)
SUBJECTS = (
    (
        "关于小区旁工地夜间施工噪音扰民的问题",
        "小区旁边的工地每天晚上十一点以后还在施工，噪音很大，老人孩子无法休息，请有关部门处理。",
        "市生态环境局",
        "环境保护",
    ),
    (
        "孩子上学的学位问题",
        "我家孩子今年该上小学了，片区学校说学位已满，请问该怎么办？希望尽快答复。",
        "市教育局",
        "教育文体",
    ),
)


def _sources(count: int) -> list[SourceLetter]:
    return [
        SourceLetter(
            title=f"{SUBJECTS[index % 2][0]}（{index}）",
            body=SUBJECTS[index % 2][1],
            # Every fifth has no answer on file, like the unlabelled real letters.
            reply=None if index % 5 == 0 else REPLY,
            category=None,
        )
        for index in range(count)
    ]


async def test_demo_history_is_what_the_services_would_have_written_on_those_days(
    context, make_tenant
):
    tenant = await make_tenant()
    await ensure_demo_staff(context, tenant)
    started = datetime.now(UTC)
    assert await seed_letters(context, tenant, _sources(40), random.Random(3)) == 40
    finished = datetime.now(UTC)

    async with tenant_session(context.database, tenant) as session:
        letters = (await session.execute(select(Letter))).scalars().all()
        events = (await session.execute(select(LetterEvent).order_by(LetterEvent.id))).scalars()
        assignments = (await session.execute(select(Assignment))).scalars().all()
        replies = (await session.execute(select(Reply))).scalars().all()
        unit_names = {u.id: u.name for u in (await session.execute(select(Unit))).scalars()}
        category_names = {c.id: c.name for c in (await session.execute(select(Category))).scalars()}
        rules = (await session.execute(select(RoutingRule))).scalars().all()
        audit_times = (await session.execute(select(AuditRecord.created_at))).scalars().all()
        bell = (
            await session.execute(
                select(Letter.state, StaffNotification.read_at).join(
                    Letter, Letter.id == StaffNotification.letter_id
                )
            )
        ).all()
    timeline: dict[int, list[LetterEvent]] = {}
    for event in events:
        timeline.setdefault(event.letter_id, []).append(event)

    # Months of work, with something waiting at every stage.
    assert {"assigned", "replied", "evaluated", "closed"} <= {letter.state for letter in letters}
    assert min(letter.submitted_at for letter in letters) < started - timedelta(days=60)
    for letter in letters:
        stamps = [event.created_at for event in timeline[letter.id]]
        assert timeline[letter.id][0].kind == "submitted"
        assert stamps[0] == letter.submitted_at
        assert stamps == sorted(stamps), letter.id  # each step after the one before
        assert stamps[-1] <= started  # nothing in the future
        assert letter.updated_at in stamps  # the last change, not the day of the demo
        if letter.accepted_at is not None:
            assert letter.submitted_at < letter.accepted_at
        if letter.replied_at is not None:
            assert letter.accepted_at < letter.replied_at <= started
        if letter.is_published:
            assert letter.replied_at <= letter.published_at <= started
        if letter.state in {"submitted", "registered", "accepted", "assigned"}:
            assert letter.submitted_at > started - timedelta(days=26)  # in hand: recent
        # 分办 through the console's own service: one assignment per letter, due
        # when the letter is, made when the timeline says.
        mine = [a for a in assignments if a.letter_id == letter.id]
        if letter.unit_id is None:
            assert mine == []
        else:
            (assignment,) = mine
            assert assignment.unit_id == letter.unit_id
            assert assignment.due_at == letter.reply_due_at
            assigned_at = next(e.created_at for e in timeline[letter.id] if e.kind == "assign")
            assert assignment.created_at == assigned_at
        # The subject decides the unit, as the office's 派单目录 does, and the category.
        _, _, unit, category = next(s for s in SUBJECTS if letter.title.startswith(s[0]))
        assert category_names[letter.category_id] == category
        if letter.unit_id is not None:
            assert unit_names[letter.unit_id] == unit, letter.title
    # Replies went draft → leader's approval → signed and sent, in that order;
    # one not sent yet belongs to a letter still in hand.
    state = {letter.id: letter.state for letter in letters}
    assert {reply.status for reply in replies} >= {"sent"}
    for reply in replies:
        if reply.status == "sent":
            assert reply.signature
            assert reply.created_at < reply.approved_at < reply.sent_at <= started
        else:
            assert state[reply.letter_id] == "assigned"
    # The 派单目录 is the console's own rules, one per unit it knows a subject of.
    assert {unit_names[rule.assign_unit_id] for rule in rules} >= {s[2] for s in SUBJECTS}
    assert len(rules) == len({rule.assign_unit_id for rule in rules})
    # The staff were told as work reached them; what has since been settled
    # was seen at the time, so the bell holds only letters still in hand.
    assert {state for state, _ in bell} - OPEN_STATES
    assert {state for state, read_at in bell if read_at is None} <= OPEN_STATES
    # The audit trail keeps the wall clock: it says when the demo was built.
    assert audit_times and all(started <= at <= finished for at in audit_times)

    async with context.database.core_session() as session:
        queued = (
            await session.execute(
                select(OutboxJob.job_name).where(
                    OutboxJob.tenant_id == tenant.id, OutboxJob.sent_at.is_(None)
                )
            )
        ).scalars().all()
    # Arrival jobs run as for any letter; no message goes to invented writers.
    assert "route_new_letter" in queued
    assert not set(queued) & set(WRITER_MESSAGE_JOBS)


async def test_running_the_demo_again_cleans_letters_loaded_with_excel_artefacts(
    context, make_tenant
):
    tenant = await make_tenant()
    await ensure_demo_staff(context, tenant)
    assert await seed_letters(context, tenant, _sources(3), random.Random(5)) == 3
    async with tenant_session(context.database, tenant) as session:
        letter = (await session.execute(select(Letter).order_by(Letter.id))).scalars().first()
        letter.body = "投诉书_x000D_\n\u3000\u3000投诉人：某某_x000D_\n请处理。"
        await session.commit()
        letter_id = letter.id

    assert await seed_letters(context, tenant, _sources(3), random.Random(5)) == 0
    async with tenant_session(context.database, tenant) as session:
        assert (await session.get(Letter, letter_id)).body == (
            "投诉书\n\u3000\u3000投诉人：某某\n请处理。"
        )
        assert await session.scalar(select(func.count()).select_from(Letter)) == 3
