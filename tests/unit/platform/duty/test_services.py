"""Duty roster services on a real tenant schema."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from leadermail.platform.accounts.policy import StaffUser
from leadermail.platform.audit.writer import Actor
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.calendar import WorkCalendar
from leadermail.platform.duty.rota import RotaError, RotaTeams, StaffRef, plan_rota
from leadermail.platform.duty.services import (
    HandoverError,
    duty_inbox_filter,
    duty_log,
    hand_over,
    next_shift,
    note_inbox_opened,
    save_rota,
    shift_at,
    unseen_new_letters,
)
from leadermail.platform.letters.models import Letter
from leadermail.tenants.session import tenant_session
from tests.functional.staff_ops.helpers import make_letter, make_staff

ACTOR = Actor(user_id=None, label="测试")


def staff_user(tenant, staff) -> StaffUser:  # noqa: ANN001
    return StaffUser(staff.user_id, staff.name, staff.email, tenant, frozenset({"registrar"}))


async def around_now(context, tenant, day_person, night_person):  # noqa: ANN001, ANN201
    today = utcnow().date()
    teams = RotaTeams(
        workday=[StaffRef(day_person.user_id, day_person.name)],
        night=[StaffRef(night_person.user_id, night_person.name)],
    )
    # Everyone is on one rota for three days: whatever "now" is, someone is on duty.
    entries = plan_rota(today - timedelta(days=1), today + timedelta(days=1), WorkCalendar(), teams)
    async with tenant_session(context.database, tenant) as session:
        await save_rota(session, tenant_id=tenant.id, entries=entries, actor=ACTOR)
        await session.commit()
    return entries


async def test_who_is_on_duty_now_and_next(context, make_tenant):
    tenant = await make_tenant()
    zhang = await make_staff(context, tenant, "张三")
    li = await make_staff(context, tenant, "李四")
    entries = await around_now(context, tenant, zhang, li)
    now = utcnow()
    expected = next(e for e in entries if e.starts_at <= now < e.ends_at)
    async with tenant_session(context.database, tenant) as session:
        current = await shift_at(session, now)
        following = await next_shift(session, now)
    assert current is not None and current.user_id == expected.user_id
    assert following is not None and following.starts_at == current.ends_at
    assert following.user_id != current.user_id


async def test_a_rota_with_a_gap_is_refused_and_nothing_saved(context, make_tenant):
    tenant = await make_tenant()
    zhang = await make_staff(context, tenant, "张三")
    entries = plan_rota(
        date(2026, 3, 9),
        date(2026, 3, 10),
        WorkCalendar(),
        RotaTeams([StaffRef(zhang.user_id, "张三")], [StaffRef(zhang.user_id, "张三")]),
    )
    del entries[2]
    async with tenant_session(context.database, tenant) as session:
        with pytest.raises(RotaError) as refused:
            await save_rota(session, tenant_id=tenant.id, entries=entries, actor=ACTOR)
        assert refused.value.problems == ["2026-03-10 08:00 至 2026-03-10 17:30 无人值班"]
        assert await shift_at(session, entries[0].starts_at) is None


async def test_a_rota_sticking_into_a_saved_one_is_refused(context, make_tenant):
    tenant = await make_tenant()
    zhang = await make_staff(context, tenant, "张三")
    ref = StaffRef(zhang.user_id, "张三")
    week = plan_rota(date(2026, 3, 9), date(2026, 3, 15), WorkCalendar(), RotaTeams([ref], [ref]))
    async with tenant_session(context.database, tenant) as session:
        await save_rota(session, tenant_id=tenant.id, entries=week, actor=ACTOR)
        shifted = [
            type(e)(
                e.user_id,
                e.staff_name,
                e.starts_at + timedelta(hours=3),
                e.ends_at + timedelta(hours=3),
            )
            for e in week[:2]
        ]
        with pytest.raises(RotaError, match="与新值班表重叠"):
            await save_rota(session, tenant_id=tenant.id, entries=shifted, actor=ACTOR)
        # The same span again replaces it.
        await save_rota(session, tenant_id=tenant.id, entries=week[:2], actor=ACTOR)


async def test_the_duty_person_sees_new_letters_first(context, make_tenant):
    tenant = await make_tenant()
    zhang = await make_staff(context, tenant, "张三")
    li = await make_staff(context, tenant, "李四")
    await around_now(context, tenant, zhang, zhang)
    now = utcnow()
    old_new = await make_letter(
        context, tenant, title="旧的新来信", submitted_at=now - timedelta(hours=5)
    )
    await make_letter(context, tenant, title="已受理", state="accepted", submitted_at=now)
    fresh = await make_letter(
        context, tenant, title="刚到的来信", submitted_at=now - timedelta(minutes=1)
    )
    async with tenant_session(context.database, tenant) as session:
        duty = await duty_inbox_filter(session, staff_user(tenant, zhang))
        other = await duty_inbox_filter(session, staff_user(tenant, li))
        ordered = (await session.execute(duty.apply(select(Letter.title)))).scalars().all()
        only_new = (await session.execute(duty.only_new(select(Letter.id)))).scalars().all()
    assert duty.on_duty and not other.on_duty
    assert ordered == [old_new.title, fresh.title, "已受理"]
    assert sorted(only_new) == sorted([old_new.id, fresh.id])


async def test_unseen_letters_until_the_duty_person_opens_the_inbox(context, make_tenant):
    tenant = await make_tenant()
    zhang = await make_staff(context, tenant, "张三")
    li = await make_staff(context, tenant, "李四")
    await around_now(context, tenant, zhang, zhang)
    now = utcnow()
    letter = await make_letter(context, tenant, submitted_at=now - timedelta(hours=3))
    await make_letter(context, tenant, title="刚到", submitted_at=now - timedelta(minutes=30))
    async with tenant_session(context.database, tenant) as session:
        unseen = await unseen_new_letters(session, now=now, waited=timedelta(hours=2))
        assert [u.id for u in unseen] == [letter.id]
        # Somebody who is not on duty looking does not count.
        await note_inbox_opened(session, staff_user(tenant, li))
        assert len(await unseen_new_letters(session, now=now, waited=timedelta(hours=2))) == 1
        await note_inbox_opened(session, staff_user(tenant, zhang))
        assert await unseen_new_letters(session, now=now, waited=timedelta(hours=2)) == []


async def test_handover_and_the_searchable_log(context, make_tenant):
    tenant = await make_tenant()
    zhang = await make_staff(context, tenant, "张三")
    li = await make_staff(context, tenant, "李四")
    await around_now(context, tenant, zhang, li)
    now = utcnow()
    letter = await make_letter(
        context, tenant, title="噪音扰民", submitted_at=now - timedelta(minutes=5)
    )
    async with tenant_session(context.database, tenant) as session:
        shift = await shift_at(session, now)
        assert shift is not None
        mine = Actor(shift.user_id, shift.staff_name)
        someone_else = Actor(zhang.user_id if shift.user_id != zhang.user_id else li.user_id, "x")
        with pytest.raises(HandoverError, match="请填写交接班记录"):
            await hand_over(session, shift, note="  ", actor=mine)
        with pytest.raises(HandoverError, match="只有本班值班人员"):
            await hand_over(session, shift, note="正常", actor=someone_else)
        await hand_over(session, shift, note="本班收到噪音扰民来信一件，已提醒登记。", actor=mine)
        with pytest.raises(HandoverError, match="已交接"):
            await hand_over(session, shift, note="再交一次", actor=mine)
        await session.commit()
        log = await duty_log(session, now - timedelta(days=1), now + timedelta(days=1))
        found = await duty_log(
            session, now - timedelta(days=1), now + timedelta(days=1), query="噪音"
        )
        nothing = await duty_log(
            session, now - timedelta(days=1), now + timedelta(days=1), query="无此词"
        )
    assert len(log) >= 3
    (entry,) = found
    assert entry.shift.id == shift.id
    assert [item.id for item in entry.letters] == [letter.id]
    assert nothing == []
