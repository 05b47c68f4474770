"""An online backup of the SQLite store: a consistent copy taken while the line keeps answering.

PostgreSQL has its own tools for this (pg_dump -Fc / pg_restore, see the README); they
know the server's version and its roles, which a copy made from Python would not.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from ivr.store.store import Store, StoreError

# Pages copied per step: between steps SQLite lets the line's writers in, so a backup of
# a large file does not hold a call's turn for the whole copy.
PAGES_PER_STEP = 256


def backup_sqlite(store: Store, target: Path) -> int:
    """Copy the store's SQLite database to a new file `target` (refused if it exists); its size in bytes."""
    if store.backend != "sqlite":
        raise StoreError("ivr db backup copies SQLite only; for PostgreSQL use pg_dump -Fc (see the README)")
    if target.exists():
        raise StoreError(f"{target} already exists: give a new file name")
    # Written beside the target and renamed at the end: a half-written copy never has its name.
    partial = target.with_name(target.name + ".partial")
    try:
        raw = store.engine.raw_connection()
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the database: {exc}") from exc
    try:
        destination = sqlite3.connect(partial)
        try:
            # sqlite3's online backup API: a consistent snapshot, WAL contents included.
            raw.driver_connection.backup(destination, pages=PAGES_PER_STEP)  # type: ignore[union-attr]
        finally:
            destination.close()
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise StoreError(f"backup to {target} failed: {exc}") from exc
    finally:
        raw.close()
    return target.stat().st_size
