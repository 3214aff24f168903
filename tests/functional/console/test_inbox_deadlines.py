"""The inbox's 期限 filter goes by the deadlines that apply to its reader: the
office by the letter's reply deadline *or* any open assignment's 办理时限, a
unit's handler by their unit's 办理时限 (the letter's deadline where the unit
has no open assignment); each row says which deadline gave its level."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import ColumnElement, and_, or_, select, true

from leadermail.console import inbox_query
from leadermail.console.inbox_deadlines import Branch, level_branches
from leadermail.platform.accounts.models import Role
from leadermail.platform.accounts.policy import StaffUser
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.assignments import assignment_level
from leadermail.platform.deadlines.levels import WarningLevel
from leadermail.platform.letters.models import Assignment, Letter, Unit
from leadermail.tenants.session import tenant_session
from tests.functional.console.staff_session import (
    console_url,
    make_letter,
    make_staff,
    sign_in_client,
)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


async def add_assignment(
    context, tenant, letter: Letter, unit_id: int, *, due: datetime | None,  # noqa: ANN001
    assigned: datetime, status: str = "active",
) -> None:
    async with tenant_session(context.database, tenant) as session:
        session.add(
            Assignment(
                tenant_id=tenant.id, letter_id=letter.id, unit_id=unit_id, due_at=due,
                status=status, created_at=assigned,
            )
        )
        await session.commit()


class Mailbox:
    """Letters whose reply deadlines and 办理时限 disagree in every way that
    matters, with the registrar (office) and a handler of unit A."""


@pytest.fixture
async def mailbox(context, make_tenant):  # noqa: ANN001, ANN201
    box = Mailbox()
    box.tenant = tenant = await make_tenant()
    async with tenant_session(context.database, tenant) as session:
        unit_a, unit_b = (await session.scalars(select(Unit.id).order_by(Unit.id).limit(2))).all()
    now = utcnow()

    async def letter(title: str, reply_due, unit: int | None, **assignment):  # noqa: ANN001, ANN003, ANN202
        made = await make_letter(
            context, tenant, title=title, state="assigned" if unit else "accepted",
            reply_due_at=reply_due, unit_id=unit,
        )
        if "due" in assignment:
            assignment.setdefault("assigned", now - DAY)
            await add_assignment(context, tenant, made, unit, **assignment)
        return made

    # The letter's own deadline is past (the unit's, its default, too).
    await letter("答复已超期", now - DAY, unit_a, due=now - DAY, assigned=now - 9 * DAY)
    # Past its reply deadline, though the unit was (wrongly) given longer:
    # late for everyone.
    await letter("答复已过办理时限未到", now - 3 * HOUR, unit_a, due=now + 2 * DAY)
    # Nobody's assignment: the reply deadline alone.
    await letter("未分办已超期", now - 2 * DAY, None)
    # The unit's 办理时限 is past, the letter still has ten days.
    await letter("办理时限已过", now + 10 * DAY, unit_a, due=now - 2 * HOUR)
    # Another unit's 办理时限 is past: the office's business, not unit A's.
    await letter("乙单位超期", now + 10 * DAY + HOUR, unit_b, due=now - HOUR)
    # The unit's 办理时限 ends within its last fifth (and its last day).
    await letter("办理时限将至", now + 11 * DAY, unit_a, due=now + 20 * HOUR,
                 assigned=now - 5 * DAY)
    # Plenty of time on both.
    await letter("都还早", now + 12 * DAY, unit_a, due=now + 8 * DAY, assigned=now)
    # A returned assignment's past date no longer counts; the open one is fine.
    returned = await letter("已退回的分办", now + 13 * DAY, unit_a, due=now + 9 * DAY,
                            assigned=now)
    await add_assignment(
        context, tenant, returned, unit_b, due=now - 3 * DAY, assigned=now - 6 * DAY,
        status="returned",
    )
    # No reply deadline at all, but a 办理时限 that is past.
    await letter("无答复期限", None, unit_a, due=now - HOUR)
    # Unit A holds it without an open assignment: its reply deadline applies.
    await letter("本单位无分办记录", now - HOUR, unit_a)
    # The reply deadline is near (a complaint's last fifth of 14 days) but the
    # unit was given the letter an hour ago: not yet urgent for the unit.
    await letter("答复将至", now + 30 * HOUR, unit_a, due=now + 30 * HOUR, assigned=now - HOUR)
    box.office = await make_staff(context, tenant, "王登记", Role.REGISTRAR)
    box.handler = await make_staff(context, tenant, "李承办", Role.HANDLER, unit_id=unit_a)
    return box


def branch_condition(branch: Branch) -> ColumnElement[bool]:
    checks = [branch.checked] if branch.checked is not None else []
    return and_(true(), *branch.where, *checks)


def titles(html: str) -> list[str]:
    return re.findall(r'/letters/\d+">([^<]+)</a>', html)


def row_of(html: str, title: str) -> str:
    start = html.rindex('<tr id="letter-row-', 0, html.index(f">{title}</a>"))
    return html[start:html.index("</tr>", start)]


async def listed(client, tenant, level: str) -> list[str]:  # noqa: ANN001
    page = await client.get(console_url(tenant, "/inbox"), params={"level": level})
    assert page.status_code == 200, page.text[-2000:]
    return titles(page.text)


async def test_the_office_goes_by_the_most_urgent_deadline(mailbox, client):
    sign_in_client(client, mailbox.office)
    tenant = mailbox.tenant
    # In deadline order, the letters overdue by a unit's time after those
    # overdue by their own, the undated one last.
    assert await listed(client, tenant, "overdue") == [
        "未分办已超期", "答复已超期", "答复已过办理时限未到", "本单位无分办记录",
        "办理时限已过", "乙单位超期", "无答复期限",
    ]
    assert await listed(client, tenant, "due_soon") == ["答复将至", "办理时限将至"]
    assert await listed(client, tenant, "normal") == ["都还早", "已退回的分办"]

    page = (await client.get(console_url(tenant, "/inbox"))).text
    # The row says which deadline gave the level.
    assert 'data-testid="assignment-level">办理时限已过</span>' in row_of(page, "办理时限已过")
    assert 'data-testid="assignment-level">办理时限将至</span>' in row_of(page, "办理时限将至")
    late = row_of(page, "答复已超期")
    assert '<span class="level-overdue">已超期</span>' in late and "assignment-level" not in late
    assert '<span class="level-due_soon">即将到期</span>' in row_of(page, "答复将至")
    assert '<span class="level-normal">正常</span>' in row_of(page, "都还早")
    assert "level-overdue" not in row_of(page, "已退回的分办")
    overdue = (await client.get(console_url(tenant, "/inbox?level=overdue"))).text
    assert "任一承办单位的办理时限已过" in overdue


async def test_a_unit_goes_by_its_own_deadline(mailbox, client):
    sign_in_client(client, mailbox.handler)
    tenant = mailbox.tenant
    assert await listed(client, tenant, "overdue") == [
        "答复已超期", "答复已过办理时限未到", "本单位无分办记录", "办理时限已过", "无答复期限",
    ]
    assert await listed(client, tenant, "due_soon") == ["办理时限将至"]
    assert await listed(client, tenant, "normal") == ["答复将至", "都还早", "已退回的分办"]

    page = (await client.get(console_url(tenant, "/inbox"))).text
    assert 'data-testid="assignment-level">办理时限已过</span>' in row_of(page, "答复已超期")
    assert '<span class="level-overdue">已超期</span>' in row_of(page, "本单位无分办记录")
    assert '<span class="level-overdue">已超期</span>' in row_of(page, "答复已过办理时限未到")
    # Its reply deadline is near; the unit's own time is not.
    assert '<span class="level-normal">正常</span>' in row_of(page, "答复将至")
    due_soon = (await client.get(console_url(tenant, "/inbox?level=due_soon"))).text
    assert "本单位的办理时限" in due_soon


@pytest.mark.parametrize("who", ["office", "handler"])
async def test_pages_of_a_level_continue_across_both_kinds(mailbox, client, monkeypatch, who):
    """A level merges letters found by their own deadline and by a unit's:
    page by page (two rows each) it is the same list as on one page."""
    sign_in_client(client, getattr(mailbox, who))
    whole = await listed(client, mailbox.tenant, "overdue")
    monkeypatch.setattr(inbox_query, "PAGE_SIZE", 2)
    params, paged = {"level": "overdue"}, []
    for _ in range(10):
        page = (await client.get(console_url(mailbox.tenant, "/inbox"), params=params)).text
        paged += titles(page)
        cursor = re.search(r'after=([^"&]+)">下一页', page)
        if cursor is None:
            break
        params = {**params, "after": unquote(cursor.group(1))}
    assert paged == whole


async def test_the_filter_and_the_row_agree_on_every_assignment(context, make_tenant):
    """The filter's SQL for a 办理时限 (its span's last fifth, at least 24 hours)
    puts each assignment where the row's Python (``assignment_level``) does."""
    tenant = await make_tenant()
    async with tenant_session(context.database, tenant) as session:
        unit = (await session.scalars(select(Unit.id).order_by(Unit.id).limit(1))).first()
    now = utcnow()
    rng = random.Random(11)
    spans = [(-30 * DAY, -HOUR), (-10 * DAY, 30 * HOUR), (-HOUR, 23 * HOUR), (-2 * DAY, 3 * DAY)]
    spans += [
        (-timedelta(minutes=rng.randrange(1, 60 * 24 * 40)),
         timedelta(minutes=rng.randrange(-60 * 24 * 5, 60 * 24 * 20)))
        for _ in range(40)
    ]
    expected: dict[int, str | None] = {}
    for assigned, due in spans:
        made = await make_letter(context, tenant, state="assigned", unit_id=unit)
        await add_assignment(context, tenant, made, unit, due=now + due, assigned=now + assigned)
        level = assignment_level(now + due, now + assigned, now)
        expected[made.id] = level.value if level else None
    undated = await make_letter(context, tenant, state="assigned", unit_id=unit)
    await add_assignment(context, tenant, undated, unit, due=None, assigned=now)
    expected[undated.id] = None
    for roles, unit_id in (({Role.REGISTRAR}, None), ({Role.HANDLER}, unit)):
        staff = StaffUser(0, "读者", "r@example.cn", tenant, frozenset(roles), unit_id)
        found: dict[int, str] = {}
        async with tenant_session(context.database, tenant) as session:
            for level in WarningLevel:
                ids = await session.scalars(
                    select(Letter.id).where(
                        Letter.reply_due_at.is_(None),
                        or_(*map(branch_condition, level_branches(staff, level, now, dated=False))),
                    )
                )
                for letter_id in ids:
                    assert letter_id not in found, (letter_id, found[letter_id], level)
                    found[letter_id] = level.value
        # A letter without any deadline counts as "normal" in the filter.
        assert found == {i: level or "normal" for i, level in expected.items()}
