"""Tests for incident runs: when a run of reports began, and the memo that spares re-reading it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flows.incidents import IncidentRuns, incident_start

T0 = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=30)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_run_starts_after_the_last_gap_of_a_window() -> None:
    assert incident_start([at(0), at(40), at(60), at(80)], WINDOW) == at(40)
    assert incident_start([at(80), at(0), at(60)], WINDOW) == at(60)  # order does not matter
    assert incident_start([at(5)], WINDOW) == at(5)
    assert incident_start([at(0), at(30)], WINDOW) == at(30)  # a gap of exactly a window splits


def test_a_read_run_is_known_while_reports_keep_within_a_window() -> None:
    runs = IncidentRuns()
    assert runs.start("viva", at(50), WINDOW) is None
    assert runs.read("viva", [at(0), at(40), at(50)], at(55), WINDOW) == at(40)
    assert runs.start("viva", at(70), WINDOW) == at(40)
    assert runs.start("viva", at(79), WINDOW) == at(40)
    assert runs.start("viva", at(80), WINDOW) is None  # a window after the last report read: read again
    assert runs.start("npo", at(70), WINDOW) is None  # per system


def test_memo_ignores_a_clock_before_the_run() -> None:
    runs = IncidentRuns()
    runs.read("viva", [at(40), at(50)], at(55), WINDOW)
    assert runs.start("viva", at(45), WINDOW) is None


def test_only_committed_reports_are_remembered() -> None:
    runs = IncidentRuns()
    # The turn's own report (now) may still roll back: with nothing committed, nothing is kept.
    assert runs.read("viva", [], at(10), WINDOW) == at(10)
    assert runs.start("viva", at(20), WINDOW) is None
    # The run is remembered up to its last committed report, not up to this turn's.
    runs.read("viva", [at(0)], at(25), WINDOW)
    assert runs.start("viva", at(29), WINDOW) == at(0)
    assert runs.start("viva", at(31), WINDOW) is None
