"""Duplicate letters (重复来信): same writer (phone or ID number), similar text.

Similarity is the Jaccard index of the character bigrams of title + body:
Chinese has no spaces, and bigrams capture "小区噪音"/"噪音扰民" overlaps
without a dictionary; jieba would add little for near-copies, which is what
repeat letters are. Flagged pairs are listed in the console, where staff link
them (handled together, both stay open) or merge one into the other::

    candidates = await flag_duplicates(session, letter)
    await merge_letter(session, tenant, letter, into=older, actor=actor)

The merged letter keeps its tracking code; its tracking page shows that it was
merged and under which tracking code the answer will come. That code is the
same writer's other letter (same phone or ID number), so nothing leaks.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Identity,
    Index,
    String,
    UniqueConstraint,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.accounts.models import Role
from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.db import TenantBase, TenantScoped
from leadermail.platform.letters.models import Letter
from leadermail.platform.letters.workflow import add_timeline_event, apply_transition
from leadermail.platform.notifications.console import notify, staff_user_ids
from leadermail.tenants.registry import TenantRef

#: Pairs at least this similar are flagged (near-copies score 0.7-1.0;
#: unrelated letters of one writer stay well under 0.2).
SIMILARITY_THRESHOLD = 0.45
#: How far back a writer's letters are compared.
WINDOW = timedelta(days=365)
MAX_CANDIDATES = 200

Index("ix_letters_writer_id_number", Letter.writer_id_number)

_NOT_WORD = re.compile(r"[^0-9a-z\u3400-\u9fff]+")
STATUS_LABELS = {"flagged": "待确认", "linked": "已关联", "merged": "已合并", "dismissed": "非重复"}


class DuplicateCandidate(TenantScoped, TenantBase):
    __tablename__ = "duplicate_candidates"
    __table_args__ = (UniqueConstraint("letter_id", "duplicate_of_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    #: The newer letter.
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"))
    #: The earlier letter it resembles.
    duplicate_of_id: Mapped[int] = mapped_column(
        ForeignKey("letters.id", ondelete="CASCADE"), index=True
    )
    similarity: Mapped[float] = mapped_column(Float)
    #: phone | id_number
    matched_on: Mapped[str] = mapped_column(String(20))
    #: flagged | linked | merged | dismissed
    status: Mapped[str] = mapped_column(String(20), default="flagged", index=True)
    decided_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


class DuplicateError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def bigrams(text: str) -> frozenset[str]:
    """Character bigrams of the words of ``text`` (punctuation and spaces split words)."""
    grams: set[str] = set()
    for word in _NOT_WORD.split(text.lower()):
        if len(word) == 1:
            grams.add(word)
        grams.update(word[i : i + 2] for i in range(len(word) - 1))
    return frozenset(grams)


def similarity(a: str, b: str) -> float:
    """Jaccard index of the bigram sets, 0.0–1.0."""
    first, second = bigrams(a), bigrams(b)
    if not first or not second:
        return 0.0
    return len(first & second) / len(first | second)


def letter_text(letter: Letter) -> str:
    return f"{letter.title}\n{letter.body}"


async def find_duplicates(session: AsyncSession, letter: Letter) -> list[tuple[Letter, float, str]]:
    """Earlier letters of the same writer whose text is similar, most similar first."""
    same_writer = []
    if letter.writer_phone:
        same_writer.append(Letter.writer_phone == letter.writer_phone)
    if letter.writer_id_number:
        same_writer.append(Letter.writer_id_number == letter.writer_id_number)
    if not same_writer:
        return []
    others = (
        await session.execute(
            select(Letter)
            .where(
                or_(*same_writer),
                Letter.id != letter.id,
                Letter.submitted_at >= letter.submitted_at - WINDOW,
                Letter.submitted_at <= letter.submitted_at,
                Letter.state != "merged",
            )
            .order_by(Letter.submitted_at.desc())
            .limit(MAX_CANDIDATES)
        )
    ).scalars().all()
    text = letter_text(letter)
    found = []
    for other in others:
        score = similarity(text, letter_text(other))
        if score >= SIMILARITY_THRESHOLD:
            matched_on = (
                "phone" if letter.writer_phone and other.writer_phone == letter.writer_phone
                else "id_number"
            )
            found.append((other, score, matched_on))
    return sorted(found, key=lambda item: -item[1])


async def flag_duplicates(session: AsyncSession, letter: Letter) -> list[int]:
    """Record the letter's duplicate candidates (idempotent); tell the registrars.

    Returns the ids of the candidate rows created now.
    """
    found = await find_duplicates(session, letter)
    if not found:
        return []
    result = await session.execute(
        insert(DuplicateCandidate)
        .values(
            [
                {
                    "tenant_id": letter.tenant_id,
                    "letter_id": letter.id,
                    "duplicate_of_id": other.id,
                    "similarity": round(score, 4),
                    "matched_on": matched_on,
                    "created_at": utcnow(),
                }
                for other, score, matched_on in found
            ]
        )
        .on_conflict_do_nothing(index_elements=["letter_id", "duplicate_of_id"])
        .returning(DuplicateCandidate.id)
    )
    created = list(result.scalars().all())
    if created:
        registrars = await staff_user_ids(
            session, letter.tenant_id, roles={Role.REGISTRAR, Role.TENANT_ADMIN}
        )
        await notify(
            session, letter.tenant_id, registrars, kind="duplicate",
            title=f"疑似重复来信：{letter.title}",
            body=f"与{len(found)}封同一来信人的来信内容相似", letter_id=letter.id,
            link="/duplicates", dedupe_key=f"duplicate:{letter.id}",
        )
    return created


async def access_candidate(session: AsyncSession, candidate_id: int) -> DuplicateCandidate:
    candidate = await session.get(DuplicateCandidate, candidate_id)
    if candidate is None:
        raise DuplicateError("没有找到这条重复来信记录")
    return candidate


async def _decide(candidate: DuplicateCandidate, status: str, actor: Actor) -> None:
    if candidate.status not in {"flagged", "linked"} or candidate.status == status:
        raise DuplicateError(f"该记录已{candidate.status_label}，不能再操作")
    candidate.status = status
    candidate.decided_by_user_id = actor.user_id
    candidate.decided_at = utcnow()


async def link_letters(
    session: AsyncSession, candidate: DuplicateCandidate, actor: Actor
) -> DuplicateCandidate:
    """Keep both letters, mark them as related (handled together)."""
    await _decide(candidate, "linked", actor)
    letter = await session.get(Letter, candidate.letter_id)
    other = await session.get(Letter, candidate.duplicate_of_id)
    assert letter is not None and other is not None
    for a, b in ((letter, other), (other, letter)):
        await add_timeline_event(
            session, a, "linked", actor, message=f"已与来信 {b.tracking_code} 关联办理",
            data={"linked_letter_id": b.id},
        )
    await record_audit(
        session, tenant_id=letter.tenant_id, actor=actor, action="letter.link_duplicate",
        object_type="letter", object_id=letter.id, data={"duplicate_of_id": other.id},
    )
    return candidate


async def dismiss_candidate(
    session: AsyncSession, candidate: DuplicateCandidate, actor: Actor
) -> DuplicateCandidate:
    await _decide(candidate, "dismissed", actor)
    await record_audit(
        session, tenant_id=candidate.tenant_id, actor=actor, action="letter.dismiss_duplicate",
        object_type="letter", object_id=candidate.letter_id,
        data={"duplicate_of_id": candidate.duplicate_of_id},
    )
    return candidate


async def merge_letter(
    session: AsyncSession, tenant: TenantRef, candidate: DuplicateCandidate, actor: Actor
) -> Letter:
    """Merge the newer letter into the earlier one (workflow transition ``merge``).

    Raises :class:`leadermail.platform.letters.workflow.IllegalTransition` when
    the newer letter is already being handled.
    """
    letter = await session.get(Letter, candidate.letter_id)
    into = await session.get(Letter, candidate.duplicate_of_id)
    assert letter is not None and into is not None
    if into.state == "merged":
        raise DuplicateError("目标来信本身已被合并，请合并到最初的来信")
    message = (
        f"您反映的问题与您的另一封来信（查询码 {into.tracking_code}）诉求相同，已合并办理，"
        f"答复将在该来信中给出，请凭该查询码查询。"
    )
    await apply_transition(
        session, letter, "merge", actor, message=message,
        data={"merged_into_id": into.id, "merged_into_code": into.tracking_code},
    )
    letter.duplicate_of_id = into.id
    await _decide(candidate, "merged", actor)
    await add_timeline_event(
        session, into, "merged_in", actor,
        message=f"来信 {letter.tracking_code} 已并入本件办理", data={"merged_letter_id": letter.id},
    )
    return letter


async def candidates_list(
    session: AsyncSession, *, status: str | None = "flagged", limit: int = 100
) -> list[tuple[DuplicateCandidate, Letter, Letter]]:
    from sqlalchemy.orm import aliased

    newer, older = aliased(Letter), aliased(Letter)
    query = (
        select(DuplicateCandidate, newer, older)
        .join(newer, newer.id == DuplicateCandidate.letter_id)
        .join(older, older.id == DuplicateCandidate.duplicate_of_id)
        .order_by(DuplicateCandidate.created_at.desc(), DuplicateCandidate.id.desc())
        .limit(limit)
    )
    if status:
        query = query.where(DuplicateCandidate.status == status)
    return [(c, n, o) for c, n, o in (await session.execute(query)).all()]
