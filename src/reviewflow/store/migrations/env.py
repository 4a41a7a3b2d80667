"""Alembic environment: always run with a connection handed in by store.migrate."""

from __future__ import annotations

from alembic import context

from reviewflow.store.schema import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - reviewflow always passes a connection
    raise RuntimeError("run migrations through reviewflow.store.migrate.upgrade()")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
