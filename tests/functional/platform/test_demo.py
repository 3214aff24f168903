"""``leadermail demo`` builds the demo province once, with real letters."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from leadermail.platform.demo import DEMO_TENANTS, build_demo, letters_dir
from leadermail.platform.letters.models import Letter
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
        assert {"submitted", "assigned", "replied", "closed"} <= set(first["hunan"])
    await build_demo(context)
    assert await census() == first

    response = await client.get("/", headers={"host": "szxx.changsha.gov.cn"})
    assert response.status_code == 200
    assert "长沙市市长信箱" in response.text
