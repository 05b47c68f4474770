"""The commands' one way to the store: the --database option, and the store it names.

In a module of its own so that the commands (forget, lookup, oncall, outbox) and the `ivr`
group in main.py all import it, and main.py imports the commands: no circle.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ivr.store import Store

database_option = click.option(
    "--database", "database_url", envvar="IVR_DATABASE_URL", help="Database URL (default: the instance SQLite)."
)


def open_store(database_url: str | None) -> Store:
    """The store at the given URL or the embedded default, upgraded to the current schema."""
    from ivr.config import default_database_url
    from ivr.store import Store

    store = Store(database_url or default_database_url())
    store.upgrade()
    return store


def existing_store(database_url: str | None) -> Store:
    """The store, refusing a SQLite file that is not there: opening it would create an empty one."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from ivr.config import default_database_url
    from ivr.store import Store

    url = database_url or default_database_url()
    try:
        parsed = make_url(url)
    except SQLAlchemyError:
        parsed = None  # Store refuses it below with its own message, which never quotes a password
    if parsed is not None and parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").exists():
        # Checked before Store(), which creates a SQLite file's folder.
        raise click.ClickException(f"Ingen databas i {parsed.database} (no database there): "
                                   "kontrollera IVR_DATABASE_URL, eller skapa den med 'ivr db upgrade'")
    return Store(url)
