"""Whose move it is on a reply draft: the approval queue (待审批 / 退回修改).

A draft is *put forward* when its drafter presses 保存草稿 (not by the
autosave: a half-written text is nobody's to approve), *sent back* when a
leader returns it (退回修改) and *settled* once approved::

    put_forward(reply)   # review_state "pending":  the leaders' 待审批
    send_back(reply)     # review_state "returned": the drafting unit's 退回修改
    settle(reply)        # review_state None: approved (or never put forward)

The state is kept on the reply (``Reply.review_state``) so the inbox lists
each queue with one small indexed read; a draft edited after approval goes
back to draft with no state until it is put forward again. These are called
from the hand-over notifications (:mod:`leadermail.platform.notifications.handoffs`),
the one place every draft passes through when it changes hands.
"""

from __future__ import annotations

from leadermail.platform.clock import utcnow
from leadermail.platform.letters.models import Reply

PENDING = "pending"
RETURNED = "returned"
REVIEW_STATE_LABELS = {PENDING: "待审批", RETURNED: "退回修改"}


def put_forward(reply: Reply) -> None:
    reply.review_state = PENDING
    reply.review_changed_at = utcnow()


def send_back(reply: Reply) -> None:
    reply.review_state = RETURNED
    reply.review_changed_at = utcnow()


def settle(reply: Reply) -> None:
    reply.review_state = None
    reply.review_changed_at = utcnow()
