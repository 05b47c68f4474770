"""Each request's time for the database: DB_BUDGET_S for all its waits together, then it answers without.

Why: with PostgreSQL hanging (accepting connections, never answering) a webhook must still answer on the
fault policy's path within 2.5 s, the time a caller hears as a pause rather than a dead line; the rest
of the request (the fault path's TwiML, the repair alert) takes well under a second. A healthy turn
needs a few milliseconds of it. The store enforces the deadline (ivr/store/outage.py); once it is
reached the process does not wait on the database again for outage.RETRY_S, so a request waits at most
once, however many reads it makes (the on-call swap cache, then the turn).
"""

from __future__ import annotations

from flask import Flask, g, request

from ivr.store import outage

DB_BUDGET_S = 1.0
# The console's pages read more (lists, counts) and nobody waits on a phone for them; a deadline reached
# there would also make this process answer its calls without the database for a while.
CONSOLE_BUDGET_S = 5.0


def init_app(app: Flask) -> None:
    """Start each request's deadline before anything reads the database; end it with the request."""

    @app.before_request
    def start_budget() -> None:
        console = request.path.startswith("/admin")
        g.ivr_db_budget = outage.set_deadline(CONSOLE_BUDGET_S if console else DB_BUDGET_S)

    @app.teardown_request
    def end_budget(error: BaseException | None) -> None:
        token = g.pop("ivr_db_budget", None)
        if token is not None:
            outage.reset_deadline(token)
