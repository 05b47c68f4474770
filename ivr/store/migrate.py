"""Schema migrations: Alembic run on the store's own connection, with no alembic.ini on disk."""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported only when a schema needs migrating. Why (measured, bench/README.md, December
# 2026): its import was ~0.1 s and ~6 MiB of every server process's start, and a started database is
# almost always at head already, which one read of alembic_version tells.

MIGRATIONS = Path(__file__).parent / "migrations"
# The revision that matches the schema `create_all` made before migrations (with schema_version 1).
LEGACY_REVISION = "0001"
LEGACY_VERSION = 1


# Alembic's MigrationContext announces its dialect and DDL mode at INFO each time one is made,
# and /healthz makes one per probe (current()): two lines per probe under `serve --production`.
# They never tell an operator anything, so they are dropped where Alembic logs them; the
# upgrade's own "Running upgrade 0007 -> 0008" lines stay.
# Alembic 1.17+ also names each plugin it sets up as it is imported; imported lazily (below), after the
# logs are set up, that would be a dozen new lines at every start that migrates.
CONTEXT_ANNOUNCEMENTS = frozenset({"Context impl %s.", "Will assume %s DDL.", "setup plugin %s"})


class QuietContext(logging.Filter):
    """Drops MigrationContext's two set-up lines; every other Alembic record passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for the announcements alone."""
        return record.msg not in CONTEXT_ANNOUNCEMENTS


for _name in ("alembic.runtime.migration", "alembic.runtime.plugins"):  # before Alembic is ever imported
    logging.getLogger(_name).addFilter(QuietContext())


class MigrationError(RuntimeError):
    """The database's schema is one this program cannot bring to its head revision."""


def config(connection: Connection) -> Config:
    """Alembic's configuration, pointing at the migrations shipped inside this package."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


REVISION = re.compile(r'^(down_revision|revision) = (?:"([^"]+)"|None)$', re.MULTILINE)


@cache
def head() -> str:
    """The newest revision this program knows: the one no other migration names as its down_revision.

    Read from the versions folder's files once, as Alembic's ScriptDirectory would (tests/test_migration_head.py
    holds the two to the same answer), without importing Alembic.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict((name, value) for name, value in REVISION.findall(path.read_text(encoding="utf-8")))
        if "revision" in found:
            revisions.add(found["revision"])
            if found.get("down_revision"):
                parents.add(found["down_revision"])
    heads = revisions - parents
    if len(heads) != 1:
        raise MigrationError(f"expected one head migration in {MIGRATIONS}, found {sorted(heads) or 'none'}")
    return heads.pop()


def current(connection: Connection) -> str | None:
    """The database's revision (Alembic's alembic_version table); None when it has never been migrated."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    versions = [row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))]
    if len(versions) > 1:
        raise MigrationError(f"the database is at several revisions {sorted(versions)}: merge them first")
    return str(versions[0]) if versions else None


def upgrade(connection: Connection) -> str:
    """Bring the schema to head inside the caller's transaction (which holds any lock); the revision."""
    if current(connection) == head():
        return head()  # nothing to do: no need to load Alembic
    from alembic import command
    from alembic.util import CommandError

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
    from alembic import command

    command.stamp(cfg, LEGACY_REVISION)
    # alembic_version replaces it; dropped in the same transaction as the stamp.
    connection.execute(text("DROP TABLE schema_version"))
