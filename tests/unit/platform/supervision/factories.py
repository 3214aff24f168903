"""Letters for supervision tests, moved through the real workflow."""

from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.audit.writer import Actor
from leadermail.platform.clock import utcnow
from leadermail.platform.letters.models import Evaluation, Letter, LetterType, Unit
from leadermail.platform.letters.workflow import allowed_transitions, apply_transition

ACTOR = Actor(user_id=None, label="测试")
SATISFACTIONS = ("satisfied", "basically_satisfied", "unsatisfied")


async def unit_ids(session: AsyncSession) -> list[int]:
    return list((await session.execute(select(Unit.id).order_by(Unit.id))).scalars())


def new_letter(
    tenant_id: int,
    *,
    unit_id: int | None = None,
    letter_type: str = LetterType.COMPLAINT,
    submitted_at: datetime | None = None,
    reply_due_at: datetime | None = None,
    **extra: object,
) -> Letter:
    submitted_at = submitted_at or utcnow()
    return Letter(
        tenant_id=tenant_id,
        tracking_code=secrets.token_hex(8),
        query_password_hash="x",
        letter_type=letter_type,
        title="关于小区路灯不亮的问题",
        body="正文",
        writer_name="张三",
        writer_phone="13800000000",
        unit_id=unit_id,
        submitted_at=submitted_at,
        received_at=submitted_at,
        reply_due_at=reply_due_at,
        **extra,
    )


async def move(session: AsyncSession, letter: Letter, name: str, rng: random.Random) -> None:
    """Apply transition ``name``; an evaluation row goes with "evaluate"."""
    message = "理由" if name in {"reject", "request_material"} else None
    await apply_transition(session, letter, name, ACTOR, message=message)
    if name == "evaluate":
        session.add(
            Evaluation(
                tenant_id=letter.tenant_id,
                letter_id=letter.id,
                unit_id=letter.unit_id,
                satisfaction=rng.choice(SATISFACTIONS),
                problem_solved=rng.choice([True, False, None]),
            )
        )
    if name == "assign" and letter.unit_id is None:
        letter.unit_id = rng.choice(await unit_ids(session))


async def random_letters(
    session: AsyncSession, tenant_id: int, rng: random.Random, count: int
) -> list[Letter]:
    """``count`` letters over the last four months, each moved at random."""
    units = await unit_ids(session)
    now = utcnow()
    letters = []
    for _ in range(count):
        submitted = now - timedelta(days=rng.randint(0, 120), hours=rng.randint(0, 23))
        due = submitted + timedelta(days=rng.randint(1, 60)) if rng.random() < 0.9 else None
        letter = new_letter(
            tenant_id,
            unit_id=rng.choice([None, *units]),
            letter_type=rng.choice(list(LetterType)),
            submitted_at=submitted,
            reply_due_at=due,
        )
        session.add(letter)
        await session.flush()
        for _ in range(rng.randint(0, 7)):
            options = [t.name for t in allowed_transitions(letter) if t.name != "merge"]
            if not options:
                break
            await move(session, letter, rng.choice(options), rng)
        letters.append(letter)
    await session.flush()
    return letters
