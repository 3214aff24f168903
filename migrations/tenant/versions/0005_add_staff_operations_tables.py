"""add_staff_operations_tables: duty roster (shifts, inbox visits, alerts), the intake
mailbox and the mails that need attention

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel_mail_problems",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("mailbox_id", sa.BigInteger(), nullable=False),
        sa.Column("uid_validity", sa.BigInteger(), nullable=True),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("sender", sa.String(length=300), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("letter_id", sa.BigInteger(), nullable=True),
        sa.Column("resolved_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_mail_problems")),
        sa.UniqueConstraint(
            "mailbox_id",
            "uid_validity",
            "uid",
            name=op.f("uq_channel_mail_problems_mailbox_id_uid_validity_uid"),
        ),
    )
    op.create_table(
        "channel_mailboxes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("use_ssl", sa.Boolean(), nullable=False),
        sa.Column("username", sa.String(length=254), nullable=False),
        sa.Column("password", sa.String(length=255), nullable=False),
        sa.Column("folder", sa.String(length=100), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("uid_validity", sa.BigInteger(), nullable=True),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("last_polled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_mailboxes")),
    )
    op.create_table(
        "duty_inbox_visits",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_inbox_visits")),
    )
    op.create_index(
        "ix_duty_inbox_visits_opened_at", "duty_inbox_visits", ["opened_at"], unique=False
    )
    op.create_table(
        "duty_shifts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("staff_name", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("rota", sa.String(length=10), nullable=False),
        sa.Column("holiday_name", sa.String(length=40), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handover_note", sa.Text(), nullable=True),
        sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handed_over_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_shifts")),
    )
    op.create_index(
        "ix_duty_shifts_starts_at_ends_at", "duty_shifts", ["starts_at", "ends_at"], unique=False
    )
    op.create_index(op.f("ix_duty_shifts_user_id"), "duty_shifts", ["user_id"], unique=False)
    op.create_table(
        "duty_alerts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("letter_id", sa.BigInteger(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("shift_id", sa.BigInteger(), nullable=True),
        sa.Column("recipient_user_ids", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["letter_id"],
            ["letters.id"],
            name=op.f("fk_duty_alerts_letter_id_letters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["duty_shifts.id"],
            name=op.f("fk_duty_alerts_shift_id_duty_shifts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_alerts")),
        sa.UniqueConstraint("letter_id", "level", name=op.f("uq_duty_alerts_letter_id_level")),
    )


def downgrade() -> None:
    op.drop_table("duty_alerts")
    op.drop_index(op.f("ix_duty_shifts_user_id"), table_name="duty_shifts")
    op.drop_index("ix_duty_shifts_starts_at_ends_at", table_name="duty_shifts")
    op.drop_table("duty_shifts")
    op.drop_index("ix_duty_inbox_visits_opened_at", table_name="duty_inbox_visits")
    op.drop_table("duty_inbox_visits")
    op.drop_table("channel_mailboxes")
    op.drop_table("channel_mail_problems")
