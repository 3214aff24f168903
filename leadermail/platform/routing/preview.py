"""“Try this rule on the last 500 letters”: which letters a draft rule would match.

    preview = await preview_rule(session, validated.conditions, unit_id=4)
    preview.matched, preview.checked, preview.report_conflicts

Nothing is written; the letters are only read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.letters.models import Letter, LetterType
from leadermail.platform.routing.rules import LetterFacts, rule_matches

PREVIEW_LETTERS = 500
SHOWN_MATCHES = 50


@dataclass
class PreviewMatch:
    letter_id: int
    tracking_code: str
    title: str
    letter_type: str
    submitted_at: Any
    current_unit_id: int | None
    #: A 举报 against the rule's unit: the rule would be skipped for it.
    report_conflict: bool


@dataclass
class RulePreview:
    checked: int = 0
    matched: int = 0
    report_conflicts: int = 0
    examples: list[PreviewMatch] = field(default_factory=list)


async def preview_rule(
    session: AsyncSession,
    conditions: Mapping[str, Any],
    *,
    unit_id: int | None = None,
    limit: int = PREVIEW_LETTERS,
) -> RulePreview:
    rows = (
        await session.execute(
            select(
                Letter.id, Letter.tracking_code, Letter.title, Letter.body, Letter.letter_type,
                Letter.category_id, Letter.region, Letter.channel, Letter.submitted_at,
                Letter.unit_id, Letter.accused_unit_id,
            )
            .order_by(Letter.submitted_at.desc(), Letter.id.desc())
            .limit(limit)
        )
    ).all()
    preview = RulePreview(checked=len(rows))
    for row in rows:
        if not rule_matches(conditions, LetterFacts.of(row)):
            continue
        conflict = (
            row.letter_type == LetterType.REPORT
            and unit_id is not None
            and row.accused_unit_id == unit_id
        )
        preview.matched += 1
        preview.report_conflicts += int(conflict)
        if len(preview.examples) < SHOWN_MATCHES:
            preview.examples.append(
                PreviewMatch(
                    row.id, row.tracking_code, row.title, row.letter_type, row.submitted_at,
                    row.unit_id, conflict,
                )
            )
    return preview
