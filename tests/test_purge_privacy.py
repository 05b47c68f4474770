"""`ivr purge` leaves no blanked number in SQLite's files, and refuses ages it cannot count back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from ivr.cli import main
from ivr.store import Store

T0 = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)


def test_purged_numbers_are_gone_from_the_sqlite_file_and_its_log(tmp_path: Path) -> None:
    path = tmp_path / "line.sqlite3"
    store = Store(f"sqlite:///{path}")
    numbers = [f"+4670{n:07d}" for n in range(1_230_000, 1_230_050)]
    try:
        store.upgrade()
        for n, number in enumerate(numbers):
            with store.session(f"voice:CA{n:032d}", "voice", T0, caller=number) as record:
                record.data = {"step": n}
        counts = store.purge(T0 - timedelta(days=90), T0 + timedelta(hours=1))
        assert counts["callers_forgotten"] == 50 and counts["sessions"] == 0
    finally:
        store.dispose()
    files = [p for p in tmp_path.iterdir() if p.name.startswith("line.sqlite3") and "lock" not in p.name]
    assert path in files
    contents = b"".join(p.read_bytes() for p in files)
    survivors = [number for number in numbers if number[3:].encode() in contents]
    assert survivors == []


def test_purge_refuses_an_age_too_long_to_count_back() -> None:
    result = CliRunner().invoke(main, ["purge", "--older-than", "99999999999999d", "--database", "sqlite:///x"])
    assert result.exit_code == 2, result.output
    assert "--older-than" in result.output and "too long" in result.output
    assert not isinstance(result.exception, OverflowError)
