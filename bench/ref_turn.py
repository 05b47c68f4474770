"""One app's in-process WSGI turn over a reference call script, printed as JSON (run by bench/reference.py).

    python bench/ref_turn.py bare|sample|line SCRIPT TURNS SHARED_BENCH_DIR PEER_DIR

The same method for all three apps: each request's WSGI environ (form body,
X-Twilio-Signature for the line's public URL) is built before the clock starts,
and the clock runs over the WSGI callable and reading the body it returns. The
line is built by create_app() from the environment (IVR_DATABASE_URL, ...).
With PSYCOPG_IMPL=python the queries libpq sends are counted: round trips per turn.
"""

from __future__ import annotations

import importlib
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.test import EnvironBuilder

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"
PUBLIC_URL = "https://line.example"
SENDS = ("exec_", "exec_params", "exec_prepared", "prepare", "describe_prepared", "describe_portal",
         "send_query", "send_query_params", "send_query_prepared", "send_prepare",
         "send_describe_prepared", "send_describe_portal")
trips = [0]


def count_round_trips() -> None:
    """Count every query libpq sends (one round trip each outside pipeline mode)."""
    from psycopg import pq

    for name in SENDS:
        original = getattr(pq.PGconn, name)

        def counted(self: Any, *args: Any, _original: Callable[..., Any] = original, **kwargs: Any) -> Any:
            trips[0] += 1
            return _original(self, *args, **kwargs)

        setattr(pq.PGconn, name, counted)


def load_app(which: str, shared: Path, peer: Path) -> Any:
    """The WSGI app: the reference bare app, Twilio's sample, or the line."""
    if which == "line":
        sys.path.insert(0, str(ROOT))
        from ivr import create_app

        return create_app()
    sys.path.insert(0, str(shared if which == "bare" else peer))
    return importlib.import_module("bare_app" if which == "bare" else "ivr_phone_tree_python").app


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
        sid, caller = f"CA{call:032x}", f"+1555{call % 10_000_000:07d}"
        for step in steps:
            path = step["path"].replace("{CallSid}", sid).replace("{From}", caller)
            form = {k: v.replace("{CallSid}", sid).replace("{From}", caller) for k, v in step["params"].items()}
            headers = [("X-Twilio-Signature", str(validator.compute_signature(PUBLIC_URL + path, form)))]
            environ = EnvironBuilder(path=path, method="POST", data=form, headers=headers).get_environ()
            started = time.perf_counter()
            status, body = call_wsgi(app, environ)
            times.append(time.perf_counter() - started)
            if not status.startswith("2") or (step.get("expect") and step["expect"].encode() not in body):
                errors += 1
    return times, errors, trips[0]


def main() -> None:
    """Warm up, time the turns, print one JSON line."""
    which, script, count, shared, peer = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]), \
        Path(sys.argv[5])
    counting = os.environ.get("PSYCOPG_IMPL") == "python"
    if counting:
        count_round_trips()
    doc = json.loads(script.read_text())
    steps = [{"path": s["path"], "params": {**doc.get("common_params", {}), **s.get("params", {})},
              "expect": s.get("expect")} for s in doc["steps"]]
    app = load_app(which, shared, peer)
    turns(app, steps, 300, first_call=10**6)  # warm-up; the line's Viva calls make an incident (3 reporters)
    times, errors, sent = turns(app, steps, count, first_call=2 * 10**6)
    database = os.environ.get("IVR_DATABASE_URL", "") if which == "line" else ""
    times.sort()
    result: dict[str, Any] = {
        "which": which, "database": "postgresql" if "postgresql" in database else "sqlite" if database else "-",
        "turns": len(times), "errors": errors, "median_ms": statistics.median(times) * 1000,
        "p90_ms": times[int(len(times) * 0.9)] * 1000}
    if counting:
        result["round_trips_per_turn"] = sent / len(times)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
