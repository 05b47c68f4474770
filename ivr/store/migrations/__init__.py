"""Alembic migrations of the store's schema, run by `ivr db upgrade` (ivr.store.migrate) and at start."""
