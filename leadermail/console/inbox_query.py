"""The inbox's query: filters, deadline order, keyset pages, counts per state.

    filters = InboxFilters.from_query(request.query_params)
    page = await inbox_page(session, staff, filters, now=utcnow())
    page.rows, page.next_cursor, page.counts, page.match

Built to stay fast with a million letters: every filter maps onto an index
whose order is the inbox's order (``reply_due_at, id``; see the tenant
migrations 0003 and 0008), so the first page is an index walk with LIMIT;
later pages continue from the last row seen (keyset) instead of OFFSET;
counts per state come from the trigger-kept ``letter_counts`` table.

Free text is looked up differently (:mod:`leadermail.console.inbox_search`):
the planner misjudges our CJK terms, so the page is found by a capped walk in
deadline order first, and through the GIN index only when that does not fill
it. Every condition checked letter by letter goes the same way.

The approval queue's tabs (:data:`REVIEW_TABS`: 待审批 for the roles that
approve drafts, 退回修改 for the ones that write them) are the open letters
whose working draft is in that review state: "id in (the queued drafts)",
read from the partial index that holds only those (tenant revision 0011).
The membership is looked up like free text, in the same two steps. The
counts read the queue's index alone.

A query that is exactly a letter's tracking code, its writer's mobile number
or name (:mod:`leadermail.console.inbox_identifiers`) shows those letters
only, found through their indexes; the page then offers the full-text
results instead (``match=text``). Without such a letter, the query is free
text as above. The next-page link carries the way the first page matched,
so paging on never switches from one to the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from leadermail.console.inbox_deadlines import Branch, level_branches, merge_in_order
from leadermail.console.inbox_identifiers import identifier_condition
from leadermail.console.inbox_review import (
    REVIEW_TABS,
    queue_length,
    review_condition,
    review_counts,
    review_tabs,
)
from leadermail.console.inbox_rows import InboxRow, inbox_rows
from leadermail.console.inbox_search import (
    INBOX_COLUMNS,
    INBOX_ORDER,
    matching_rows,
    text_condition,
)
from leadermail.platform.accounts.policy import StaffUser
from leadermail.platform.deadlines.levels import WarningLevel
from leadermail.platform.letters.models import LETTER_TYPE_LABELS, Letter
from leadermail.platform.letters.staff_models import LetterCount
from leadermail.platform.letters.workflow import OPEN_STATES, STATE_LABELS
from leadermail.platform.search import query_terms

PAGE_SIZE = 50
OPEN = "open"
ALL = "all"
#: How the query matched: a tracking code, mobile number or name exactly, or
#: as words of the title or body.
MATCH_EXACT = "exact"
MATCH_TEXT = "text"


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
    #: Set by the page's links (auto when None: exact if anything matches so).
    match: str | None = None
    after: str | None = None

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> InboxFilters:
        state = params.get("state") or OPEN
        if state not in STATE_LABELS and state not in {OPEN, ALL, *REVIEW_TABS}:
            state = OPEN
        letter_type = params.get("type") or None
        level = params.get("level") or None
        match = params.get("match") or None
        return cls(
            state=state,
            letter_type=letter_type if letter_type in LETTER_TYPE_LABELS else None,
            category_id=_int(params.get("category")),
            unit_id=_int(params.get("unit")),
            level=level if level in {lvl.value for lvl in WarningLevel} else None,
            q=(params.get("q") or "").strip()[:100],
            match=match if match in {MATCH_EXACT, MATCH_TEXT} else None,
            after=params.get("after") or None,
        )

    def for_staff(self, staff: StaffUser) -> InboxFilters:
        """These filters, with an approval-queue tab ``staff`` does not see
        replaced by the open letters."""
        if self.state in REVIEW_TABS and self.state not in review_tabs(staff):
            return replace(self, state=OPEN, after=None)
        return self

    @property
    def narrowed(self) -> bool:
        """Filters beyond the state tab (the tab counts do not follow them)."""
        return any(
            (self.letter_type, self.category_id is not None, self.unit_id is not None,
             self.level, self.q)
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
            "match": merged.match,
            "after": merged.after,
        }
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


@dataclass
class InboxPage:
    rows: list[InboxRow]
    next_cursor: str | None
    counts: dict[str, int] = field(default_factory=dict)
    #: Letters per approval-queue tab the reader sees (REVIEW_TABS).
    review_counts: dict[str, int] = field(default_factory=dict)
    #: How the query matched (MATCH_EXACT / MATCH_TEXT; None without a query).
    match: str | None = None

    @property
    def open_count(self) -> int:
        return sum(n for state, n in self.counts.items() if state in OPEN_STATES)


def _cursor(letter: Letter) -> str:
    due = letter.reply_due_at.isoformat() if letter.reply_due_at is not None else ""
    return f"{due}|{letter.id}"


def _after_condition(after: str, *, dated: bool) -> ColumnElement[bool] | None:
    """Rows after the cursor within one part (None: no valid cursor)."""
    due_text, _, id_text = after.partition("|")
    last_id = _int(id_text)
    if last_id is None:
        return None
    if not due_text:
        # The cursor is among the undated letters: every dated one came before.
        return false() if dated else Letter.id > last_id
    try:
        due = datetime.fromisoformat(due_text)
    except ValueError:
        return None
    # Undated letters sort last (ASC NULLS LAST), after every dated letter.
    return tuple_(Letter.reply_due_at, Letter.id) > tuple_(due, last_id) if dated else None


def _state_condition(filters: InboxFilters) -> ColumnElement[bool] | None:
    if filters.state == OPEN or filters.state in REVIEW_TABS:
        return Letter.state.in_(OPEN_STATES)
    if filters.state != ALL:
        if filters.level and filters.state not in OPEN_STATES:
            return false()  # warning levels exist for open letters only
        return Letter.state == filters.state
    # "All" with a warning level: the open letters (once, not twice: a
    # repeated IN skews the planner's row estimate).
    return Letter.state.in_(OPEN_STATES) if filters.level else None


def reader_scope(staff: StaffUser) -> list[ColumnElement[bool]]:
    """The letters ``staff``'s inbox lists at all (before any filter)."""
    where: list[ColumnElement[bool]] = [Letter.tenant_id == staff.tenant.id]
    if staff.only_handler:
        # -1 matches nothing: a handler without a unit sees no letters.
        where.append(Letter.unit_id == (staff.unit_id or -1))
    return where


async def inbox_letters_by_id(
    session: AsyncSession, staff: StaffUser, letter_ids: list[int]
) -> dict[int, Letter]:
    """Those of ``letter_ids`` that ``staff``'s inbox lists, as its rows read
    them: what a bulk action checks before it acts, and shows again ticked
    when it refuses. Like the list, no 举报 counts as opened here."""
    if not letter_ids:
        return {}
    statement = (
        select(Letter)
        .options(load_only(*INBOX_COLUMNS))
        .where(*reader_scope(staff), Letter.id.in_(letter_ids))
    )
    return {letter.id: letter for letter in (await session.execute(statement)).scalars()}


def conditions(
    staff: StaffUser, filters: InboxFilters, *, dated: bool
) -> list[ColumnElement[bool]]:
    """Every filter but the free text and the warning level (see
    :func:`~leadermail.console.inbox_deadlines.level_branches`), as WHERE
    conditions, for one part of the inbox: the ``dated`` letters (in
    deadline order) or the undated ones (after them).

    Two parts because "deadline after X *or no deadline*" is not an index
    range: as one OR the planner can no longer walk the index in order.
    """
    where = [
        *reader_scope(staff),
        Letter.reply_due_at.is_not(None) if dated else Letter.reply_due_at.is_(None),
    ]
    state = _state_condition(filters)
    if state is not None:
        where.append(state)
    if filters.letter_type:
        where.append(Letter.letter_type == filters.letter_type)
    if filters.category_id is not None:
        where.append(Letter.category_id == filters.category_id)
    if filters.unit_id is not None:
        where.append(Letter.unit_id == filters.unit_id)
    if filters.after:
        condition = _after_condition(filters.after, dated=dated)
        if condition is not None:
            where.append(condition)
    return where


def walks_in_order(staff: StaffUser, filters: InboxFilters) -> bool:
    """Whether one index holds exactly the filtered letters in deadline order
    (tenant migrations 0003 and 0008), so walking it visits no letter the
    filters reject. Otherwise an ordered walk could read most of the table
    to find a few rows, and the free-text search goes to the GIN index."""
    narrowing = [
        filters.letter_type is not None,
        filters.category_id is not None,
        filters.unit_id is not None or staff.only_handler,
    ]
    # An approval-queue tab is the open letters, narrowed like the free text.
    open_letters = filters.state == OPEN or filters.state in REVIEW_TABS
    if open_letters or (filters.state == ALL and filters.level):
        return sum(narrowing) <= 1  # ix_letters_{open,type_open,category_open,unit_open}_due
    if filters.state == ALL:
        return not any(narrowing)  # ix_letters_due
    return not any(narrowing[:2])  # ix_letters_state_due, ix_letters_unit_state_due


async def _ordered_letters(
    session: AsyncSession,
    staff: StaffUser,
    filters: InboxFilters,
    *,
    now: datetime,
    limit: int,
    terms: str | None = None,
    exact: ColumnElement[bool] | None = None,
) -> list[Letter]:
    """The first ``limit`` letters under ``filters`` (and ``terms`` or the
    ``exact`` identifier condition): the dated ones in deadline order, then
    (if the page is not full) the undated ones. A warning level is a union
    of branches (:func:`~leadermail.console.inbox_deadlines.level_branches`),
    each read in order with the LIMIT, then merged."""
    letters: list[Letter] = []
    review = review_condition(filters.state)
    queued = None
    if review is not None and terms is not None:
        # Free text within a short queue reads the queue (inbox_search).
        queued = await queue_length(session, filters.state)
    for dated in (True, False):
        wanted = limit - len(letters)
        if wanted <= 0:
            break
        where = conditions(staff, filters, dated=dated)
        if exact is not None:
            where.append(exact)  # a code, phone or name: a few letters
        branches = [Branch([])]
        if filters.level:
            branches = level_branches(staff, filters.level, now, dated=dated)
        found = []
        for branch in branches:
            part = [*where, *branch.where]
            checks = [c for c in (review, branch.checked) if c is not None]
            if exact is not None:
                part += checks  # a few letters: plain WHERE conditions
            elif terms is not None or checks:
                found.append(
                    await matching_rows(
                        session, part, None if terms is None else text_condition(terms),
                        wanted, walk_first=walks_in_order(staff, filters),
                        queue=and_(*checks) if checks else None,
                        # Undated letters are rare (a letter has its deadline
                        # from submission on): their walk is short, keep it first.
                        queue_length=queued if dated else None,
                    )
                )
                continue
            statement = (
                select(Letter)
                .options(load_only(*INBOX_COLUMNS))
                .where(*part)
                .order_by(*INBOX_ORDER)
            )
            found.append(list((await session.execute(statement.limit(wanted))).scalars()))
        letters += merge_in_order(found, wanted)
    return letters


async def inbox_letters(
    session: AsyncSession, staff: StaffUser, filters: InboxFilters, *, now: datetime, limit: int
) -> tuple[list[Letter], str | None]:
    """The first ``limit`` letters of the inbox under ``filters``, and how
    the query matched them (MATCH_EXACT / MATCH_TEXT; None without a query).

    Exact identifiers first: the same conditions as any page (tenant, a
    handler's unit, the filters) plus one indexed equality, so a code finds
    only a letter its reader could list anyway. Nothing found that way (and
    ``match`` not pinned to exact by the previous page): free text.
    """
    exact = identifier_condition(filters.q) if filters.match != MATCH_TEXT else None
    if exact is not None:
        letters = await _ordered_letters(session, staff, filters, now=now, limit=limit, exact=exact)
        if letters or filters.match == MATCH_EXACT:
            return letters, MATCH_EXACT
    terms = query_terms(filters.q)
    letters = await _ordered_letters(session, staff, filters, now=now, limit=limit, terms=terms)
    return letters, MATCH_TEXT if filters.q else None


async def state_counts(session: AsyncSession, staff: StaffUser) -> dict[str, int]:
    statement = select(LetterCount.state, func.sum(LetterCount.letters)).group_by(LetterCount.state)
    if staff.only_handler:
        statement = statement.where(LetterCount.unit_id == (staff.unit_id or -1))
    rows = await session.execute(statement)
    return {state: int(n) for state, n in rows if n}


async def inbox_page(
    session: AsyncSession,
    staff: StaffUser,
    filters: InboxFilters,
    *,
    now: datetime,
    with_counts: bool = True,
) -> InboxPage:
    letters, match = await inbox_letters(session, staff, filters, now=now, limit=PAGE_SIZE + 1)
    next_cursor = _cursor(letters[PAGE_SIZE - 1]) if len(letters) > PAGE_SIZE else None
    rows = await inbox_rows(session, staff, letters[:PAGE_SIZE], now)
    counts = await state_counts(session, staff) if with_counts else {}
    reviews = await review_counts(session, staff) if with_counts else {}
    return InboxPage(
        rows=rows, next_cursor=next_cursor, counts=counts, review_counts=reviews, match=match
    )
