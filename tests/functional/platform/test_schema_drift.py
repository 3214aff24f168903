"""The models and the migrations describe the same schema (autogenerate finds nothing)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from leadermail.platform.models import CoreBase, TenantBase


def _diffs(connection, metadata, **opts):  # noqa: ANN001, ANN003, ANN202
    context = MigrationContext.configure(connection, opts={"compare_type": True, **opts})
    return compare_metadata(context, metadata)


async def test_tenant_models_match_the_tenant_migrations(context, make_tenant):
    tenant = await make_tenant()
    with context.database.sync_engine.connect() as connection:
        connection.exec_driver_sql(f"SET search_path TO {tenant.schema_name}")
        connection.dialect.default_schema_name = tenant.schema_name
        diffs = _diffs(
            connection,
            TenantBase.metadata,
            include_object=lambda obj, name, type_, *_: (
                not (type_ == "table" and name == "alembic_version")
            ),
        )
        connection.rollback()
    assert diffs == []


async def test_core_models_match_the_core_migrations(context):
    with context.database.sync_engine.connect() as connection:
        diffs = _diffs(
            connection,
            CoreBase.metadata,
            include_schemas=True,
            include_object=lambda obj, name, type_, *_: (
                not (
                    type_ == "table"
                    and (getattr(obj, "schema", None) != "core" or name == "alembic_version")
                )
            ),
        )
    assert diffs == []
