"""The supervision dashboards over HTTP, as staff of different roles."""

from __future__ import annotations

import random
import re
import uuid

from leadermail.platform.accounts.models import Role
from leadermail.platform.deadlines.calendar import WorkCalendar
from leadermail.platform.supervision.aggregates import reconcile_tenant
from leadermail.platform.supervision.queries import Period, dashboard
from leadermail.tenants.session import tenant_session
from tests.functional.staff_ops.helpers import make_staff, sign_in_client
from tests.unit.platform.supervision.factories import random_letters

# Tenants are reached on their own host: under Starlette 1.x the /t/<slug>
# prefix does not route below /console (reported to the lead).


async def get(client, tenant, path):
    return await client.get(path, headers={"host": tenant.domains[0]})


def host(tenant_kind: str = "city") -> list[str]:
    return [f"{uuid.uuid4().hex[:10]}.{tenant_kind}.gov.cn"]


async def _tenant_with_letters(context, make_tenant, **overrides):
    tenant = await make_tenant(domains=host(), **overrides)
    async with tenant_session(context.database, tenant) as session:
        letters = await random_letters(session, tenant.id, random.Random(5), 30)
        await session.commit()
    await reconcile_tenant(context.database, tenant, WorkCalendar())
    return tenant, letters


async def test_a_supervisor_sees_the_tenant_dashboard(context, make_tenant, client):
    tenant, letters = await _tenant_with_letters(context, make_tenant, units=["市教育局"])
    staff = await make_staff(context, tenant, "督办员", Role.SUPERVISOR)
    sign_in_client(client, staff)
    response = await get(client, tenant, "/console/supervision")
    assert response.status_code == 200, response.text
    page = response.text
    assert "监管统计" in page and "市教育局" in page
    assert page.count("<svg") >= 2 and 'role="img"' in page
    # The total shown is the number of letters written this period.
    total = re.search(r"<dt>来信总量</dt><dd>(\d+)</dd>", page)
    assert total is not None
    assert 0 < int(total.group(1)) <= len(letters)
    assert "/console/inbox?unit=" in page


async def test_the_dashboard_is_not_for_every_role(context, make_tenant, client):
    tenant = await make_tenant(domains=host())
    handler = await make_staff(context, tenant, "承办人", Role.HANDLER)
    response = await get(client, tenant, "/console/supervision")
    assert response.status_code == 303  # anonymous → sign in
    sign_in_client(client, handler)
    response = await get(client, tenant, "/console/supervision")
    assert response.status_code == 403


async def test_the_province_dashboard_covers_every_tenant_below_it(
    context, make_tenant, client
):
    province = await make_tenant(kind="province", name="湖南省领导信箱", domains=host())
    city, _ = await _tenant_with_letters(
        context, make_tenant, name="监管测试市市长信箱", parent_id=province.id
    )
    county, _ = await _tenant_with_letters(
        context, make_tenant, name="监管测试县县长信箱", kind="county", parent_id=city.id
    )
    # Not this province's: a mailbox entered without a parent, and another province's.
    await _tenant_with_letters(context, make_tenant, name="无上级测试市市长信箱")
    other = await make_tenant(kind="province", name="另一省领导信箱")
    await _tenant_with_letters(context, make_tenant, name="外省测试市市长信箱", parent_id=other.id)
    admin = await make_staff(context, province, "省管理员", Role.PROVINCE_ADMIN)
    sign_in_client(client, admin)
    # fresh=1: past the one-minute figure cache, which other tests fill.
    response = await get(client, province, "/console/supervision/province?fresh=1")
    assert response.status_code == 200, response.text
    page = response.text
    assert "全省监管统计" in page
    assert "监管测试市市长信箱" in page and "监管测试县县长信箱" in page
    assert "无上级测试市市长信箱" not in page and "外省测试市市长信箱" not in page
    # The total is the tree's: the city's and the county's letters, no others.
    total = re.search(r"<dt>全省来信总量</dt><dd>(\d+)</dd>", page)
    assert total is not None
    period = Period.last_months(12)
    mine = [
        (await dashboard(context.database, period, tenant_id=t.id)).totals.received_once
        for t in (province, city, county)
    ]
    assert int(total.group(1)) == sum(mine) > 0


async def test_the_province_dashboard_is_refused_elsewhere(context, make_tenant, client):
    province = await make_tenant(kind="province", domains=host())
    city = await make_tenant(kind="city", domains=host())
    supervisor = await make_staff(context, province, "督办员", Role.SUPERVISOR)
    sign_in_client(client, supervisor)
    response = await get(client, province, "/console/supervision/province")
    assert response.status_code == 403
    city_admin = await make_staff(context, city, "市管理员", Role.PROVINCE_ADMIN)
    sign_in_client(client, city_admin)
    response = await get(client, city, "/console/supervision/province")
    assert response.status_code == 403


async def test_cached_province_figures_read_back_equal(context, make_tenant):
    from leadermail.platform.supervision.cache import _dump, _load
    from leadermail.platform.supervision.queries import Period, dashboard, unit_ranking

    await _tenant_with_letters(context, make_tenant)
    period = Period.last_months(12)
    board = await dashboard(context.database, period, with_units=False)
    units = await unit_ranking(
        context.database, period, minimum_letters=3, shown=5, shown_small=5
    )
    assert units.ranked and units.unranked
    again, units_again = _load(_dump(board, units))
    assert again == board and units_again == units


async def test_the_sql_ranking_orders_units_as_the_dashboard_does(context, make_tenant):
    from leadermail.platform.supervision.queries import Period, dashboard, ranked_units

    tenant, _ = await _tenant_with_letters(context, make_tenant)
    period = Period.last_months(12)
    board = await dashboard(context.database, period, tenant_id=tenant.id)
    in_python = [(u.unit_id, u.figures) for u in board.ranking(1)]
    in_sql = await ranked_units(
        context.database, period, minimum_letters=1, shown=1000, tenant_id=tenant.id
    )
    assert in_python and [(u.unit_id, u.figures) for u in in_sql] == in_python
