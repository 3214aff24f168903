"""Whose move it is on a reply draft: the approval queue (待审批 / 退回修改).

A draft is *put forward* when its drafter presses 保存草稿 (not by the
autosave: a half-written text is nobody's to approve), *sent back* when a
leader returns it (退回修改) and *settled* once approved::

    put_forward(reply)   # review_state "pending":  the leaders' 待审批
    send_back(reply)     # review_state "returned": the drafting unit's 退回修改
    settle(reply)        # review_state None: approved (or never put forward)
    await leave_queue(session, letter)   # the letter left the open states

The state is kept on the reply (``Reply.review_state``) so the inbox lists
each queue with one small indexed read (the partial index of tenant
revision 0011 holds just the queued drafts); a draft edited after approval
goes back to draft with no state until it is put forward again. The first
three are called by the reply verbs that change whose move it is
(``drafting.save_draft``, ``approval.approve_reply`` / ``return_reply``),
next to the hand-over notification each sends; ``leave_queue`` from
``workflow.apply_transition`` when a letter is closed, forwarded, merged or
not accepted with a draft still queued. So a queued draft always belongs to
an open letter, and the leaders' 待审批 count reads the index alone.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.letters.models import Letter, Reply

PENDING = "pending"
RETURNED = "returned"
REVIEW_STATE_LABELS = {PENDING: "待审批", RETURNED: "退回修改"}


def put_forward(reply: Reply) -> None:
    reply.review_state = PENDING


def send_back(reply: Reply) -> None:
    reply.review_state = RETURNED


def settle(reply: Reply) -> None:
    reply.review_state = None


async def leave_queue(session: AsyncSession, letter: Letter) -> None:
    """Take ``letter``'s drafts out of both queues: nobody approves or
    revises the reply of a letter no longer being handled here."""
    await session.execute(
        update(Reply)
        .where(Reply.letter_id == letter.id, Reply.review_state.is_not(None))
        .values(review_state=None)
        .execution_options(synchronize_session=False)
    )
