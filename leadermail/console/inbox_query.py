"""The inbox's query: filters, deadline order, keyset pages, counts per state.

    filters = InboxFilters.from_query(request.query_params)
    page = await inbox_page(session, staff, filters, now=utcnow())
    page.letters, page.next_cursor, page.counts

Built to stay fast with a million letters: every filter maps onto an index
whose order is the inbox's order (``reply_due_at, id``; see the tenant
migration 0003), so the first page is an index walk with LIMIT; later pages
continue from the last row seen (keyset) instead of OFFSET; counts per state
come from the trigger-kept ``letter_counts`` table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from leadermail.platform.accounts.policy import StaffUser
from leadermail.platform.deadlines.levels import WarningLevel, due_soon_threshold, warning_level
from leadermail.platform.deadlines.policies import DeadlinePolicyError, policy_for
from leadermail.platform.letters.models import LETTER_TYPE_LABELS, Letter
from leadermail.platform.letters.staff_models import LetterCount
from leadermail.platform.letters.workflow import OPEN_STATES, STATE_LABELS
from leadermail.platform.search import query_terms

PAGE_SIZE = 50
#: What an inbox row shows; the body and the search vector stay in the table.
INBOX_COLUMNS = (
    Letter.id,
    Letter.tenant_id,
    Letter.tracking_code,
    Letter.title,
    Letter.letter_type,
    Letter.category_id,
    Letter.state,
    Letter.unit_id,
    Letter.priority,
    Letter.submitted_at,
    Letter.reply_due_at,
    Letter.accused_unit_id,
    Letter.deadline_provisional,
)
OPEN = "open"
ALL = "all"


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class InboxFilters:
    state: str = OPEN
    letter_type: str | None = None
    category_id: int | None = None
    unit_id: int | None = None
    level: str | None = None
    q: str = ""
    after: str | None = None

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> InboxFilters:
        state = params.get("state") or OPEN
        if state not in STATE_LABELS and state not in {OPEN, ALL}:
            state = OPEN
        letter_type = params.get("type") or None
        level = params.get("level") or None
        return cls(
            state=state,
            letter_type=letter_type if letter_type in LETTER_TYPE_LABELS else None,
            category_id=_int(params.get("category")),
            unit_id=_int(params.get("unit")),
            level=level if level in {lvl.value for lvl in WarningLevel} else None,
            q=(params.get("q") or "").strip()[:100],
            after=params.get("after") or None,
        )

    def query_params(self, **changes: Any) -> dict[str, str]:
        merged = replace(self, **changes)
        values = {
            "state": merged.state,
            "type": merged.letter_type,
            "category": merged.category_id,
            "unit": merged.unit_id,
            "level": merged.level,
            "q": merged.q,
            "after": merged.after,
        }
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


@dataclass
class InboxRow:
    letter: Letter
    level: str | None


@dataclass
class InboxPage:
    rows: list[InboxRow]
    next_cursor: str | None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def open_count(self) -> int:
        return sum(n for state, n in self.counts.items() if state in OPEN_STATES)


def _reply_threshold(tenant_settings: Mapping[str, Any], letter_type: str) -> timedelta:
    try:
        return due_soon_threshold(policy_for(tenant_settings, letter_type).reply)
    except DeadlinePolicyError:
        return timedelta(days=1)


def _level_condition(
    level: str, now: datetime, tenant_settings: Mapping[str, Any]
) -> ColumnElement[bool]:
    open_ = Letter.state.in_(OPEN_STATES)
    if level == WarningLevel.OVERDUE:
        return and_(open_, Letter.reply_due_at < now)
    soon = or_(
        *(
            and_(
                Letter.letter_type == t,
                Letter.reply_due_at <= now + _reply_threshold(tenant_settings, t),
            )
            for t in LETTER_TYPE_LABELS
        )
    )
    if level == WarningLevel.DUE_SOON:
        return and_(open_, Letter.reply_due_at >= now, soon)
    return and_(open_, or_(Letter.reply_due_at.is_(None), and_(Letter.reply_due_at >= now, ~soon)))


def _cursor(letter: Letter) -> str:
    due = letter.reply_due_at.isoformat() if letter.reply_due_at is not None else ""
    return f"{due}|{letter.id}"


def _after_condition(after: str) -> ColumnElement[bool] | None:
    due_text, _, id_text = after.partition("|")
    last_id = _int(id_text)
    if last_id is None:
        return None
    if not due_text:
        return and_(Letter.reply_due_at.is_(None), Letter.id > last_id)
    try:
        due = datetime.fromisoformat(due_text)
    except ValueError:
        return None
    # NULL deadlines sort last (ASC NULLS LAST), after every dated letter.
    return or_(
        tuple_(Letter.reply_due_at, Letter.id) > tuple_(due, last_id), Letter.reply_due_at.is_(None)
    )


def build_query(staff: StaffUser, filters: InboxFilters, now: datetime) -> Select[tuple[Letter]]:
    statement = (
        select(Letter).options(load_only(*INBOX_COLUMNS)).where(Letter.tenant_id == staff.tenant.id)
    )
    if staff.only_handler:
        # -1 matches nothing: a handler without a unit sees no letters.
        statement = statement.where(Letter.unit_id == (staff.unit_id or -1))
    if filters.state == OPEN:
        statement = statement.where(Letter.state.in_(OPEN_STATES))
    elif filters.state != ALL:
        statement = statement.where(Letter.state == filters.state)
    if filters.letter_type:
        statement = statement.where(Letter.letter_type == filters.letter_type)
    if filters.category_id is not None:
        statement = statement.where(Letter.category_id == filters.category_id)
    if filters.unit_id is not None:
        statement = statement.where(Letter.unit_id == filters.unit_id)
    if filters.level:
        statement = statement.where(_level_condition(filters.level, now, staff.tenant.settings))
    terms = query_terms(filters.q)
    if terms is not None:
        statement = statement.where(Letter.search_vector.op("@@")(func.to_tsquery("simple", terms)))
    if filters.after:
        condition = _after_condition(filters.after)
        if condition is not None:
            statement = statement.where(condition)
    return statement.order_by(Letter.reply_due_at.asc().nulls_last(), Letter.id.asc())


async def state_counts(session: AsyncSession, staff: StaffUser) -> dict[str, int]:
    statement = select(LetterCount.state, func.sum(LetterCount.letters)).group_by(LetterCount.state)
    if staff.only_handler:
        statement = statement.where(LetterCount.unit_id == (staff.unit_id or -1))
    rows = await session.execute(statement)
    return {state: int(n) for state, n in rows if n}


def row_level(letter: Letter, now: datetime, tenant_settings: Mapping[str, Any]) -> str | None:
    if letter.reply_due_at is None or letter.state not in OPEN_STATES:
        return None
    try:
        rule = policy_for(tenant_settings, letter.letter_type).reply
    except DeadlinePolicyError:
        return None
    return warning_level(now, letter.reply_due_at, rule).value


async def inbox_page(
    session: AsyncSession,
    staff: StaffUser,
    filters: InboxFilters,
    *,
    now: datetime,
    with_counts: bool = True,
) -> InboxPage:
    statement = build_query(staff, filters, now).limit(PAGE_SIZE + 1)
    letters = list((await session.execute(statement)).scalars())
    next_cursor = _cursor(letters[PAGE_SIZE - 1]) if len(letters) > PAGE_SIZE else None
    letters = letters[:PAGE_SIZE]
    rows = [InboxRow(letter, row_level(letter, now, staff.tenant.settings)) for letter in letters]
    counts = await state_counts(session, staff) if with_counts else {}
    return InboxPage(rows=rows, next_cursor=next_cursor, counts=counts)
