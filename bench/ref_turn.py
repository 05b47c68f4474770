"""One app's in-process WSGI turn over a reference call script, printed as JSON (run by bench/reference.py).

    python bench/ref_turn.py bare|floor|sample|line SCRIPT TURNS SHARED_BENCH_DIR PEER_DIR

The same method for all three apps: each request's WSGI environ (form body,
X-Twilio-Signature for the line's public URL) is built before the clock starts,
and the clock runs over the WSGI callable and reading the body it returns. The
line is built by create_app() from the environment (IVR_DATABASE_URL, ...).
Each step posts to the URL an earlier answer of the same call returned for its path (a Gather or
Dial action, a Number url, with its `?s=` state token), as Twilio does and as the shared
generator's --follow-actions does. With PSYCOPG_IMPL=python the queries libpq sends are counted:
round trips per turn.
"""

from __future__ import annotations

import html
import importlib
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.test import EnvironBuilder

ROOT = Path(os.environ.get("BENCH_ROOT") or Path(__file__).resolve().parent.parent)  # the line's tree
TOKEN = "bench-token"
PUBLIC_URL = "https://line.example"
SENDS = ("exec_", "exec_params", "exec_prepared", "prepare", "describe_prepared", "describe_portal",
         "send_query", "send_query_params", "send_query_prepared", "send_prepare",
         "send_describe_prepared", "send_describe_portal")
trips = [0]
# As the shared generator's --follow-actions (and Twilio): a Gather/Dial action or a Number url of an answer.
URL_ATTRIBUTE = re.compile(rb'(?:action|url)="([^"]*)"')


def count_round_trips() -> None:
    """Count every query libpq sends (one round trip each outside pipeline mode)."""
    from psycopg import pq

    for name in SENDS:
        original = getattr(pq.PGconn, name)

        def counted(self: Any, *args: Any, _original: Callable[..., Any] = original, **kwargs: Any) -> Any:
            trips[0] += 1
            return _original(self, *args, **kwargs)

        setattr(pq.PGconn, name, counted)


def count_sqlite_statements() -> None:
    """Count every statement SQLite runs (BEGIN and COMMIT included), on every connection made from now on."""
    from sqlalchemy import Engine, event

    @event.listens_for(Engine, "connect")
    def trace(dbapi_connection: Any, record: Any) -> None:
        if hasattr(dbapi_connection, "set_trace_callback"):
            dbapi_connection.set_trace_callback(lambda sql: trips.__setitem__(0, trips[0] + 1))


def load_app(which: str, shared: Path, peer: Path) -> Any:
    """The WSGI app: the reference bare app or floor, Twilio's sample, or the line."""
    if which == "line":
        sys.path.insert(0, str(ROOT))
        from ivr import create_app

        return create_app()
    if which == "floor":  # the shared floor, signed for the same public URL, on IVR_DATABASE_URL's database
        database = os.environ.get("IVR_DATABASE_URL", "")
        os.environ.update(FLOOR_TWILIO_AUTH_TOKEN=TOKEN, FLOOR_PUBLIC_URL=PUBLIC_URL,
                          FLOOR_DATABASE=database.replace("sqlite:///", "", 1))
    sys.path.insert(0, str(shared if which in ("bare", "floor") else peer))
    module = {"bare": "bare_app", "floor": "floor_app"}.get(which, "ivr_phone_tree_python")
    return importlib.import_module(module).app


def call_wsgi(app: Any, environ: dict[str, Any]) -> tuple[str, bytes]:
    """Run the WSGI callable and read the whole body."""
    status: list[str] = []
    chunks: Iterable[bytes] = app(environ, lambda s, h, e=None: status.append(s))
    body = b"".join(chunks)
    close = getattr(chunks, "close", None)
    if close:
        close()
    return status[0], body


def turns(app: Any, steps: list[dict[str, Any]], count: int, first_call: int) -> tuple[list[float], int, int]:
    """Seconds per turn over whole calls until count turns; unexpected answers; round trips counted."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(TOKEN)
    times: list[float] = []
    errors = 0
    trips[0] = 0
    call = first_call
    while len(times) < count:
        call += 1
        # The process id in the call's sid and number: the counting run (a second process on the same database)
        # makes new calls from new numbers, instead of replaying the timed run's finished calls (each stored
        # call newer than its token) and being offered their resume.
        run = os.getpid() % 2**32
        sid, caller = f"CA{run:08x}{call:024x}", f"+1555{(call + run * 7919) % 10_000_000:07d}"
        seen: dict[str, str] = {}  # path -> the last URL (with its ?s= token) an answer of this call returned
        for step in steps:
            path = step["path"].replace("{CallSid}", sid).replace("{From}", caller)
            path = seen.get(path.split("?", 1)[0], path)
            form = {k: v.replace("{CallSid}", sid).replace("{From}", caller) for k, v in step["params"].items()}
            headers = [("X-Twilio-Signature", str(validator.compute_signature(PUBLIC_URL + path, form)))]
            environ = EnvironBuilder(path=path, method="POST", data=form, headers=headers).get_environ()
            started = time.perf_counter()
            status, body = call_wsgi(app, environ)
            times.append(time.perf_counter() - started)
            for found in URL_ATTRIBUTE.findall(body):
                url = html.unescape(found.decode())
                if url.startswith("/"):
                    seen[url.split("?", 1)[0]] = url
            if not status.startswith("2") or (step.get("expect") and step["expect"].encode() not in body):
                errors += 1
                if errors <= 3 and os.environ.get("BENCH_SHOW_ERRORS"):
                    print(f"unexpected answer to {path}: {status} {body[:600]!r}", file=sys.stderr)
    return times, errors, trips[0]


def main() -> None:
    """Warm up, time the turns, print one JSON line."""
    which, script, count, shared, peer = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]), \
        Path(sys.argv[5])
    counting = os.environ.get("PSYCOPG_IMPL") == "python"
    if counting:
        count_round_trips()
    statements = bool(os.environ.get("BENCH_COUNT_STATEMENTS"))  # SQLite: statements per turn
    if statements:
        count_sqlite_statements()
    doc = json.loads(script.read_text())
    steps = [{"path": s["path"], "params": {**doc.get("common_params", {}), **s.get("params", {})},
              "expect": s.get("expect")} for s in doc["steps"]]
    app = load_app(which, shared, peer)
    turns(app, steps, 300, first_call=10**6)  # warm-up; the line's Viva calls make an incident (3 reporters)
    profile_to = os.environ.get("BENCH_PROFILE")  # a file for cProfile's stats of the timed turns
    if profile_to:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    times, errors, sent = turns(app, steps, count, first_call=2 * 10**6)
    if profile_to:
        profiler.disable()
        profiler.dump_stats(profile_to)
    database = os.environ.get("IVR_DATABASE_URL", "") if which in ("line", "floor") else ""
    times.sort()
    result: dict[str, Any] = {
        "which": which, "database": "postgresql" if "postgresql" in database else "sqlite" if database else "-",
        "turns": len(times), "errors": errors, "median_ms": statistics.median(times) * 1000,
        "p90_ms": times[int(len(times) * 0.9)] * 1000}
    if counting:
        result["round_trips_per_turn"] = sent / len(times)
    if statements:
        result["statements_per_turn"] = sent / len(times)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
