"""Schema migrations: Alembic run on the store's own connection, with no alembic.ini on disk."""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, inspect, text

MIGRATIONS = Path(__file__).parent / "migrations"
# The revision that matches the schema `create_all` made before migrations (with schema_version 1).
LEGACY_REVISION = "0001"
LEGACY_VERSION = 1


# Alembic's MigrationContext announces its dialect and DDL mode at INFO each time one is made,
# and /healthz makes one per probe (current()): two lines per probe under `serve --production`.
# They never tell an operator anything, so they are dropped where Alembic logs them; the
# upgrade's own "Running upgrade 0007 -> 0008" lines stay.
CONTEXT_ANNOUNCEMENTS = frozenset({"Context impl %s.", "Will assume %s DDL."})


class QuietContext(logging.Filter):
    """Drops MigrationContext's two set-up lines; every other Alembic record passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for the announcements alone."""
        return record.msg not in CONTEXT_ANNOUNCEMENTS


logging.getLogger("alembic.runtime.migration").addFilter(QuietContext())


class MigrationError(RuntimeError):
    """The database's schema is one this program cannot bring to its head revision."""


def config(connection: Connection) -> Config:
    """Alembic's configuration, pointing at the migrations shipped inside this package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


@cache
def head() -> str:
    """The newest revision this program knows (read from the versions folder once)."""
    revision = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    if revision is None:
        raise MigrationError("no migrations found in " + str(MIGRATIONS))
    return revision


def current(connection: Connection) -> str | None:
    """The database's revision; None when it has never been migrated."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection) -> str:
    """Bring the schema to head inside the caller's transaction (which holds any lock); the revision."""
    cfg = config(connection)
    adopt_legacy(connection, cfg)
    try:
        command.upgrade(cfg, "head")
    except CommandError as exc:
        # E.g. a revision this program does not know: a newer database needs a newer program.
        raise MigrationError(f"cannot upgrade the database schema: {exc}") from exc
    return head()


def adopt_legacy(connection: Connection, cfg: Config) -> None:
    """A database made by the old create_all (schema_version 1, no alembic_version): stamp it at 0001."""
    tables = set(inspect(connection).get_table_names())
    if "alembic_version" in tables or "schema_version" not in tables:
        return
    versions = [row[0] for row in connection.execute(text("SELECT version FROM schema_version"))]
    if versions != [LEGACY_VERSION]:
        raise MigrationError(f"database schema version {versions} is not one this program can migrate")
    command.stamp(cfg, LEGACY_REVISION)
    # alembic_version replaces it; dropped in the same transaction as the stamp.
    connection.execute(text("DROP TABLE schema_version"))
