"""Load test: whole calls as signed webhooks against `gunicorn -w 2 'ivr:create_app()'` on loopback.

Run by hand (not in CI), from the repository root with the project's venv:

    .venv/bin/python bench/load.py                       # SQLite in a temporary folder
    .venv/bin/python bench/load.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/load.py --think-ms 1000       # callers who listen between keys

It starts two servers on free 127.0.0.1 ports, each gunicorn with 2 sync
workers: the line (`ivr:create_app()`) and a bare Flask endpoint answering a
fixed TwiML (bench/bare_app.py, the reference bare app's work). Each of --concurrency threads plays calls, one
after another, over its own http.client connection: POST /voice, a system key,
a key for every step until the outcome (random yes/no), each request signed
like Twilio's. The bare server gets the same requests (calls of 5 turns).
Prints req/s, p50/p99 latency, the ratio of the line's req/s to the bare
endpoint's, and each worker's resident memory. Bounded: --duration seconds and
--max-requests per server, loopback only; the servers are stopped at the end.

With --think-ms 0 (the default) every thread sends its next request as soon as
the answer arrives: that measures throughput at saturation, where latency is
queueing (Little's law: p50 ~ concurrency / req/s). A real call waits seconds
between webhooks (the caller listens); --think-ms gives that (each pause drawn
from 0.5-1.5 times it, and the callers' starts spread over one pause).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"
LINE_NUMBER = "+46141225000"
START_DEADLINE_S = 30.0
TIMEOUT_S = 15.0  # Twilio's own webhook timeout
MAX_TURNS = 20  # requests per call before the caller gives up (a loop in the TwiML)
BARE_TURNS = 5  # the bare endpoint never ends a call: this many requests make one


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Gunicorn:
    """A gunicorn server in its own process group on a loopback port."""

    def __init__(self, name: str, app: str, workers: int, env: dict[str, str], log: Path) -> None:
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**os.environ, **env}
        env.pop("TWILIO_ACCOUNT_SID", None)  # nothing may ever reach Twilio from a benchmark
        env["IVR_PUBLIC_URL"] = self.base
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
                 "--log-level", "warning", app],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        self.wait_ready(workers)

    def wait_ready(self, workers: int) -> None:
        deadline = time.monotonic() + START_DEADLINE_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name}: gunicorn exited:\n{self.log.read_text()[-3000:]}")
            if len(self.workers()) == workers:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                    conn.request("GET", "/healthz")
                    ok = conn.getresponse().status == 200
                    conn.close()
                    if ok:
                        return
                except OSError:
                    pass
            time.sleep(0.1)
        self.stop()
        raise SystemExit(f"{self.name}: not ready within {START_DEADLINE_S} s:\n{self.log.read_text()[-3000:]}")

    def workers(self) -> list[int]:
        """The worker processes' pids (the master's children)."""
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def memory(self) -> list[tuple[int, int, int]]:
        """(pid, VmRSS kB, VmHWM kB) of each worker."""
        found = []
        for pid in self.workers():
            fields: dict[str, int] = {}
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    key, _, rest = line.partition(":")
                    if key in ("VmRSS", "VmHWM"):
                        fields[key] = int(rest.split()[0])
            except OSError:
                continue
            found.append((pid, fields.get("VmRSS", 0), fields.get("VmHWM", 0)))
        return found

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of the workers so far."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in self.workers():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        return total

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


@dataclass
class Tally:
    """One thread's results."""

    latencies: list[float] = field(default_factory=list)
    by_turn: dict[str, list[float]] = field(default_factory=dict)  # "call", "menu key", "step key"
    errors: int = 0
    fallbacks: int = 0  # answered with the "technical error" TwiML: the app's error handler ran
    calls: int = 0
    first_error: str = ""


class Caller(threading.Thread):
    """Plays calls one after another until the deadline or the shared request budget runs out."""

    def __init__(self, base: str, bare: bool, stop_at: float, budget: Budget, think_s: float, seed: int) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.port = int(base.rsplit(":", 1)[1])
        self.bare = bare
        self.stop_at = stop_at
        self.budget = budget
        self.think_s = think_s
        self.rng = random.Random(seed)
        self.validator = RequestValidator(TOKEN)
        self.tally = Tally()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT_S)

    def run(self) -> None:
        try:
            if self.think_s:  # callers do not all start, or press keys, in step
                time.sleep(self.rng.uniform(0, self.think_s))
            while self.alive():
                self.call()
        finally:
            self.conn.close()

    def alive(self) -> bool:
        return time.monotonic() < self.stop_at and self.budget.take()

    def call(self) -> None:
        sid = f"CA{self.rng.getrandbits(128):032x}"
        caller = f"+467017406{self.rng.randrange(100):02d}"  # PTS' range for fiction
        form = {"CallSid": sid, "AccountSid": "AC" + "0" * 32, "From": caller, "To": LINE_NUMBER,
                "CallStatus": "in-progress", "Direction": "inbound"}
        body = self.post("/voice", form, "call")
        turns = 1
        keys = "123456789"  # the menu first, then yes/no
        while body is not None and turns < (BARE_TURNS if self.bare else MAX_TURNS):
            # The action URL now ends in ?s=<state token>; posting to plain /voice/input still works
            # (the state is in the database too). Matching the old closing quote ended every call here.
            if not self.bare and b'action="/voice/input' not in body:
                break  # the outcome: a <Dial> or a <Hangup>
            if self.think_s:
                time.sleep(self.rng.uniform(0.5, 1.5) * self.think_s)
            if not self.alive():
                return
            body = self.post("/voice/input", {**form, "Digits": self.rng.choice(keys)},
                             "menu key" if turns == 1 else "step key")
            keys = "12"
            turns += 1
        self.tally.calls += 1

    def post(self, path: str, form: dict[str, str], turn: str) -> bytes | None:
        signature = self.validator.compute_signature(self.base + path, form)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
        started = time.perf_counter()
        try:
            self.conn.request("POST", path, body=urlencode(form), headers=headers)
            response = self.conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.error(f"{path}: {type(exc).__name__}: {exc}")
            return None
        self.tally.latencies.append(time.perf_counter() - started)
        self.tally.by_turn.setdefault(turn, []).append(self.tally.latencies[-1])
        if response.status != 200:
            self.error(f"{path}: HTTP {response.status}: {body[:200]!r}")
            return None
        if b"tekniskt fel" in body:
            self.tally.fallbacks += 1
        return body

    def error(self, text: str) -> None:
        self.tally.errors += 1
        self.tally.first_error = self.tally.first_error or text


class Budget:
    """A request budget shared by all threads (each call's first request takes one; so does each turn)."""

    def __init__(self, limit: int) -> None:
        self.left = limit
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True


@dataclass
class Result:
    name: str
    seconds: float
    requests: int
    calls: int
    errors: int
    fallbacks: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    first_error: str
    by_turn: dict[str, list[float]]
    server_cpu: float  # CPU seconds of the workers during the run
    client_cpu: float  # ... of this load generator


    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def load_average() -> str:
    """The 1-minute load average: other work on the machine skews every figure."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def drive(name: str, server: Gunicorn, bare: bool, concurrency: int, seconds: float, max_requests: int,
          think_s: float, seed: int) -> Result:
    """Run the callers against one server; a short warm-up first, not counted."""
    warm = [Caller(server.base, bare, time.monotonic() + 1.0, Budget(2000), 0.0, seed + i) for i in range(8)]
    for thread in warm:
        thread.start()
    for thread in warm:
        thread.join()
    budget = Budget(max_requests)
    server_cpu, client_cpu = server.cpu_seconds(), sum(os.times()[:2])
    started = time.monotonic()
    callers = [Caller(server.base, bare, started + seconds, budget, think_s, seed + 100 + i)
               for i in range(concurrency)]
    for thread in callers:
        thread.start()
    for thread in callers:
        thread.join(timeout=seconds + TIMEOUT_S + 5)
    elapsed = time.monotonic() - started
    server_cpu, client_cpu = server.cpu_seconds() - server_cpu, sum(os.times()[:2]) - client_cpu
    latencies = [value for thread in callers for value in thread.tally.latencies]
    errors = [thread.tally.first_error for thread in callers if thread.tally.first_error]
    return Result(
        name=name, seconds=elapsed, requests=len(latencies), calls=sum(t.tally.calls for t in callers),
        errors=sum(t.tally.errors for t in callers), fallbacks=sum(t.tally.fallbacks for t in callers),
        p50_ms=percentile(latencies, 0.50) * 1000, p99_ms=percentile(latencies, 0.99) * 1000,
        max_ms=max(latencies, default=float("nan")) * 1000, first_error=errors[0] if errors else "",
        server_cpu=server_cpu, client_cpu=client_cpu,
        by_turn={turn: [v for t in callers for v in t.tally.by_turn.get(turn, [])]
                 for turn in ("call", "menu key", "step key")},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent calls (threads)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of load per server")
    parser.add_argument("--max-requests", type=int, default=200_000, help="request budget per server")
    parser.add_argument("--think-ms", type=float, default=0.0, help="mean pause between a call's webhooks")
    parser.add_argument("--database", default=None, help="database URL (default: SQLite in a temporary folder)")
    parser.add_argument("--what-if", default="", help="comma-separated settings from bench/whatif.py")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    line_app = "bench.whatif:create_app()" if args.what_if else "ivr:create_app()"

    with tempfile.TemporaryDirectory(prefix="ivr-bench-") as tmp:
        database = args.database or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        env = {"TWILIO_AUTH_TOKEN": TOKEN, "IVR_DATABASE_URL": database,
               "IVR_PSEUDONYM_KEY": "bench-pseudonym-key", "BENCH_WHAT_IF": args.what_if}
        print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average {load_average()}; "
              f"database: {'PostgreSQL' if database.startswith('postgresql') else 'SQLite (temporary file)'}"
              f"{'; what-if: ' + args.what_if if args.what_if else ''}")
        print(f"load: {args.concurrency} concurrent calls, {args.workers} workers per server, "
              f"{args.duration:g} s per server, think time {args.think_ms:g} ms")
        results: list[Result] = []
        memory: dict[str, list[tuple[int, int, int]]] = {}
        for name, app, bare in (("bare", "bench.bare_app:app", True), ("line", line_app, False)):
            server = Gunicorn(name, app, args.workers, env, Path(tmp) / f"{name}.log")
            try:
                results.append(drive(name, server, bare, args.concurrency, args.duration, args.max_requests,
                                     args.think_ms / 1000, args.seed))
                memory[name] = server.memory()
            finally:
                server.stop()
            log = (Path(tmp) / f"{name}.log").read_text(errors="replace").strip()
            if log:
                print(f"--- {name} server log (last lines) ---\n" + "\n".join(log.splitlines()[-10:]))

    print()
    print(f"{'server':<6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'requests':>9} {'calls':>7} "
          f"{'errors':>7} {'fallback':>8} {'worker CPU':>11} {'CPU ms/req':>10} {'client CPU':>10}")
    for r in results:
        print(f"{r.name:<6} {r.rate:8.0f} {r.p50_ms:8.1f} {r.p99_ms:8.1f} {r.max_ms:8.1f} {r.requests:9d} "
              f"{r.calls:7d} {r.errors:7d} {r.fallbacks:8d} {r.server_cpu / r.seconds * 100:10.0f}% "
              f"{r.server_cpu / max(r.requests, 1) * 1000:10.2f} {r.client_cpu / r.seconds * 100:9.0f}%")
        if r.first_error:
            print(f"       first error: {r.first_error}")
    bare, line = results
    print("line by turn: " + "; ".join(
        f"{turn} p50 {percentile(values, 0.5) * 1000:.1f} / p99 {percentile(values, 0.99) * 1000:.1f} ms "
        f"({len(values)})" for turn, values in line.by_turn.items()))
    ratio = line.rate / bare.rate if bare.rate else float("nan")
    print(f"\nratio line/bare req/s: {ratio:.2f}")
    for name, workers in memory.items():
        shown = ", ".join(f"pid {pid}: RSS {rss / 1024:.1f} MiB (peak {hwm / 1024:.1f})" for pid, rss, hwm in workers)
        print(f"{name} workers: {shown}")
    print(f"load average after the run: {load_average()}")
    line_ok = line.errors == 0 and line.fallbacks == 0
    print(f"\ntargets: ratio >= 0.6: {'met' if ratio >= 0.6 else 'MISSED'} ({ratio:.2f}); "
          f"p99 <= 60 ms: {'met' if line.p99_ms <= 60 else 'MISSED'} ({line.p99_ms:.1f} ms); "
          f"errors: {'none' if line_ok else f'{line.errors} errors, {line.fallbacks} fallback answers'}")


if __name__ == "__main__":
    main()
