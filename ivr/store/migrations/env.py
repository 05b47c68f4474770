"""Alembic's environment: always handed an open connection by ivr.store.migrate, never a URL or an ini file."""

from __future__ import annotations

from alembic import context

from ivr.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `ivr db upgrade` (ivr.store.migrate), which passes the store's connection")
# The caller's transaction (with its locks) holds the whole upgrade: all of it commits, or none.
context.configure(connection=connection, target_metadata=metadata, transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
