"""Fixtures of the province tests: a province → city → county tree, letters
with tracking codes, signed-in staff, an SMTP sink."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest

from leadermail.platform.clock import utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.letters.models import Letter, LetterLocator, Reply
from leadermail.platform.letters.tracking import hash_query_password, new_tracking_code
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session
from tests.conftest import TEST_SECRET, unique_slug

PASSWORD = "pY4tKm8w"


@dataclass(frozen=True)
class Tree:
    province: TenantRef
    city: TenantRef
    county: TenantRef
    other_city: TenantRef


@pytest.fixture
async def tree(make_tenant) -> Tree:  # noqa: ANN001
    province = await make_tenant(slug=unique_slug("prov"), name="测试省省长信箱", kind="province")
    city = await make_tenant(name="甲市市长信箱", kind="city", parent_id=province.id)
    county = await make_tenant(name="甲市乙县县长信箱", kind="county", parent_id=city.id)
    other_city = await make_tenant(name="丙市市长信箱", kind="city", parent_id=province.id)
    return Tree(province, city, county, other_city)


async def write_letter(
    context: AppContext,
    tenant: TenantRef,
    *,
    title: str = "小区门口道路积水严重",
    body: str = (
        "我住在人民路幸福小区，每次下雨小区门口的道路积水严重，"
        "居民出行非常困难，请尽快修缮排水设施。"
    ),
    phone: str | None = None,
    state: str = "submitted",
) -> Letter:
    """A citizen's letter with a real tracking code, password and locator."""
    code = new_tracking_code()
    phone = phone or f"139{secrets.randbelow(10**8):08d}"
    async with tenant_session(context.database, tenant) as session:
        letter = Letter(
            tenant_id=tenant.id,
            tracking_code=code,
            query_password_hash=hash_query_password(PASSWORD, TEST_SECRET),
            letter_type="complaint",
            title=title,
            body=body,
            writer_name="李先生",
            writer_phone=phone,
            state=state,
            submitted_at=utcnow(),
        )
        session.add(letter)
        await session.flush()
        session.add(
            LetterLocator(
                tracking_code=code,
                origin_tenant_id=tenant.id,
                origin_letter_id=letter.id,
                current_tenant_id=tenant.id,
            )
        )
        await session.commit()
    return letter


async def reply_to(context: AppContext, tenant: TenantRef, letter_id: int, text: str) -> None:
    """What the console does when a reply is sent (4a's verbs, reduced to rows)."""
    async with tenant_session(context.database, tenant) as session:
        letter = await session.get(Letter, letter_id)
        assert letter is not None
        session.add(
            Reply(
                tenant_id=tenant.id,
                letter_id=letter_id,
                body_html=f"<p>{text}</p>",
                status="sent",
                sent_at=utcnow(),
                signer_name=tenant.name,
            )
        )
        letter.state, letter.replied_at = "replied", utcnow()
        await session.commit()
