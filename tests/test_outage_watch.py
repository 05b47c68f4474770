"""The watchdog of PostgreSQL transactions (ivr/store/outage.py): a watch shuts its socket down at its deadline,
a disarmed one never, and every watch of the process shares one thread."""

from __future__ import annotations

import socket
import threading
import time

from ivr.store import outage


def test_armed_watches_fire_at_their_deadline_and_disarmed_ones_never_on_one_thread() -> None:
    pairs = [socket.socketpair() for _ in range(3)]
    for _, peer in pairs:
        peer.settimeout(10)
    try:
        threads = threading.active_count()
        started = time.monotonic()
        late = outage.Watch(pairs[0][0].fileno(), 1.5)
        soon = outage.Watch(pairs[1][0].fileno(), 0.05)  # added later, due first: the thread wakes for it
        done = outage.Watch(pairs[2][0].fileno(), 0.05)
        done.disarm()  # its transaction ended in time
        assert threading.active_count() <= threads + 1
        assert pairs[1][1].recv(1) == b""  # shut down (the peer sees the end of the stream): this waits for it
        assert soon.fired and not done.fired
        assert not late.fired or time.monotonic() - started >= 1.5
        while not late.fired and time.monotonic() - started < 10:
            time.sleep(0.01)
        assert late.fired and time.monotonic() - started >= 1.5 and not done.fired
        pairs[2][1].send(b"x")
        assert pairs[2][0].recv(1) == b"x"  # the disarmed one's socket still works
    finally:
        for one, other in pairs:
            one.close()
            other.close()
