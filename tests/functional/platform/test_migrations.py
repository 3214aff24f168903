"""Tenant schema migrations: new tenants at head, later revisions applied to
existing tenants, failures isolated per tenant, re-runs finish the job."""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import text

from leadermail.tenants.migrations import (
    MIGRATIONS_DIR,
    TenantVersion,
    tenant_census,
    tenant_head,
    upgrade_tenants,
)
from leadermail.tenants.provisioning import drop_tenant_schema
from tests.functional.platform.cli import run_cli


def _with_extra_revision(tmp_path: Path) -> Path:
    """A copy of the tenant migrations plus one later revision."""
    location = tmp_path / "tenant"
    shutil.copytree(MIGRATIONS_DIR / "tenant", location)
    head = tenant_head()
    (location / "versions" / "9001_add_letter_mood.py").write_text(
        textwrap.dedent(
            f'''
            """add_letter_mood"""
            import sqlalchemy as sa
            from alembic import op

            revision = "9001"
            down_revision = "{head}"
            branch_labels = None
            depends_on = None


            def upgrade():
                op.add_column("letters", sa.Column("mood", sa.String(20), nullable=True))
                op.create_index("ix_letters_mood", "letters", ["mood"])


            def downgrade():
                op.drop_index("ix_letters_mood", table_name="letters")
                op.drop_column("letters", "mood")
            '''
        )
    )
    return location


def _versions(tenants) -> list[TenantVersion]:  # noqa: ANN001
    return [TenantVersion(t.id, t.slug, t.schema_name, t.schema_version) for t in tenants]


def _forget(engine, tenants) -> None:  # noqa: ANN001
    """Remove the test's tenants so later tests see only real-head schemas."""
    with engine.begin() as connection:
        for tenant in tenants:
            drop_tenant_schema(connection, tenant.schema_name)
            connection.execute(text("DELETE FROM core.tenants WHERE id = :id"), {"id": tenant.id})


async def test_a_new_tenant_is_created_at_head(context, make_tenant):
    tenant = await make_tenant()
    assert tenant.schema_version == tenant_head()
    with context.database.sync_engine.connect() as connection:
        stamped = connection.execute(
            text(f"SELECT version_num FROM {tenant.schema_name}.alembic_version")
        ).scalar_one()
    assert stamped == tenant_head()


async def test_a_later_revision_applies_cleanly_to_existing_tenants(context, make_tenant, tmp_path):
    engine = context.database.sync_engine
    tenants = [await make_tenant() for _ in range(3)]
    location = _with_extra_revision(tmp_path)
    try:
        report = upgrade_tenants(
            engine, workers=2, script_location=location, tenants=_versions(tenants)
        )
        assert report.ok, report.failed
        assert sorted(report.upgraded) == sorted(t.slug for t in tenants)
        with engine.connect() as connection:
            for tenant in tenants:
                columns = (
                    connection.execute(
                        text(
                            "SELECT column_name FROM information_schema.columns "
                            "WHERE table_schema = :s AND table_name = 'letters'"
                        ),
                        {"s": tenant.schema_name},
                    )
                    .scalars()
                    .all()
                )
                assert "mood" in columns
        census = {t.tenant_id: t for t in tenant_census(engine)}
        assert {census[t.id].schema_version for t in tenants} == {"9001"}
        # Nothing left to do: a second run touches no schema.
        again = upgrade_tenants(
            engine, script_location=location, tenants=[census[t.id] for t in tenants]
        )
        assert again.upgraded == [] and again.up_to_date == 3
    finally:
        _forget(engine, tenants)


async def test_one_failing_tenant_does_not_stop_the_others_and_a_rerun_finishes(
    context, make_tenant, tmp_path
):
    engine = context.database.sync_engine
    tenants = [await make_tenant() for _ in range(3)]
    broken = tenants[1]
    location = _with_extra_revision(tmp_path)
    try:
        with engine.begin() as connection:
            # Someone added a conflicting column by hand in one schema.
            connection.execute(
                text(f"ALTER TABLE {broken.schema_name}.letters ADD COLUMN mood int")
            )
        report = upgrade_tenants(
            engine, workers=2, script_location=location, tenants=_versions(tenants)
        )
        assert [slug for slug, _ in report.failed] == [broken.slug]
        assert "mood" in report.failed[0][1]
        assert sorted(report.upgraded) == sorted(t.slug for t in tenants if t is not broken)
        census = {t.tenant_id: t for t in tenant_census(engine)}
        # The failed tenant was rolled back whole: still at the old head.
        assert census[broken.id].schema_version == tenant_head()

        with engine.begin() as connection:
            connection.execute(text(f"ALTER TABLE {broken.schema_name}.letters DROP COLUMN mood"))
        rerun = upgrade_tenants(
            engine, script_location=location, tenants=[census[t.id] for t in tenants]
        )
        assert rerun.ok and rerun.upgraded == [broken.slug]
    finally:
        _forget(engine, tenants)


async def test_a_locked_tenant_times_out_instead_of_blocking_the_run(
    context, make_tenant, tmp_path
):
    engine = context.database.sync_engine
    tenants = [await make_tenant() for _ in range(2)]
    locked = tenants[0]
    location = _with_extra_revision(tmp_path)
    blocker = engine.connect()
    try:
        blocker.begin()
        blocker.execute(text(f"LOCK TABLE {locked.schema_name}.letters IN ACCESS EXCLUSIVE MODE"))
        report = upgrade_tenants(
            engine,
            workers=2,
            lock_timeout_ms=300,
            script_location=location,
            tenants=_versions(tenants),
        )
        assert [slug for slug, _ in report.failed] == [locked.slug]
        assert "lock" in report.failed[0][1].lower()
        assert report.upgraded == [tenants[1].slug]
    finally:
        blocker.rollback()
        blocker.close()
        _forget(engine, tenants)


@pytest.mark.slow
async def test_db_upgrade_command_reports_each_tenant_and_names_failures(context, make_tenant):
    engine = context.database.sync_engine
    tenant = await make_tenant()
    ok = run_cli(context.settings, "db", "upgrade", "--quiet")
    assert ok.returncode == 0, ok.stderr
    assert "failed" in ok.stdout and "0 failed" in ok.stdout

    # Put the tenant one revision behind and break it: the command carries on
    # past it and exits non-zero naming it.
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE core.tenants SET schema_version = '0004' WHERE id = :id"),
            {"id": tenant.id},
        )
        connection.execute(text(f"DROP TABLE {tenant.schema_name}.alembic_version"))
    try:
        failed = run_cli(context.settings, "db", "upgrade", "--quiet")
        assert failed.returncode == 1
        assert tenant.slug in failed.stderr
    finally:
        _forget(engine, [tenant])


def _catalog(connection, schema: str) -> dict[str, list]:  # noqa: ANN001
    def rows(sql: str) -> list:
        return sorted(
            tuple(str(v).replace(schema, "S") for v in row)
            for row in connection.execute(text(sql), {"s": schema})
        )

    return {
        "columns": rows(
            "SELECT table_name, column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema = :s"
        ),
        "indexes": rows(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = :s"
        ),
        "constraints": rows(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE connamespace = CAST(:s AS regnamespace)"
        ),
        "triggers": rows(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = CAST(:s AS regnamespace) "
            "AND NOT tgisinternal"
        ),
        "functions": rows(
            "SELECT proname, prosrc FROM pg_proc WHERE pronamespace = CAST(:s AS regnamespace)"
        ),
    }


async def test_the_fast_head_path_builds_the_same_schema_as_replaying_every_revision(context):
    from leadermail.tenants.migrations import _migrate_locked, head_ddl

    assert "CREATE TABLE letters" in head_ddl()  # the fast path really renders
    engine = context.database.sync_engine
    with engine.begin() as connection:
        ids = [
            connection.execute(
                text(
                    "INSERT INTO core.tenants (slug, name, kind, status, theme, schema_name, "
                    "cluster, profile, settings, created_at, updated_at) "
                    "VALUES (:slug, '比对', 'city', "
                    "'provisioning', 'base', :slug, 'main', '{}', '{}', now(), now()) RETURNING id"
                ),
                {"slug": f"cmp-{i}-{os.getpid()}"},
            ).scalar_one()
            for i in range(2)
        ]
    fast, replayed = (f"t_{i}" for i in ids)
    try:
        with engine.begin() as connection:
            _migrate_locked(connection, fast, ids[0], 5000, None)
        with engine.begin() as connection:
            _migrate_locked(connection, replayed, ids[1], 5000, None, allow_fast_path=False)
        with engine.connect() as connection:
            assert _catalog(connection, fast) == _catalog(connection, replayed)
    finally:
        with engine.begin() as connection:
            for schema in (fast, replayed):
                drop_tenant_schema(connection, schema)
            connection.execute(text("DELETE FROM core.tenants WHERE id = ANY(:ids)"), {"ids": ids})
