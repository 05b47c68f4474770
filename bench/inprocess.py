"""In-process costs: one webhook turn through the app's WSGI callable, and start-up.

Run by hand (not in CI), from the repository root:

    .venv/bin/python bench/inprocess.py                 # both measurements
    .venv/bin/python bench/inprocess.py --profile       # and where a turn's time goes (cProfile)
    .venv/bin/python bench/inprocess.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test

Turn: --turns signed webhooks (whole calls: /voice, a system key, every step
to the outcome) on a temporary SQLite file; the median and p90 of each
request's wall time. Each request's WSGI environ (form body, signature header)
is built before the clock starts, as a server would have parsed it, and the
clock runs over the app's WSGI callable and reading the body it returns: the
app's own cost, not the test client's (which costs more than a bare endpoint:
its figure is printed too). A bare Flask endpoint is measured the same way.

Start-up: `create_app()` from the environment in a fresh interpreter (imports,
loading and validating every checklist and setting, opening the store), the
median of --startups runs of the whole subprocess, wall clock.
"""

from __future__ import annotations

import argparse
import cProfile
import html
import io
import json
import os
import pstats
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from werkzeug.test import EnvironBuilder

GATHER_ACTION = re.compile(rb'<Gather action="(/voice/input[^"]*)"')

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = "bench-token"
PUBLIC_URL = "https://ivr.bench.invalid"
LINE_NUMBER = "+46141225000"
TURN_TARGET_MS = 0.5
STARTUP_TARGET_S = 1.5

STARTUP_CODE = """
import json, time
t0 = time.perf_counter()
from ivr import create_app
t1 = time.perf_counter()
app = create_app()
t2 = time.perf_counter()
app.extensions["ivr.store"].dispose()
print(json.dumps({"import_s": t1 - t0, "create_app_s": t2 - t1}))
"""


def turns(app: Any, count: int, seed: int = 1, profile: cProfile.Profile | None = None,
          by_turn: dict[str, list[float]] | None = None) -> list[float]:
    """Seconds per webhook over whole calls, until `count` webhooks were sent (by kind into by_turn)."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(TOKEN)
    rng = random.Random(seed)
    times: list[float] = []

    def post(path: str, form: dict[str, str], turn: str) -> bytes:
        signature = validator.compute_signature(PUBLIC_URL + path, form)
        headers = {"X-Twilio-Signature": signature}
        if profile:
            profile.enable()
        environ = EnvironBuilder(path=path, method="POST", data=form, headers=headers).get_environ()
        started = time.perf_counter()
        status, body = call_wsgi(app, environ)
        times.append(time.perf_counter() - started)
        if by_turn is not None:
            by_turn.setdefault(turn, []).append(times[-1])
        if profile:
            profile.disable()
        if not status.startswith("200") or b"tekniskt fel" in body:
            raise SystemExit(f"{path} {form}: HTTP {status}\n{body[:500]!r}")
        return body

    while len(times) < count:
        form = {"CallSid": f"CA{rng.getrandbits(128):032x}", "AccountSid": "AC" + "0" * 32,
                "From": f"+467017406{rng.randrange(100):02d}", "To": LINE_NUMBER, "CallStatus": "in-progress"}
        body = post("/voice", form, "call")
        keys, turn = "123456789", "menu key"
        for _ in range(20):
            found = GATHER_ACTION.search(body)
            if found is None or len(times) >= count:
                break
            # The key goes to the Gather's action as Twilio would request it, with the state it carries.
            body = post(html.unescape(found.group(1).decode()), {**form, "Digits": rng.choice(keys)}, turn)
            keys, turn = "12", "step key"
    return times


def call_wsgi(app: Any, environ: dict[str, Any]) -> tuple[str, bytes]:
    """Run one request through a WSGI callable, as a server would: status line and body."""
    statuses: list[str] = []
    chunks = app(environ, lambda status, headers, exc_info=None: statuses.append(status))
    try:
        body = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    return statuses[0], body


def bare_turns(count: int, through_test_client: bool = False) -> list[float]:
    """A bare endpoint answering a fixed TwiML, measured like the line (or through the test client)."""
    from bench.bare_app import app

    client = app.test_client()
    form = {"CallSid": "CA" + "0" * 32, "From": "+46701740600", "To": LINE_NUMBER, "Digits": "1"}
    times = []
    for _ in range(count):
        environ = EnvironBuilder(path="/voice/input", method="POST", data=form).get_environ()
        started = time.perf_counter()
        if through_test_client:
            client.post("/voice/input", data=form)
        else:
            call_wsgi(app, environ)
        times.append(time.perf_counter() - started)
    return times


def compiled(root: Path, env: dict[str, str]) -> dict[str, str]:
    """The tree's bytecode written, and env without PYTHONDONTWRITEBYTECODE: start-up as installed.

    pip compiles an installed wheel, and the libraries' bytecode is in the venv; a tree run with
    PYTHONDONTWRITEBYTECODE=1 (set on the team's machines) recompiled its ~140 modules at every start,
    0.15-0.25 s that a deployed line never pays (measured December 2026), and the libraries it is
    compared with never paid.
    """
    subprocess.run([sys.executable, "-m", "compileall", "-q", "ivr", "flows"], cwd=root, check=True)
    return {key: value for key, value in env.items() if key != "PYTHONDONTWRITEBYTECODE"}


def startup(database: str, runs: int) -> tuple[list[float], list[dict[str, float]]]:
    """Wall seconds of each fresh interpreter running create_app(), and its own split."""
    env = compiled(ROOT, {**os.environ, "TWILIO_AUTH_TOKEN": TOKEN, "IVR_DATABASE_URL": database,
                          "IVR_PSEUDONYM_KEY": "bench-pseudonym-key", "IVR_PUBLIC_URL": PUBLIC_URL})
    env.pop("TWILIO_ACCOUNT_SID", None)
    walls, splits = [], []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", STARTUP_CODE], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=60, check=False)
        walls.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"create_app() failed:\n{done.stderr[-3000:]}")
        splits.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return walls, splits


def ms(values: list[float], fraction: float = 0.5) -> float:
    ordered = sorted(values)
    return ordered[int(fraction * (len(ordered) - 1))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--startups", type=int, default=5)
    parser.add_argument("--database", default=None, help="database URL (default: SQLite in a temporary folder)")
    parser.add_argument("--profile", action="store_true", help="cProfile the turns and print the top functions")
    parser.add_argument("--what-if", default="", help="comma-separated settings from bench/whatif.py")
    args = parser.parse_args()

    from bench.whatif import apply
    from ivr import create_app
    from ivr.notify import LogNotifier

    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average "
          f"{Path('/proc/loadavg').read_text().split()[0]}{'; what-if: ' + args.what_if if args.what_if else ''}")
    with tempfile.TemporaryDirectory(prefix="ivr-bench-") as tmp:
        database = args.database or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app = create_app({"TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_URL": PUBLIC_URL, "DATABASE_URL": database,
                          "NOTIFIER": LogNotifier()})
        apply(app, [name for name in args.what_if.split(",") if name])
        try:
            turns(app, 200, seed=99)  # warm-up: caches, the connection pool
            profile = cProfile.Profile() if args.profile else None
            by_turn: dict[str, list[float]] = {}
            times = turns(app, args.turns, profile=profile, by_turn=by_turn)
        finally:
            app.extensions["ivr.store"].dispose()
        bare = bare_turns(args.turns)
        bare_client = bare_turns(args.turns, through_test_client=True)
        walls, splits = startup(database, args.startups)

    turn_ms = ms(times)
    print(f"\nwebhook turn ({len(times)} turns, {'PostgreSQL' if database.startswith('postgresql') else 'SQLite'}): "
          f"median {turn_ms:.3f} ms, p90 {ms(times, 0.9):.3f} ms, mean {statistics.mean(times) * 1000:.3f} ms")
    print("  by turn: " + "; ".join(f"{turn} median {ms(values):.3f} ms ({len(values)})"
                                    for turn, values in by_turn.items()))
    print(f"bare endpoint, measured the same way: median {ms(bare):.3f} ms "
          f"(through Flask's test client instead: {ms(bare_client):.3f} ms)")
    print(f"target turn <= {TURN_TARGET_MS} ms: {'met' if turn_ms <= TURN_TARGET_MS else 'MISSED'}")
    startup_s = statistics.median(walls)
    print(f"\nstart-up, fresh interpreter running create_app() (median of {len(walls)}): {startup_s:.3f} s "
          f"(runs: {', '.join(f'{w:.2f}' for w in walls)})")
    print(f"  of which imports {statistics.median(s['import_s'] for s in splits):.3f} s, "
          f"create_app {statistics.median(s['create_app_s'] for s in splits):.3f} s")
    print(f"target start-up <= {STARTUP_TARGET_S} s: {'met' if startup_s <= STARTUP_TARGET_S else 'MISSED'}")
    if profile is not None:
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(order).print_stats(30)
            print(f"\n--- profile of {len(times)} turns, by {order} ---")
            print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:8000])


if __name__ == "__main__":
    main()
