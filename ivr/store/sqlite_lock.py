"""SQLite writers take turns on a blocking lock instead of polling SQLite's busy handler.

A writer that finds the database locked is put to sleep by SQLite and retried
after 1, 2, 5, 10 ... up to 100 ms: with two workers that sleep was most of the
p99 latency (bench/README.md). A lock file held with flock(2) wakes the next
writer as soon as the first is done. flock excludes per open file, so each
process opens the file once (again after a fork) and a thread lock lines up the
threads inside it. SQLite's own locking still guards the data: this only
decides who waits how.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

try:
    import fcntl
except ImportError:  # not on Windows: threads still take turns, processes fall back to SQLite's busy handler
    fcntl = None  # type: ignore[assignment]


class WriteLock:
    """One writer at a time across this machine's processes and threads."""

    def __init__(self, path: str | None) -> None:
        """path: the lock file (created on first use); None for threads of this process only."""
        self.path = path
        self._threads = threading.Lock()
        self._fd: int | None = None
        _LOCKS.add(self)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Wait for and hold the lock."""
        with self._threads:
            fd = self._file()
            if fd is None:
                yield
                return
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _file(self) -> int | None:
        """This process's own descriptor of the lock file; None when there is none to use."""
        if self.path is None or fcntl is None:
            return None
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError:
                self.path = None  # a read-only folder: SQLite's busy handler still keeps writers apart
                return None
        return self._fd

    def _forked(self) -> None:
        """In a forked child: the inherited descriptor shares the parent's lock, so open our own."""
        if self._fd is not None:
            # flock's lock belongs to the open file, which the parent still holds open: closing
            # the child's copy neither releases nor takes anything.
            os.close(self._fd)
            self._fd = None
        self._threads = threading.Lock()  # a thread of the parent may have held it at the fork


# Every lock, so a forked worker (gunicorn's) can give each its own descriptor.
_LOCKS: weakref.WeakSet[WriteLock] = weakref.WeakSet()


def _after_fork() -> None:
    for lock in list(_LOCKS):
        lock._forked()


os.register_at_fork(after_in_child=_after_fork)
