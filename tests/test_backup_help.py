"""`ivr db backup --help` says what the command really does: SQLite's online backup, never pg_dump."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from ivr.cli import main


def test_the_help_names_sqlites_backup_and_sends_postgresql_to_pg_dump() -> None:
    result = CliRunner().invoke(main, ["db", "backup", "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "SQLite only: copy the database to a new file TARGET while the line runs, with SQLite's online backup." \
        in result.output
    assert "It does not run pg_dump: with a PostgreSQL IVR_DATABASE_URL it refuses" in result.output


def test_postgresql_is_refused_as_the_help_says(tmp_path: Path) -> None:
    # Refused before any connection: nothing listens on port 1.
    result = CliRunner().invoke(main, ["db", "backup", str(tmp_path / "x.dump"),
                                       "--database", "postgresql+psycopg://nobody@127.0.0.1:1/none"])
    assert result.exit_code == 1
    assert "ivr db backup copies SQLite only; for PostgreSQL use pg_dump -Fc" in result.output
    assert not (tmp_path / "x.dump").exists()
