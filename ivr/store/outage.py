"""A PostgreSQL that hangs: a client-side deadline on every wait, and each process's memory that it is down.

Why: the worst database fault for a phone line is not a refused connection but a server (or its host, or
a proxy before it) that accepts TCP and never answers. libpq's connect_timeout is at least 2 s,
statement_timeout is enforced by the very server that does not answer, and TCP keepalives or
tcp_user_timeout see nothing wrong while the server's kernel still acknowledges. Each webhook then waited
for the connect timeout, twice (the on-call swap cache, then the turn), while the caller heard silence.

So, on PostgreSQL:
- the web sets a deadline for each request (ivr/operations/db_budget.py); outside a request (the commands,
  migrations) there is none and libpq's connect_timeout applies;
- a new connection is opened in a helper thread that the request stops waiting for at the deadline (the
  thread ends at libpq's connect_timeout and closes what it got too late);
- a transaction on an open connection is watched (one watchdog thread a process) and its socket shut down
  at the deadline: the driver's blocked read then fails at once, as for a dropped connection, which is
  discarded;
- after a timeout or a failed connect the process remembers the database as down: every transaction
  fails at once (the fault policy's path, no wait) until RETRY_S has passed; then one is let through
  to try again (the probe, under the same deadline).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import TypeVar

log = logging.getLogger(__name__)

RETRY_S = 3.0  # a process known to be without its database tries again this often (one request waits)

T = TypeVar("T")
_deadline: ContextVar[float | None] = ContextVar("ivr_db_deadline", default=None)


class DatabaseDown(Exception):
    """Not tried, or given up: this process found the database not answering, or it did not answer in time."""


class NoTimeLeft(DatabaseDown):
    """The request's deadline passed before this wait began (the database is not blamed for it)."""


def set_deadline(seconds: float) -> Token[float | None]:
    """From now on, database waits in this context end `seconds` from now (reset with reset_deadline)."""
    return _deadline.set(time.monotonic() + seconds)


def reset_deadline(token: Token[float | None]) -> None:
    """Back to the deadline before set_deadline (none, outside a request)."""
    _deadline.reset(token)


def remaining() -> float | None:
    """Seconds left before this context's deadline (None: no deadline); DatabaseDown when it has passed."""
    deadline = _deadline.get()
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise NoTimeLeft("no time left for the database in this request")
    return left


class Outage:
    """One process's memory that its database does not answer (shared by its threads)."""

    def __init__(self, retry_s: float = RETRY_S, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.retry_s = retry_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._since: float | None = None  # when it was found down; None: believed up
        self._next_try = 0.0
        self.reason = ""

    @property
    def down(self) -> bool:
        """True while the database is believed down."""
        return self._since is not None

    def admit(self) -> None:
        """Before a transaction: DatabaseDown at once while believed down, except one try per retry_s."""
        with self._lock:
            if self._since is None:
                return
            now = self._monotonic()
            if now < self._next_try:
                raise DatabaseDown(f"database not answering ({self.reason}); not tried again for "
                                   f"{self._next_try - now:.1f} s")
            self._next_try = now + self.retry_s  # this one tries; the others meanwhile do not wait

    def failed(self, reason: str) -> None:
        """The database did not answer in time, or refused a connection: do not wait on it for a while."""
        with self._lock:
            if self._since is None:
                self._since = self._monotonic()
                log.error("database not answering (%s): each process answers without it and tries again every "
                          "%.0f s", reason, self.retry_s)
            self._next_try = self._monotonic() + self.retry_s
            self.reason = reason

    def answered(self) -> None:
        """A transaction went through: the database is back."""
        if self._since is None:
            return
        with self._lock:
            if self._since is not None:
                log.warning("database answering again after %.0f s", self._monotonic() - self._since)
            self._since = None


def connect_within(connect: Callable[[], T], close: Callable[[T], None]) -> T:
    """connect(), waited for until this context's deadline (without one: as long as it takes).

    The helper thread cannot be stopped: it ends at libpq's connect_timeout, and closes a connection
    that arrives after the request gave up on it.
    """
    seconds = remaining()
    if seconds is None:
        return connect()
    result: list[T] = []
    error: list[BaseException] = []
    lock = threading.Lock()
    abandoned = False

    def run() -> None:
        try:
            made = connect()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            error.append(exc)
            return
        with lock:
            if not abandoned:
                result.append(made)
                return
        try:
            close(made)
        except Exception:  # noqa: BLE001 - a late connection nobody uses
            log.debug("closing a late database connection failed", exc_info=True)

    helper = threading.Thread(target=run, name="ivr-db-connect", daemon=True)
    helper.start()
    helper.join(seconds)
    with lock:
        if result:
            return result[0]
        if error:
            raise error[0]
        abandoned = True
    raise DatabaseDown(f"no connection within {seconds:.1f} s")


class Watch:
    """A deadline on one transaction's connection: at it, the watchdog shuts the socket down."""

    def __init__(self, fileno: int, seconds: float) -> None:
        self.fired = False
        self._fileno = fileno
        self._lock = threading.Lock()
        self._armed = True
        self.due = time.monotonic() + seconds
        _watchdog.add(self)

    def _fire(self) -> None:
        with self._lock:
            if not self._armed:
                return
            self.fired = True
            try:
                # shutdown() acts on the connection, not the descriptor: done through a duplicate, it
                # wakes the driver's wait on the original (which stays the driver's to close).
                with socket.socket(fileno=os.dup(self._fileno)) as sock:
                    sock.shutdown(socket.SHUT_RDWR)
            except OSError as exc:
                log.debug("shutting down a late database connection failed: %s", exc)

    def disarm(self) -> None:
        """The transaction ended (its connection back in the pool): the watchdog must not touch it any more."""
        with self._lock:
            self._armed = False


class _Watchdog:
    """One daemon thread per process that fires the watches whose deadline has passed, earliest first.

    Why not a threading.Timer per watch, as before (measured, bench/README.md, December 2026): starting
    a thread for every PostgreSQL transaction of a request was 4.4 % of a turn in cProfile
    (bench/ref_turn.py, PostgreSQL). A watch is now a push on a heap; a disarmed one is dropped when it
    comes first.
    """

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # the parent's thread (and maybe its lock) stay there

    def _reset(self) -> None:
        self._wake = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, Watch]] = []
        self._order = itertools.count()  # ties in time are never settled by comparing watches
        self._running = False

    def add(self, watch: Watch) -> None:
        with self._wake:
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, args=(self._wake, self._heap), name="ivr-db-watchdog",
                                 daemon=True).start()
            heapq.heappush(self._heap, (watch.due, next(self._order), watch))
            if self._heap[0][2] is watch:
                self._wake.notify()  # the thread sleeps until a later deadline

    @staticmethod
    def _run(wake: threading.Condition, heap: list[tuple[float, int, Watch]]) -> None:
        while True:
            with wake:
                while heap and not heap[0][2]._armed:
                    heapq.heappop(heap)
                if not heap:
                    wake.wait()
                    continue
                left = heap[0][0] - time.monotonic()
                if left > 0:
                    wake.wait(left)
                    continue
                due = heapq.heappop(heap)[2]
            due._fire()


_watchdog = _Watchdog()


@contextmanager
def watched(fileno: Callable[[], int]) -> Iterator[Watch | None]:
    """A Watch until this context's deadline for the block (None without a deadline)."""
    seconds = remaining()
    if seconds is None:
        yield None
        return
    watch = Watch(fileno(), seconds)
    try:
        yield watch
    finally:
        watch.disarm()
