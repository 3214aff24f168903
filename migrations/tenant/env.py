"""Alembic environment of the tenant schema.

`leadermail db upgrade` does not use this file: it runs the tenant revisions
itself, once per tenant schema, without re-reading the environment (see
``leadermail.tenants.migrations``). This file serves the ``alembic`` CLI, which
autogenerates new revisions against the scratch schema ``t_0`` (it is created
at head first, so only the model changes show up).
"""

from alembic import context
from sqlalchemy import text

from leadermail.platform.models import TenantBase

config = context.config
target_metadata = TenantBase.metadata
TEMPLATE_SCHEMA = "t_0"


def _include_object(obj, name, type_, reflected, compare_to):  # noqa: ANN001
    return not (type_ == "table" and name == "alembic_version")


def run(connection) -> None:  # noqa: ANN001
    connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {TEMPLATE_SCHEMA}"))
    connection.execute(text(f"SET search_path TO {TEMPLATE_SCHEMA}"))
    connection.dialect.default_schema_name = TEMPLATE_SCHEMA
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table_schema=TEMPLATE_SCHEMA,
        compare_type=True,
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


from leadermail.platform.bootstrap import sync_engine_from_env  # noqa: E402

engine = sync_engine_from_env()
with engine.begin() as conn:
    run(conn)
