"""speed_up_inbox_filters: indexes for the slow inbox filters

The inbox's "全部" tab (every state) sorted by deadline had no index in that
order: the first page sorted the whole table (about 300 ms at 1,000,000
letters). ``ix_letters_due`` is that order, so the page is an index walk
with LIMIT, and the free-text search's ordered walk
(``leadermail.console.inbox_query``) works for every state too. The other
slow filters (due soon, a common term with a type) needed query changes,
not indexes.

Cost for existing tenants: the migration runner upgrades each tenant in one
transaction, so the index is built with a plain CREATE INDEX (CONCURRENTLY
cannot run inside a transaction). The build takes a SHARE lock: reads go on,
but writes to ``letters`` (new letters, state changes) wait until it is
done. Measured on the benchmark tenant of 1,000,000 letters: about 1 s
(2 cores); a typical tenant of 10,000 letters: milliseconds. For a very
large tenant, build it beforehand without blocking writes and this
revision then skips it (IF NOT EXISTS):

    CREATE INDEX CONCURRENTLY ix_letters_due ON t_<id>.letters (reply_due_at, id);

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_letters_due", "letters", ["reply_due_at", "id"], if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_letters_due", table_name="letters", if_exists=True)
