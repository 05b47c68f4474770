"""The SQLite writer lock: one writer at a time across processes, forked workers included."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from ivr.store.sqlite_lock import WriteLock

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork (gunicorn's workers are forked)")


def child_can_take(lock: WriteLock) -> bool:
    """Fork; in the child, try the lock without waiting. True if the child could take it."""
    pid = os.fork()
    if pid == 0:  # the child: report through the exit code only
        code = 3
        try:
            fd = lock._file()
            assert fd is not None
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            code = 0
        except BlockingIOError:
            code = 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) in (0, 1), status
    return os.WEXITSTATUS(status) == 0


def test_a_forked_worker_waits_for_the_parents_lock(tmp_path: Path) -> None:
    lock = WriteLock(str(tmp_path / "db.writer-lock"))
    with lock.held():
        # An inherited descriptor would share the parent's lock and "take" it at once.
        assert not child_can_take(lock)
    assert child_can_take(lock)
