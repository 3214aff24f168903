"""The inbox's search walk: the first letters of a filtered inbox, in deadline
order, that meet a condition checked letter by letter: the free text, the
membership of an approval queue (:mod:`leadermail.console.inbox_review`), an
open assignment's 办理时限 (:mod:`leadermail.console.inbox_deadlines`).

    where = conditions(staff, filters, dated=True)   # inbox_query: the index's filters
    letters = await matching_rows(
        session, where, text_condition(query_terms("噪音")), limit=51,
        walk_first=walks_in_order(staff, filters), queue=review_condition(filters.state),
    )

Why it walks. Free text is the one filter the planner misjudges: our CJK
bigrams of one word always occur together (人民 & 民路), but PostgreSQL
multiplies their frequencies as if they were independent, so a common term
looks rare and it picks "every GIN match, then sort" (125,000 rows for 人民路
in the benchmark) over "walk in deadline order and stop at the 51st match".
The page is therefore looked up in two steps (:func:`matching_rows`): first
the ordered walk, capped at ``SEARCH_WALK_ROWS`` rows; only when that does not
fill the page (a rare term, or a small filtered set) the ordinary query, where
the GIN index is the right plan.

An approval queue's membership ("id in (the queued drafts)", read from the
partial index that holds only those, tenant revision 0011) is looked up like
free text, in the same two steps: the walk in deadline order keeps queued
letters (hashing the queue once) and fills the page when they are not rare;
otherwise every queued letter is fetched by primary key and sorted, a few µs
each. On the benchmark's 7,900 waiting drafts: 4 ms instead of 42 ms for
fetching them all. Free text within a queue no longer than the walk skips
the walk (see :func:`matching_rows`). A 办理时限 about to end is checked on
the walk too, for the reason :mod:`~leadermail.console.inbox_deadlines` gives.

The rows come back loaded as the inbox shows them (:data:`INBOX_COLUMNS`) and
in its order (:data:`INBOX_ORDER`), which :mod:`leadermail.console.inbox_query`
uses for its plain pages too.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from leadermail.platform import search
from leadermail.platform.letters.models import Letter

#: Rows of the ordered walk searched for a free-text page before falling back
#: to the GIN index: enough for a term in 1 letter out of 40 to fill a page,
#: a few milliseconds when it does not.
SEARCH_WALK_ROWS = 2000
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
#: The inbox's order: by deadline, undated letters last.
INBOX_ORDER = (Letter.reply_due_at.asc().nulls_last(), Letter.id.asc())


def text_condition(terms: str) -> ColumnElement[bool]:
    """Letters whose title or body has ``terms`` (from ``search.query_terms``)."""
    return search.matches(Letter.search_vector, terms)


async def _walk_rows(
    session: AsyncSession,
    where: list[ColumnElement[bool]],
    text_matches: ColumnElement[bool],
    limit: int,
) -> tuple[list[Letter], bool]:
    """Step 1 of :func:`matching_rows`: matches among the first
    ``SEARCH_WALK_ROWS`` filtered letters, and whether the walk was cut short."""
    position = func.row_number().over(order_by=INBOX_ORDER)
    walk = (
        select(
            Letter.id,
            Letter.reply_due_at,
            text_matches.label("matches"),
            position.label("position"),
        )
        .where(*where)
        .order_by(*INBOX_ORDER)
        .limit(SEARCH_WALK_ROWS)
        .subquery("walk")
    )
    kept = (
        select(walk)
        .where(or_(walk.c.matches, walk.c.position == SEARCH_WALK_ROWS))
        # The walk's own order (not ``position``, which the planner cannot
        # see is sorted): the LIMIT then stops the walk at the page's end.
        .order_by(walk.c.reply_due_at.asc().nulls_last(), walk.c.id.asc())
        .limit(limit + 1)
        .subquery("kept")
    )
    found = (
        select(Letter, kept.c.matches, kept.c.position)
        .options(load_only(*INBOX_COLUMNS))
        .join(kept, kept.c.id == Letter.id)
        .order_by(kept.c.position)
    )
    letters, cut_short = [], False
    for letter, matches, walked in await session.execute(found):
        if matches:
            letters.append(letter)
        cut_short = cut_short or walked == SEARCH_WALK_ROWS
    return letters, cut_short


async def matching_rows(
    session: AsyncSession,
    where: list[ColumnElement[bool]],
    text_matches: ColumnElement[bool] | None,
    limit: int,
    *,
    walk_first: bool,
    queue: ColumnElement[bool] | None = None,
    queue_length: int | None = None,
) -> list[Letter]:
    """The first ``limit`` letters among ``where`` that ``text_matches``
    (the free text) and meet ``queue`` (membership of an approval queue, an
    open assignment's 办理时限: conditions checked letter by letter), in order.

    Step 1 (``walk_first``, see ``inbox_query.walks_in_order``) walks the
    filtered letters in deadline order, at most ``SEARCH_WALK_ROWS`` of them,
    and keeps those matching: a common term (or a long queue) fills the page
    within a few hundred rows. The walk's last row (``position`` = the cap)
    comes back too, matching or not, so we know whether the walk was cut
    short. Only then, with the page not full, step 2 reads every match and
    sorts them: through the GIN index for a rare term; with a queue, from
    the queue (a few thousand letters at most), the text checked on those
    only (in the same read), never on every letter with a common word. Both
    steps return the same rows.

    Free text within a queue of ``queue_length`` letters (when the caller
    knows it) no longer than the walk goes to step 2 at once: the walk,
    looking for letters both queued and matching, seldom fills the page,
    and reading the queue costs no more than the walk. A queue alone stays
    walked first: its letters fill the page sooner than the queue is read.
    """
    # The queue first: a hash probe, before the text's tsvector is read.
    wanted = [c for c in (queue, text_matches) if c is not None]
    # 待审批 + 噪音 on the 100,000-letter benchmark (791 queued, 1 in 10 with
    # the word): 32 -> 24 ms a page (p50); 待审批 alone read this way was
    # 1 ms slower, 待审批 + 即将到期 3 ms.
    short_queue = (
        text_matches is not None
        and queue_length is not None
        and queue_length <= SEARCH_WALK_ROWS
    )
    if walk_first and not short_queue:
        letters, cut_short = await _walk_rows(session, where, and_(*wanted), limit)
        if len(letters) >= limit or not cut_short:
            return letters[:limit]
    # Step 2: every match first (MATERIALIZED keeps the planner from walking
    # the deadline index again in hope of an early LIMIT — step 1 just showed
    # that matches are sparse, or the queue is short, and a rare term would
    # walk the whole table), then the page's rows in order.
    first = [queue] if queue is not None else wanted
    columns = [Letter.id, Letter.reply_due_at]
    # With a queue, the text is a column of the queue's own read: checked on
    # the letter row that read fetches anyway (fetching every queued letter
    # again for its text was half the buffers of step 2: 4,759 -> 2,623 for
    # 待审批 + 噪音 on the 100,000-letter benchmark), and out of the
    # planner's reach (in the WHERE it could pick the GIN index for a common
    # term).
    checked = queue is not None and text_matches is not None
    if checked:
        columns.append(text_matches.label("matches"))
    matching = (
        select(*columns)
        .where(*where, *first)
        .cte("matching")
        .prefix_with("MATERIALIZED")
    )
    statement = (
        select(Letter)
        .options(load_only(*INBOX_COLUMNS))
        .join(matching, matching.c.id == Letter.id)
        .order_by(matching.c.reply_due_at.asc().nulls_last(), matching.c.id.asc())
        .limit(limit)
    )
    if checked:
        statement = statement.where(matching.c.matches)
    return list((await session.execute(statement)).scalars())
