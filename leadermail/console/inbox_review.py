"""The inbox's approval queue: 待审批 (drafts waiting for a leader) and 退回修改
(drafts a leader sent back), as ``state`` tabs of the inbox.

    review_tabs(staff)                    # {"awaiting_approval": "待审批", ...} they may see
    await review_counts(session, staff)   # letters per tab
    review_condition(filters.state)       # WHERE of a tab, None for other states
    await queue_length(session, filters.state)  # drafts in the tab's whole queue

The queue's state lives on the reply (:mod:`leadermail.platform.replies.review`);
tenant revision 0011 indexes just the queued drafts, so a count reads that
index alone. How a tab's letters are listed (like free text: the ordered walk
first) is :mod:`leadermail.console.inbox_search`'s business.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.policy import Action, StaffUser, role_allows
from leadermail.platform.letters.models import Letter, Reply
from leadermail.platform.replies.review import PENDING, RETURNED


@dataclass(frozen=True)
class ReviewTab:
    label: str
    #: Reply.review_state of the letters' working draft.
    review_state: str
    #: Who sees the tab: those who may do the next step.
    action: Action


#: The approval queue, as ``state`` values of the inbox.
AWAITING_APPROVAL = "awaiting_approval"
REPLY_RETURNED = "reply_returned"
REVIEW_TABS: dict[str, ReviewTab] = {
    AWAITING_APPROVAL: ReviewTab("待审批", PENDING, Action.APPROVE_REPLY),
    REPLY_RETURNED: ReviewTab("退回修改", RETURNED, Action.DRAFT_REPLY),
}


def review_tabs(staff: StaffUser) -> dict[str, str]:
    """The approval-queue tabs ``staff`` sees: tab → label."""
    return {
        tab: spec.label
        for tab, spec in REVIEW_TABS.items()
        if role_allows(staff.roles, spec.action)
    }


def review_condition(state: str) -> ColumnElement[bool] | None:
    """Letters whose working draft is in the tab's review state (None: not a
    queue tab). Applied like the free text (``inbox_search.matching_rows``), not as
    a WHERE of the plain query: see the module docstring."""
    tab = REVIEW_TABS.get(state)
    if tab is None:
        return None
    drafts = select(Reply.letter_id).where(
        Reply.review_state == tab.review_state, Reply.status == "draft"
    )
    return Letter.id.in_(drafts)


async def queue_length(session: AsyncSession, state: str) -> int | None:
    """Drafts in the tab's queue across the mailbox (None: not a queue tab),
    whatever part of it the reader sees: what listing the tab from the queue
    costs (:func:`~leadermail.console.inbox_search.matching_rows` reads every
    queued letter, then keeps the reader's). The queue's index alone."""
    tab = REVIEW_TABS.get(state)
    if tab is None:
        return None
    statement = select(func.count()).where(
        Reply.review_state == tab.review_state, Reply.status == "draft"
    )
    return int((await session.execute(statement)).scalar_one())


async def review_counts(session: AsyncSession, staff: StaffUser) -> dict[str, int]:
    """Letters per approval-queue tab ``staff`` sees (a handler: their unit's).

    A queued draft always belongs to an open letter (``replies.review``
    takes a letter's drafts out when it leaves the open states), so the
    count reads the queue's index alone; only a handler's count joins the
    letters, for their unit.
    """
    tabs = review_tabs(staff)
    if not tabs:
        return {}
    wanted = {REVIEW_TABS[tab].review_state: tab for tab in tabs}
    statement = (
        select(Reply.review_state, func.count())
        .where(Reply.review_state.in_(list(wanted)), Reply.status == "draft")
        .group_by(Reply.review_state)
    )
    if staff.only_handler:
        statement = statement.join(Letter, Letter.id == Reply.letter_id).where(
            Letter.unit_id == (staff.unit_id or -1)
        )
    found = {review_state: int(n) for review_state, n in await session.execute(statement)}
    return {tab: found.get(review_state, 0) for review_state, tab in wanted.items()}
