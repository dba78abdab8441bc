"""Alembic environment: runs on the connection `tansiq.store.migrate` hands it."""

from alembic import context

from tansiq.store.registry import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through tansiq.store.migrate, which supplies a connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
