"""`ivr purge` from the command line: --dry-run counts, an age under a day needs --yes, report's durations."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from ivr.cli import main
from ivr.store import Store

NOW = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)
AGES_HOURS = (2, 20, 30, 24 * 10, 24 * 100)  # one conversation of each age


@pytest.fixture
def database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A line (SQLite, and PostgreSQL when configured) with one voice session of each age; the clock at NOW."""
    monkeypatch.setattr(sys.modules["ivr.cli.main"], "utc_now", lambda: NOW)  # ivr.cli.main is also a function
    url = database_url
    store = Store(url)
    try:
        store.upgrade()
        for n, hours in enumerate(AGES_HOURS):
            with store.session(f"voice:CA{n:032d}", "voice", NOW - timedelta(hours=hours),
                               caller=f"+4670174060{n}") as record:
                record.data = {"step": 1}
    finally:
        store.dispose()
    return url


def sessions(url: str) -> int:
    store = Store(url)
    try:
        with store.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM sessions")).scalar_one())
    finally:
        store.dispose()


def purge(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["purge", "--database", url, *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_dry_run_counts_what_would_go_and_changes_nothing(database: str) -> None:
    code, output = purge(database, "--older-than", "7d", "--dry-run")
    assert code == 0, output
    assert "dry run, older than 7d: would delete or forget sessions 2," in output
    assert "callers_forgotten 1" in output  # the 30-hour-old session keeps its row but loses its number
    assert "nothing was changed" in output
    assert sessions(database) == 5
    code, output = purge(database, "--older-than", "7d")
    assert code == 0 and output.startswith("older than 7d: sessions 2,"), output
    assert sessions(database) == 3


def test_deleting_everything_needs_yes(database: str) -> None:
    code, output = purge(database, "--older-than", "0d")
    assert code == 2
    assert "--dry-run" in output and "--yes" in output
    assert sessions(database) == 5
    code, output = purge(database, "--older-than", "0d", "--dry-run")
    assert code == 0 and "sessions 5," in output, output
    assert sessions(database) == 5
    code, output = purge(database, "--older-than", "0d", "--yes")
    assert code == 0 and "sessions 5," in output, output
    assert sessions(database) == 0


def test_hours_read_as_ivr_report_reads_them(database: str) -> None:
    code, output = purge(database, "--older-than", "12h")  # under a day: today's conversations
    assert code == 2 and "--yes" in output
    code, output = purge(database, "--older-than", "24h")
    assert code == 0 and "sessions 3," in output, output  # 30 h, 10 days and 100 days old
    assert sessions(database) == 2


def test_without_an_age_the_retention_setting_applies(database: str) -> None:
    code, output = purge(database)
    assert code == 0 and output.startswith("older than 90d: sessions 1,"), output
    assert sessions(database) == 4


@pytest.mark.parametrize("age", ["7", "3m", "7 days", "-1d"])
def test_an_age_it_cannot_read_is_refused_with_the_examples(database: str, age: str) -> None:
    code, output = purge(database, "--older-than", age, "--dry-run")
    assert code == 2 and "--older-than" in output and "1h, 1d, 1w" in output, output
    assert sessions(database) == 5


def test_purge_clears_the_consoles_ended_sessions(database: str) -> None:
    from ivr.store.console import ConsoleStore

    store = Store(database)
    console = ConsoleStore(store)
    try:
        person = {"who_key": "k", "who": "Anna Lind", "role": "admin", "method": "oidc"}
        console.save_session("a" * 64, {}, NOW - timedelta(hours=10), NOW - timedelta(hours=2), person=person)
        console.save_session("b" * 64, {}, NOW - timedelta(hours=1), NOW + timedelta(hours=7), person=person)
        console.save_session("c" * 64, {}, NOW - timedelta(hours=1), NOW + timedelta(hours=7), person=person)
        console.revoke_session("c" * 64, NOW - timedelta(minutes=5))  # signed out
    finally:
        store.dispose()
    code, output = purge(database, "--dry-run")
    assert code == 0 and "console_sessions 2" in output, output
    code, output = purge(database)
    assert code == 0 and "console_sessions 2" in output, output
    store = Store(database)
    try:
        assert [person.session_id for person in ConsoleStore(store).signed_in(NOW)] == ["b" * 64]
        assert ConsoleStore(store).purge_sessions(NOW) == 0
    finally:
        store.dispose()
