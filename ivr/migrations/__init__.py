"""Alembic migrations of the store's schema, run by `ivr db upgrade` (ivr.migrate) and at start."""
