"""add_province_tables

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _upgrade_forwarding()  # 5a
    # --- 5b: supervision aggregates ---
    _upgrade_supervision()
    # --- end 5b ---


def downgrade() -> None:
    # --- 5b: supervision aggregates ---
    _downgrade_supervision()
    # --- end 5b ---
    _downgrade_forwarding()  # 5a


# --- 5a: provisioning runs, applications, invitations, forwarding ledger, appeals ---
def _upgrade_forwarding() -> None:
    from sqlalchemy.dialects import postgresql

    op.create_table(
        "appeals",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("request_key", sa.String(length=80), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("tracking_code", sa.String(length=16), nullable=False),
        sa.Column("origin_tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("origin_letter_id", sa.BigInteger(), nullable=False),
        sa.Column("decided_tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("to_tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("to_letter_id", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("answer_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by_label", sa.String(length=100), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("opinion", sa.Text(), nullable=True),
        sa.Column("is_final", sa.Boolean(), nullable=False),
        sa.Column("writer_phone_key", sa.String(length=64), nullable=True),
        sa.Column("writer_id_key", sa.String(length=64), nullable=True),
        sa.Column("fingerprint", postgresql.JSONB(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_tenant_id"],
            ["core.tenants.id"],
            name=op.f("fk_appeals_decided_tenant_id_tenants"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["core.appeals.id"], name=op.f("fk_appeals_parent_id_appeals")
        ),
        sa.ForeignKeyConstraint(
            ["to_tenant_id"], ["core.tenants.id"], name=op.f("fk_appeals_to_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
        sa.UniqueConstraint("request_key", name=op.f("uq_appeals_request_key")),
        schema="core",
    )
    op.create_index(
        "ix_appeals_to_tenant",
        "appeals",
        ["to_tenant_id", "created_at"],
        unique=False,
        schema="core",
    )
    op.create_index(
        "ix_appeals_tracking_code", "appeals", ["tracking_code"], unique=False, schema="core"
    )
    op.create_index(
        "ix_appeals_writer_id_key", "appeals", ["writer_id_key"], unique=False, schema="core"
    )
    op.create_index(
        "ix_appeals_writer_phone_key", "appeals", ["writer_phone_key"], unique=False, schema="core"
    )
    op.create_table(
        "forwardings",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("request_key", sa.String(length=80), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("root_tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("root_letter_id", sa.BigInteger(), nullable=False),
        sa.Column("tracking_code", sa.String(length=16), nullable=False),
        sa.Column("from_tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("from_letter_id", sa.BigInteger(), nullable=False),
        sa.Column("to_tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("to_letter_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("chosen_by", sa.String(length=40), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("forwarded_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("forwarded_by_label", sa.String(length=100), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("objection_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("objected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("objection_reason", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_label", sa.String(length=100), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("replaced_by_id", sa.BigInteger(), nullable=True),
        sa.Column("urge_count", sa.Integer(), nullable=False),
        sa.Column("last_urged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("receiver_state", sa.String(length=30), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completion_report", sa.Text(), nullable=True),
        sa.Column("writer_phone_key", sa.String(length=64), nullable=True),
        sa.Column("writer_id_key", sa.String(length=64), nullable=True),
        sa.Column("fingerprint", postgresql.JSONB(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_tenant_id"],
            ["core.tenants.id"],
            name=op.f("fk_forwardings_from_tenant_id_tenants"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["core.forwardings.id"],
            name=op.f("fk_forwardings_parent_id_forwardings"),
        ),
        sa.ForeignKeyConstraint(
            ["to_tenant_id"], ["core.tenants.id"], name=op.f("fk_forwardings_to_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forwardings")),
        sa.UniqueConstraint("request_key", name=op.f("uq_forwardings_request_key")),
        schema="core",
    )
    op.create_index(
        "ix_forwardings_from",
        "forwardings",
        ["from_tenant_id", "created_at"],
        unique=False,
        schema="core",
    )
    op.create_index(
        "ix_forwardings_from_letter",
        "forwardings",
        ["from_tenant_id", "from_letter_id"],
        unique=False,
        schema="core",
    )
    op.create_index(
        "ix_forwardings_root",
        "forwardings",
        ["root_tenant_id", "root_letter_id"],
        unique=False,
        schema="core",
    )
    op.create_index(
        "ix_forwardings_to",
        "forwardings",
        ["to_tenant_id", "created_at"],
        unique=False,
        schema="core",
    )
    op.create_index(
        op.f("ix_forwardings_tracking_code"),
        "forwardings",
        ["tracking_code"],
        unique=False,
        schema="core",
    )
    op.create_index(
        "ix_forwardings_writer_id_key",
        "forwardings",
        ["writer_id_key"],
        unique=False,
        schema="core",
    )
    op.create_index(
        "ix_forwardings_writer_phone_key",
        "forwardings",
        ["writer_phone_key"],
        unique=False,
        schema="core",
    )
    op.create_table(
        "provisioning_runs",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("request_key", sa.String(length=80), nullable=False),
        sa.Column("spec", postgresql.JSONB(), nullable=False),
        sa.Column("template_tenant_id", sa.BigInteger(), nullable=True),
        sa.Column("admin_email", sa.String(length=254), nullable=True),
        sa.Column("admin_name", sa.String(length=50), nullable=True),
        sa.Column("application_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("step", sa.String(length=30), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=True),
        sa.Column("requested_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("requested_by_label", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core.tenants.id"], name=op.f("fk_provisioning_runs_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provisioning_runs")),
        sa.UniqueConstraint("request_key", name=op.f("uq_provisioning_runs_request_key")),
        schema="core",
    )
    op.create_table(
        "staff_invitations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core.tenants.id"],
            name=op.f("fk_staff_invitations_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["core.users.id"],
            name=op.f("fk_staff_invitations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_invitations_token_hash")),
        schema="core",
    )
    op.create_index(
        op.f("ix_staff_invitations_user_id"),
        "staff_invitations",
        ["user_id"],
        unique=False,
        schema="core",
    )
    op.create_table(
        "tenant_applications",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("unit_name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("parent_tenant_id", sa.BigInteger(), nullable=True),
        sa.Column("leader_name", sa.String(length=50), nullable=False),
        sa.Column("leader_title", sa.String(length=100), nullable=True),
        sa.Column("contact_name", sa.String(length=50), nullable=False),
        sa.Column("contact_phone", sa.String(length=20), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("wished_slug", sa.String(length=40), nullable=False),
        sa.Column("wished_domain", sa.String(length=253), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reviewed_by_label", sa.String(length=100), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("provisioning_run_id", sa.BigInteger(), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_tenant_id"],
            ["core.tenants.id"],
            name=op.f("fk_tenant_applications_parent_tenant_id_tenants"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core.tenants.id"],
            name=op.f("fk_tenant_applications_tenant_id_tenants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_applications")),
        sa.UniqueConstraint("code", name=op.f("uq_tenant_applications_code")),
        schema="core",
    )


def _downgrade_forwarding() -> None:
    op.drop_table("tenant_applications", schema="core")
    op.drop_index(
        op.f("ix_staff_invitations_user_id"), table_name="staff_invitations", schema="core"
    )
    op.drop_table("staff_invitations", schema="core")
    op.drop_table("provisioning_runs", schema="core")
    op.drop_table("forwardings", schema="core")
    op.drop_table("appeals", schema="core")


# --- end 5a ---


# --- 5b: supervision aggregates ---
def _upgrade_supervision() -> None:
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "letter_facts",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("letter_id", sa.BigInteger(), nullable=False),
        sa.Column("unit_id", sa.BigInteger(), nullable=False),
        sa.Column("unit_name", sa.String(100), nullable=True),
        sa.Column("letter_type", sa.String(20), nullable=False),
        sa.Column("category_id", sa.BigInteger(), nullable=True),
        sa.Column("category_name", sa.String(50), nullable=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("started_at", tz, nullable=False),
        sa.Column("accepted_at", tz, nullable=True),
        sa.Column("replied_at", tz, nullable=True),
        sa.Column("closed_at", tz, nullable=True),
        sa.Column("reply_due_at", tz, nullable=True),
        sa.Column("effective_due_at", tz, nullable=True),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("is_accepted", sa.Boolean(), nullable=False),
        sa.Column("is_not_accepted", sa.Boolean(), nullable=False),
        sa.Column("is_replied", sa.Boolean(), nullable=False),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("is_closed", sa.Boolean(), nullable=False),
        sa.Column("was_forwarded", sa.Boolean(), nullable=False),
        sa.Column("was_assigned", sa.Boolean(), nullable=False),
        sa.Column("urge_count", sa.Integer(), nullable=False),
        sa.Column("is_away", sa.Boolean(), nullable=False),
        sa.Column("away_seconds", sa.Integer(), nullable=False),
        sa.Column("handling_working_days", sa.SmallInteger(), nullable=True),
        sa.Column("satisfaction", sa.String(30), nullable=True),
        sa.Column("problem_solved", sa.Boolean(), nullable=True),
        sa.Column("rehandled", sa.Boolean(), nullable=False),
        sa.Column("source_updated_at", tz, nullable=True),
        sa.Column("refreshed_at", tz, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "letter_id", name=op.f("pk_letter_facts")),
        schema="core",
    )
    op.create_index(
        "ix_letter_facts_group", "letter_facts", ["tenant_id", "unit_id", "month"],
        schema="core",
    )
    op.create_index(
        "ix_letter_facts_open_due", "letter_facts", ["effective_due_at", "tenant_id", "unit_id"],
        schema="core", postgresql_where=sa.text("is_open"),
    )
    counts = [
        "received", "accepted", "not_accepted", "replied", "replied_on_time", "closed",
        "evaluated", "satisfied", "solved_answered", "solved", "rehandled", "complaints",
        "forwarded", "assigned", "urged", "away", "handling_count",
    ]
    op.create_table(
        "unit_monthly_stats",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("unit_id", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("unit_name", sa.String(100), nullable=True),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in counts],
        sa.Column("handling_days_sum", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "unit_id", "month", name=op.f("pk_unit_monthly_stats")
        ),
        schema="core",
    )
    op.create_table(
        "letter_fact_sync",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("last_source_updated_at", tz, nullable=True),
        sa.Column("reconciled_at", tz, nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_letter_fact_sync")),
        schema="core",
    )
    op.create_table(
        "supervision_reports",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.String(20), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("file_format", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", tz, nullable=False),
        sa.Column("finished_at", tz, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_reports")),
        schema="core",
    )
    op.create_index(
        op.f("ix_supervision_reports_tenant_id"), "supervision_reports", ["tenant_id"],
        schema="core",
    )


def _downgrade_supervision() -> None:
    op.drop_index(
        op.f("ix_supervision_reports_tenant_id"), table_name="supervision_reports", schema="core"
    )
    op.drop_table("supervision_reports", schema="core")
    op.drop_table("letter_fact_sync", schema="core")
    op.drop_table("unit_monthly_stats", schema="core")
    op.drop_index("ix_letter_facts_open_due", table_name="letter_facts", schema="core")
    op.drop_index("ix_letter_facts_group", table_name="letter_facts", schema="core")
    op.drop_table("letter_facts", schema="core")
# --- end 5b ---
