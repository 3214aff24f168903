"""The public exposure page: on for the province, off elsewhere unless set;
no personal data; fairness rules."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.calendar import WorkCalendar
from leadermail.platform.letters.models import Unit
from leadermail.platform.supervision.aggregates import reconcile_tenant
from leadermail.tenants.session import tenant_session
from tests.functional.supervision.test_dashboards import get, host
from tests.unit.platform.supervision.factories import new_letter


async def _letters(context, tenant, per_unit: dict[str, tuple[int, int]]) -> None:
    """``per_unit``: unit name → (letters overdue now, letters not yet due)."""
    now = utcnow()
    async with tenant_session(context.database, tenant) as session:
        units = {u.name: u.id for u in (await session.execute(select(Unit))).scalars()}
        for name, (overdue, fine) in per_unit.items():
            for index in range(overdue + fine):
                late = index < overdue
                session.add(
                    new_letter(
                        tenant.id,
                        unit_id=units[name],
                        state="assigned",
                        submitted_at=now - timedelta(days=20),
                        reply_due_at=now + timedelta(days=-3 if late else 5),
                    )
                )
        await session.commit()
    await reconcile_tenant(context.database, tenant, WorkCalendar())


async def test_the_province_page_lists_overdue_units_without_personal_data(
    context, make_tenant, client
):
    province = await make_tenant(
        kind="province", domains=host("province"), units=["省甲厅", "省乙厅", "省丙局"]
    )
    await _letters(context, province, {"省甲厅": (4, 8), "省乙厅": (0, 12), "省丙局": (2, 1)})
    response = await get(client, province, "/exposure")
    assert response.status_code == 200, response.text
    page = response.text
    assert "办理情况曝光台" in page
    overdue_section = page.split('id="overdue-h"')[1].split('id="ranking-h"')[0]
    assert "省甲厅" in overdue_section and "省丙局" in overdue_section
    assert "省乙厅" not in overdue_section
    # 省丙局 has 3 letters: below the minimum of 10, so it is not ranked.
    ranking = page.split('id="ranking-h"')[1]
    assert "省甲厅" in ranking and "省乙厅" in ranking and "省丙局" not in ranking
    assert "1 个单位来信少于 10 件" in ranking
    # 省甲厅: 12 letters, 4 overdue, none replied → 0.0% on time, ranked first (worst).
    assert ranking.index("省甲厅") < ranking.index("省乙厅")
    assert "张三" not in page and "13800000000" not in page


async def test_the_page_is_off_by_default_below_the_province(context, make_tenant, client):
    city = await make_tenant(kind="city", domains=host())
    assert (await get(client, city, "/exposure")).status_code == 404
    opted_in = await make_tenant(
        kind="city", domains=host(), settings={"exposure_enabled": True, "exposure_min_letters": 2}
    )
    assert (await get(client, opted_in, "/exposure")).status_code == 200


async def test_the_site_navigation_links_the_page_where_it_exists(make_tenant, client):
    link = '<a href="/exposure"'
    province = await make_tenant(kind="province", domains=host("province"))
    city = await make_tenant(kind="city", domains=host())
    opted_in = await make_tenant(kind="city", domains=host(), settings={"exposure_enabled": True})
    opted_out = await make_tenant(
        kind="province", domains=host("province"), settings={"exposure_enabled": False}
    )
    for tenant, linked in ((province, True), (city, False), (opted_in, True), (opted_out, False)):
        for path in ("/", "/write"):
            page = (await get(client, tenant, path)).text
            assert (link in page.split('aria-label="主导航"')[1].split("</nav>")[0]) is linked
    page = (await get(client, province, "/exposure")).text
    assert '<a href="/exposure" aria-current="page">曝光台</a>' in page


async def test_time_with_another_tenant_does_not_make_a_letter_overdue(
    context, make_tenant, client
):
    from leadermail.platform.letters.models import LetterEvent

    province = await make_tenant(kind="province", domains=host("province"), units=["省丁厅"])
    now = utcnow()
    async with tenant_session(context.database, province) as session:
        unit_id = (await session.execute(select(Unit.id))).scalar_one()
        letter = new_letter(
            province.id, unit_id=unit_id, state="assigned",
            submitted_at=now - timedelta(days=20), reply_due_at=now - timedelta(days=2),
        )
        session.add(letter)
        await session.flush()
        # Away at another tenant for five days, then returned: the deadline
        # moves three days into the future.
        for kind, when, frm, to in (
            ("forward", now - timedelta(days=15), "accepted", "forwarded"),
            ("return", now - timedelta(days=10), "forwarded", "assigned"),
        ):
            session.add(LetterEvent(
                tenant_id=province.id, letter_id=letter.id, kind=kind, created_at=when,
                data={"from": frm, "to": to},
            ))
        await session.commit()
    await reconcile_tenant(context.database, province, WorkCalendar())
    page = (await get(client, province, "/exposure")).text
    overdue_section = page.split('id="overdue-h"')[1].split('id="ranking-h"')[0]
    assert "省丁厅" not in overdue_section
