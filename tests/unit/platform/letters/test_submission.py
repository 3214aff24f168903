"""submit_letter: one verb for every channel, on real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from leadermail.platform.letters.models import Category, Letter
from leadermail.platform.letters.submission import submit_letter
from leadermail.platform.letters.validation import validate_letter
from leadermail.platform.search import query_terms
from leadermail.tenants.session import tenant_session
from tests.conftest import TEST_SECRET


async def _clean(session, **overrides):  # noqa: ANN001, ANN003, ANN202
    category = await session.scalar(select(Category.id).limit(1))
    values = {
        "letter_type": "consultation",
        "category": str(category),
        "title": "社保转移怎么办理",
        "body": "我叫王五，电话13912345678，社保如何从外省转回本市？",
        "name": "王五",
        "phone": "13912345678",
        "agree_terms": "1",
    }
    values.update(overrides)
    clean, errors = validate_letter(values, categories={category})
    assert clean is not None, errors
    return clean


async def test_same_submission_key_returns_the_first_letter(context, make_tenant):
    tenant = await make_tenant()
    async with tenant_session(context.database, tenant) as session:
        clean = await _clean(session)
        first = await submit_letter(
            session, tenant, clean, secret_key=TEST_SECRET, submission_key="k" * 24
        )
        await session.commit()
        again = await submit_letter(
            session, tenant, clean, secret_key=TEST_SECRET, submission_key="k" * 24
        )
        await session.commit()
        assert again.letter_id == first.letter_id and again.is_repeat and not first.is_repeat
        assert await session.scalar(select(func.count()).select_from(Letter)) == 1


async def test_deadlines_follow_the_tenant_policy_and_working_days(context, make_tenant):
    tenant = await make_tenant(settings={"deadline_policies": {"acceptance": "2d", "reply": "3wd"}})
    friday = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)
    async with tenant_session(context.database, tenant) as session:
        result = await submit_letter(
            session,
            tenant,
            await _clean(session),
            secret_key=TEST_SECRET,
            submitted_at=friday,
            channel="phone",
        )
        await session.commit()
        letter = await result.load(session)
    assert letter.channel == "phone" and letter.submitted_at == friday
    # 3 working days after Friday 6 March 2026: Mon 9, Tue 10, Wed 11 (end of day, Shanghai).
    assert letter.reply_due_at == datetime(2026, 3, 11, 15, 59, 59, tzinfo=UTC)
    assert letter.acceptance_due_at == datetime(2026, 3, 9, 15, 59, 59, tzinfo=UTC)


async def test_the_search_index_holds_no_personal_data(context, make_tenant):
    tenant = await make_tenant()
    async with tenant_session(context.database, tenant) as session:
        await submit_letter(session, tenant, await _clean(session), secret_key=TEST_SECRET)
        await session.commit()

        async def hits(q: str) -> int:
            match = Letter.search_vector.op("@@")(func.to_tsquery("simple", query_terms(q)))
            return int(await session.scalar(select(func.count()).where(match)))

        assert await hits("社保") == 1
        assert await hits("13912345678") == 0
        assert await hits("王五") == 0


async def test_a_session_of_another_tenant_is_refused(context, make_tenant):
    import pytest

    tenant, other = await make_tenant(), await make_tenant()
    async with tenant_session(context.database, other) as session:
        clean = await _clean(session)
        with pytest.raises(ValueError, match="tenant session"):
            await submit_letter(session, tenant, clean, secret_key=TEST_SECRET)
