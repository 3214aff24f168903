"""The demo letters: source letters submitted as citizens would, each by an
invented writer, then given its past by :mod:`~leadermail.platform.demo_history`::

    seeded = await seed_letters(context, tenant, sources, rng)  # 0 when it has letters

Writer names and phone numbers are invented here and obviously fake.
"""

from __future__ import annotations

import random

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.clock import clock_at, utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.demo_history import (
    drop_writer_messages,
    plan_history,
    play_history,
    read_settled_notifications,
)
from leadermail.platform.demo_routing import demo_category, ensure_demo_routing, unit_chooser
from leadermail.platform.demo_sources import SourceLetter, clean_source_text, reply_text
from leadermail.platform.demo_staff import demo_cast
from leadermail.platform.letters.models import (
    Category,
    Letter,
    LetterType,
    Unit,
)
from leadermail.platform.letters.validation import CleanLetter
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN = (
    "建国",
    "秀英",
    "伟",
    "芳",
    "敏",
    "静",
    "磊",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
)


def guess_type(title: str, body: str) -> LetterType:
    text = title + body[:200]
    if "举报" in text:
        return LetterType.REPORT
    if "建议" in title or "建议" in body[:60]:
        return LetterType.SUGGESTION
    if any(w in title for w in ("咨询", "请问", "是否", "能否", "如何", "怎么")):
        return LetterType.CONSULTATION
    if any(w in text for w in ("求助", "帮帮", "救助", "困难")):
        return LetterType.HELP
    return LetterType.COMPLAINT


def _fit(title: str, body: str) -> tuple[str, str]:
    title = title.strip()[:50]
    if len(title) < 5:
        title = (title + "的问题反映")[:50]
    body = body.strip()[:5000]
    if len(body) < 10:
        body = body + "，请有关部门予以关注并处理。"
    return title, body


async def seed_letters(
    context: AppContext, tenant: TenantRef, sources: list[SourceLetter], rng: random.Random
) -> int:
    """Letters from ``sources``, each with the history :func:`plan_history` gives
    it, in a tenant that has none yet (else only :func:`repair_loaded_letters`).
    Needs the demo staff."""
    from leadermail.platform.deadlines.schedule import load_calendar
    from leadermail.platform.letters.submission import submit_letter

    calendar = await load_calendar(context.database)
    cast = await demo_cast(context, tenant)
    secret = context.settings.secret_key
    now = utcnow()
    async with tenant_session(context.database, tenant) as session:
        if (await session.execute(select(Letter.id).limit(1))).first() is not None:
            await repair_loaded_letters(session)
            await session.commit()
            return 0
        categories = {
            c.name: c.id for c in (await session.execute(select(Category))).scalars().all()
        }
        units = (await session.execute(select(Unit).where(Unit.is_active))).scalars().all()
        await ensure_demo_routing(session, tenant, cast.actor(cast.drafter))
        choose_unit = unit_chooser({unit.id: unit.name for unit in units}, rng)
        seeded: list[int] = []
        for index, source in enumerate(sources):
            title, body = _fit(source.title, source.body)
            clean = CleanLetter(
                letter_type=guess_type(title, body),
                category_id=categories.get(source.category or "")
                or demo_category(title, body, categories)
                or rng.choice(list(categories.values())),
                title=title,
                body=body,
                region=None,
                name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                phone=f"1380000{index:04d}",
                email=None,
                id_number=None,
                publish_consent=rng.random() > 0.15,
            )
            plan = plan_history(
                rng, now, has_reply=source.reply is not None, publish_consent=clean.publish_consent
            )
            submitted_at = plan[0][0]
            with clock_at(submitted_at):
                submitted = await submit_letter(
                    session,
                    tenant,
                    clean,
                    secret_key=secret,
                    channel="web",
                    submitted_at=submitted_at,
                    calendar=calendar,
                )
            await play_history(
                session,
                cast,
                await submitted.load(session),
                plan,
                reply_text(source.reply),
                choose_unit,
                rng,
                secret,
            )
            seeded.append(submitted.letter_id)
        await drop_writer_messages(session, tenant.id, seeded)
        await read_settled_notifications(session, seeded)
        await session.commit()
    return len(seeded)


async def repair_loaded_letters(session: AsyncSession) -> int:
    """Clean the letters a demo loaded before :func:`clean_source_text`
    existed (their list snippets showed "_x000D_"); returns how many changed.
    Demo data only: a real citizen's text is never rewritten."""
    from leadermail.platform.letters.submission import letter_search_vector

    dirty = or_(
        Letter.title.contains("_x"), Letter.body.contains("_x"), Letter.title.contains("\u200b")
    )
    changed = 0
    for letter in (await session.execute(select(Letter).where(dirty))).scalars():
        title = clean_source_text(letter.title).strip()
        body = clean_source_text(letter.body).strip()
        if (title, body) != (letter.title, letter.body):
            letter.title, letter.body = title, body
            letter.search_vector = letter_search_vector(letter)
            changed += 1
    return changed
