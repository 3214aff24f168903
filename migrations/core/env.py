"""Alembic environment of the shared schema ``core``.

`leadermail db upgrade` passes its own connection in
``config.attributes["connection"]``; the ``alembic`` CLI (autogenerate) builds
one from the settings.
"""

from alembic import context
from sqlalchemy import text

from leadermail.platform.models import CoreBase

config = context.config
target_metadata = CoreBase.metadata


def _include_object(obj, name, type_, reflected, compare_to):  # noqa: ANN001
    # Only the shared schema belongs to this environment.
    if type_ == "table":
        return obj.schema == "core"
    return True


def run(connection) -> None:  # noqa: ANN001
    connection.execute(text("CREATE SCHEMA IF NOT EXISTS core"))
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table_schema="core",
        include_schemas=True,
        include_object=_include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    from leadermail.platform.bootstrap import sync_engine_from_env

    engine = sync_engine_from_env()
    with engine.begin() as conn:
        run(conn)
