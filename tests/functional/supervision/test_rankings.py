"""The province page's rankings: mailboxes by how they perform, and units with
too few letters to rank listed with their figures instead of left out."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from leadermail.platform.accounts.models import Role
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.calendar import WorkCalendar
from leadermail.platform.supervision.aggregates import reconcile_tenant
from leadermail.platform.supervision.queries import Period, dashboard
from leadermail.tenants.session import tenant_session
from tests.functional.staff_ops.helpers import make_staff, sign_in_client
from tests.unit.platform.supervision.factories import new_letter, unit_ids


def host() -> list[str]:
    return [f"{uuid.uuid4().hex[:10]}.rank.gov.cn"]


async def _mailbox(  # noqa: ANN201
    context, make_tenant, name: str, *, on_time: int, late: int, overdue: int,  # noqa: ANN001
    parent_id: int | None = None,
):
    """A mailbox whose letters were answered in time (``on_time``), answered
    late (``late``) or are open past their deadline (``overdue``), all in its
    first unit."""
    tenant = await make_tenant(name=name, parent_id=parent_id)
    now = utcnow()
    started = now - timedelta(days=20)
    async with tenant_session(context.database, tenant) as session:
        unit = (await unit_ids(session))[0]
        for index in range(on_time + late + overdue):
            answered = index < on_time + late
            due = now - timedelta(days=5)
            session.add(
                new_letter(
                    tenant.id, unit_id=unit, submitted_at=started, reply_due_at=due,
                    state="replied" if answered else "assigned",
                    accepted_at=started,
                    replied_at=(
                        due - timedelta(days=1) if index < on_time else due + timedelta(days=1)
                    ) if answered else None,
                )
            )
        await session.commit()
    await reconcile_tenant(context.database, tenant, WorkCalendar())
    return tenant


async def test_mailboxes_are_ranked_on_time_then_overdue(context, make_tenant):
    good = await _mailbox(context, make_tenant, "准时市市长信箱", on_time=4, late=0, overdue=0)
    slow = await _mailbox(context, make_tenant, "拖延市市长信箱", on_time=2, late=1, overdue=1)
    # The same on-time rate as ``slow``, more letters overdue now: ranked below it.
    slower = await _mailbox(context, make_tenant, "更慢市市长信箱", on_time=3, late=0, overdue=3)
    small = await _mailbox(context, make_tenant, "小县县长信箱", on_time=0, late=0, overdue=1)
    board = await dashboard(context.database, Period.last_months(12), with_units=False)

    ranking = board.mailbox_ranking(4)
    assert small.id not in ranking  # fewer than 4 letters: not ranked
    assert ranking.index(good.id) < ranking.index(slow.id) < ranking.index(slower.id)
    figures = board.by_tenant
    assert figures[good.id].on_time_rate == 1.0
    assert figures[slow.id].on_time_rate == 0.5 and figures[slow.id].overdue == 1
    assert figures[slower.id].on_time_rate == 0.5 and figures[slower.id].overdue == 3


async def test_the_province_page_shows_both_rankings_and_who_is_left_out(
    context, make_tenant, client
):
    province = await make_tenant(
        kind="province", domains=host(), settings={"supervision_ranking_min_letters": 4}
    )
    # Four letters: ranked. Three letters, all overdue: below the minimum, and
    # first among the small ones.
    await _mailbox(
        context, make_tenant, "四件市市长信箱", on_time=4, late=0, overdue=0,
        parent_id=province.id,
    )
    await _mailbox(
        context, make_tenant, "三件县县长信箱", on_time=0, late=0, overdue=3,
        parent_id=province.id,
    )
    admin = await make_staff(context, province, "省管理员", Role.PROVINCE_ADMIN)
    sign_in_client(client, admin)
    page = await client.get(
        "/console/supervision/province?fresh=1", headers={"host": province.domains[0]}
    )
    assert page.status_code == 200, page.text
    text = page.text
    assert "信箱排名" in text and 'id="mailbox-ranking"' in text
    assert "办件少于 4 件的单位不参与排名" in text
    assert "来信少于 4 件的信箱" in text
    unranked = re.search(r'id="unranked-mailboxes".*?</table>', text, re.S)
    assert unranked is not None and "三件县县长信箱" in unranked.group(0)
    units = re.search(r'id="unranked-units".*?</table>', text, re.S)
    assert units is not None and "三件县县长信箱" in units.group(0)
    # The monthly charts carry visible titles; text columns' headers are marked.
    assert "<figcaption>全省每月来信量（件）</figcaption>" in text
    assert "<figcaption>每月按时答复率</figcaption>" in text
    assert '<th scope="col" class="name">信箱</th>' in text


async def test_units_below_the_minimum_are_listed_with_their_figures(context, make_tenant):
    from leadermail.platform.supervision.queries import unit_ranking

    tenant = await _mailbox(context, make_tenant, "单位市市长信箱", on_time=1, late=0, overdue=2)
    period = Period.last_months(12)
    units = await unit_ranking(
        context.database, period, minimum_letters=10, shown=5, shown_small=5,
        tenant_id=tenant.id,
    )
    assert units.ranked == [] and units.ranked_count == 0
    assert units.unranked_count == 1
    (unit,) = units.unranked
    assert unit.figures.received == 3
    assert unit.figures.overdue == 2
    assert unit.figures.replied_on_time == 1

    ranked = await unit_ranking(
        context.database, period, minimum_letters=3, shown=5, shown_small=5,
        tenant_id=tenant.id,
    )
    assert [u.unit_id for u in ranked.ranked] == [unit.unit_id] and ranked.unranked == []
