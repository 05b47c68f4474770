"""`ivr purge` leaves no blanked number in SQLite's files, and refuses ages it cannot count back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from ivr.cli import main
from ivr.store import Store

T0 = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)


def sqlite_bytes(folder: Path, name: str) -> bytes:
    """The database file and its write-ahead log, as they lie on disk."""
    return b"".join(p.read_bytes() for p in sorted(folder.iterdir()) if p.name in (name, f"{name}-wal"))


def test_purged_numbers_are_gone_from_the_sqlite_file_and_its_log(tmp_path: Path) -> None:
    path = tmp_path / "line.sqlite3"
    store = Store(f"sqlite:///{path}")
    numbers = [f"+4670{n:07d}" for n in range(1_230_000, 1_230_050)]
    try:
        store.upgrade()
        for turn in range(4):  # calls that go on for a few turns each, interleaved as in real traffic
            for n, number in enumerate(numbers):
                at = T0 - timedelta(days=100 if n % 2 else 0)  # half of them past the retention period
                with store.session(f"voice:CA{n:032d}", "voice", at, caller=number) as record:
                    record.data = {"step": turn, "answers": [True] * turn * 5}
        assert sum(number[3:].encode() in sqlite_bytes(tmp_path, path.name) for number in numbers) == 50
        counts = store.purge(T0 - timedelta(days=90), T0 + timedelta(hours=1))
        assert counts["sessions"] == 25 and counts["callers_forgotten"] == 25  # deleted, and blanked
        # Read while the store is still open, as a running server keeps it (its last close would checkpoint).
        contents = sqlite_bytes(tmp_path, path.name)
    finally:
        store.dispose()
    assert [number for number in numbers if number[3:].encode() in contents] == []


def test_purge_refuses_an_age_too_long_to_count_back() -> None:
    result = CliRunner().invoke(main, ["purge", "--older-than", "99999999999999d", "--database", "sqlite:///x"])
    assert result.exit_code == 2, result.output
    assert "--older-than" in result.output and "too long" in result.output
    assert not isinstance(result.exception, OverflowError)
