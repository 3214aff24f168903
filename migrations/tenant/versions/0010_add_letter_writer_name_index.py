"""add_letter_writer_name_index: the inbox finds letters by their writer's name

Staff search the inbox for a letter by its tracking code, its writer's full
mobile number or exact name (``leadermail.console.inbox_identifiers``). The
code (unique constraint) and the phone (``ix_letters_writer_phone``) were
indexed already; the name was not, so it would have been a sequential scan
of ``letters``. A common name can have thousands of letters, hence
``reply_due_at, id`` after it: the inbox's order, so a page is an index walk
with LIMIT, not "every letter of that name, then sort". Measured on the
benchmark tenant (1,000,000 letters, 10,000 per name): first page of open
letters of one name 1.4 ms with this index, 74 ms with ``(writer_name)``
alone (cold cache).

Cost for existing tenants: the migration runner upgrades each tenant in one
transaction, so the index is built with a plain CREATE INDEX (CONCURRENTLY
cannot run inside a transaction). The build takes a SHARE lock: reads go on,
but writes to ``letters`` wait until it is done: about 3 s for the
benchmark tenant (2 cores), milliseconds for a typical tenant of 10,000
letters. For a very large tenant, build it beforehand without blocking
writes and this revision then skips it (IF NOT EXISTS):

    CREATE INDEX CONCURRENTLY ix_letters_writer_name
        ON t_<id>.letters (writer_name, reply_due_at, id);

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_letters_writer_name",
        "letters",
        ["writer_name", "reply_due_at", "id"],
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index("ix_letters_writer_name", table_name="letters", if_exists=True)
