"""add_assignment_workflow: the reply approval queue (待审批 / 退回修改)

Each reply gets ``review_state`` (pending: put forward by its drafter and
waiting for a leader; returned: sent back for revision; NULL otherwise) and
``review_changed_at`` (see ``leadermail.platform.replies.review``), so the
inbox can list the letters whose draft waits for approval.

Existing drafts are put in the queue as the console treated them until now:
every draft with text is waiting for a leader, unless a leader returned it
(a ``reply_returned`` timeline entry) and it was not edited since.

The 办理时限 of an assignment (``assignments.due_at``) needs no change: the
column existed, it was only never chosen by hand.

Cost for existing tenants: two nullable columns without a default (a
catalogue change, no table rewrite) and one UPDATE over the drafts only
(a handful of rows per tenant: sent replies are not touched).

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
    op.add_column(
        "replies", sa.Column("review_changed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute(
        """
        UPDATE replies AS r
           SET review_state = CASE WHEN EXISTS (
                   SELECT 1 FROM letter_events AS e
                    WHERE e.letter_id = r.letter_id
                      AND e.kind = 'reply_returned'
                      AND e.data ->> 'reply_id' = r.id::text
                      AND e.created_at >= r.updated_at
               ) THEN 'returned' ELSE 'pending' END,
               review_changed_at = r.updated_at
         WHERE r.status = 'draft' AND r.body_html <> ''
        """
    )


def downgrade() -> None:
    op.drop_column("replies", "review_changed_at")
    op.drop_column("replies", "review_state")
