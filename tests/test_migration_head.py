"""The head migration as the store reads it at start (without Alembic) is Alembic's own."""

from __future__ import annotations


def test_the_head_migration_read_without_alembic_is_alembics() -> None:
    from alembic.script import ScriptDirectory

    from ivr.store import migrate

    assert migrate.head() == ScriptDirectory(str(migrate.MIGRATIONS)).get_current_head()
