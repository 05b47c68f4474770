"""The reference bench in one run: bare Flask, Twilio's sample and the line, rounds interleaved.

Run by hand (not in CI), from the repository root with the project's venv, with
the shared bench beside the checkout (../shared/bench) and Twilio's sample
exported outside it:

    .venv/bin/python bench/reference.py --prepare-peer /work/.mirror/TwilioDevEd+ivr-phone-tree-python/repo  # once
    .venv/bin/python bench/reference.py --rounds 5 --postgres postgresql+psycopg://postgres@127.0.0.1:5432

What ../shared/bench/README.md prescribes: its generator (webhook_load.py, run
from ../shared, never copied), its bare ceiling (bare_app.py) and its call
scripts for bare and peer; for the line bench/project_viva.json (a copy of the
reference script). Every server is `gunicorn -w 2 -k sync` on 127.0.0.1; the
line on SQLite in a temporary folder and, with --postgres, on a database this
script creates and drops (ivr_bench_<pid>). Each round runs every server at
saturation and then with callers pausing ~1 s (think_ms 1000 on every step),
in the order bare, peer, line(s). Per run: req/s, p99, errors, server CPU per
request (gunicorn master + workers, /proc), PostgreSQL backends' CPU per
request and transactions per request (pg_stat_database), the load average and
the CPU the rest of the machine used meanwhile. Then: RSS per worker, start-up
of create_app() in a fresh interpreter, and one in-process WSGI turn of each app
measured the same way (with PostgreSQL round trips per turn counted at libpq).
Bounded: --duration per run, servers and the database removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inprocess import STARTUP_CODE, compiled  # one start-up measurement for both benches (bench/ is on sys.path)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench"
PEER_COMMIT = "a6f5844"
TOKEN = "bench-token"
PUBLIC_URL = "https://line.example"
TICKS = os.sysconf("SC_CLK_TCK")
START_DEADLINE_S = 60.0


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proc_cpu(pid: int) -> float:
    """utime + stime of one process in seconds (0 if gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def machine_busy() -> float:
    """Busy CPU seconds of the whole machine so far (all cores, /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / TICKS  # minus idle and iowait


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def postgres_pids(database: str) -> list[int]:
    """Backends connected to this database (their title names it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres: ") and f" {database} " in title:
            found.append(int(entry.name))
    return found


class Server:
    """`gunicorn -w N -k sync` on a loopback port, in its own process group."""

    def __init__(self, name: str, app: str, chdir: Path, env: dict[str, str], workers: int, log: Path) -> None:
        self.name, self.port = name, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = {**os.environ, **env}
        full_env.pop("TWILIO_ACCOUNT_SID", None)  # nothing may reach Twilio from a bench
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{self.port}",
                 "--chdir", str(chdir), "--log-level", "warning", app],
                # cwd: `python -m` puts its working directory first on sys.path, and gunicorn adds --chdir only
                # when it is not there yet (PYTHONPATH): from the bench's own tree, a --base server ran this tree.
                cwd=str(chdir), env=full_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_DEADLINE_S
        while len(self.workers()) < workers or not self.answers():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"{name}: gunicorn did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)

    def answers(self) -> bool:
        """Whether the server answers HTTP at all (any status)."""
        try:
            urllib.request.urlopen(self.url + "/", timeout=2).close()
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False
        return True

    def workers(self) -> list[int]:
        """The worker pids (the master's children)."""
        try:
            return [int(p) for p in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()]
        except OSError:
            return []

    def cpu(self) -> float:
        """CPU seconds of master and workers so far."""
        return proc_cpu(self.proc.pid) + sum(proc_cpu(pid) for pid in self.workers())

    def memory(self) -> list[tuple[int, int]]:
        """(VmRSS, VmHWM) in kB for each worker."""
        found = []
        for pid in self.workers():
            status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
            found.append((int(status["VmRSS"].split()[0]), int(status["VmHWM"].split()[0])))
        return found

    def stop(self) -> None:
        """SIGTERM the master; SIGKILL its group if it lingers."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


@dataclass
class Target:
    """One server under test and its call script."""

    name: str
    server: Server
    script: Path
    think_script: Path
    database: str | None = None  # a PostgreSQL database name: also measure its backends
    follow: bool = False  # --follow-actions: each step posts to the action URL (with its token) the last answer gave
    runs: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {"sat": [], "think": []})


def pg_xacts(admin: str, database: str) -> int:
    """Committed + rolled-back transactions of a database so far."""
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        row = conn.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
                           (database,)).fetchone()
    return int(row[0]) if row else 0


def run_load(target: Target, mode: str, duration: float, concurrency: int, admin: str | None) -> dict[str, Any]:
    """One generator run against one server, with the servers' and PostgreSQL's CPU around it."""
    script = target.script if mode == "sat" else target.think_script
    pg = postgres_pids(target.database) if target.database else []
    xacts = pg_xacts(admin, target.database) if admin and target.database else 0
    load_before = loadavg()
    cpu0, pg0, busy0 = target.server.cpu(), sum(map(proc_cpu, pg)), machine_busy()
    out = subprocess.run(
        [sys.executable, str(SHARED / "webhook_load.py"), target.server.url, str(script), "-c", str(concurrency),
         "-n", "1000000", "-d", str(duration), "--auth-token", TOKEN, "--signature-base-url", PUBLIC_URL,
         "--label", target.name, "--json", *(["--follow-actions"] if target.follow else [])],
        capture_output=True, text=True, timeout=duration + 120)
    cpu1, pg1, busy1 = target.server.cpu(), sum(map(proc_cpu, pg)), machine_busy()
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    n = max(1, result["requests"])
    elapsed = result["elapsed_s"]
    result.update(server_cpu_ms=(cpu1 - cpu0) / n * 1000, load=load_before,
                  client_cpu_s=result["client_cpu_pct"] / 100 * elapsed)
    ours = cpu1 - cpu0 + result["client_cpu_s"]
    if target.database:
        result["pg_cpu_ms"] = (pg1 - pg0) / n * 1000
        ours += pg1 - pg0
        if admin:
            result["pg_xacts_per_req"] = (pg_xacts(admin, target.database) - xacts) / n
    result["others_cores"] = max(0.0, (busy1 - busy0 - ours) / elapsed)  # the rest of the machine, in cores
    return result


def think_copy(script: Path, folder: Path) -> Path:
    """The script with a ~1 s pause after every step (the generator draws 0.5-1.5 x)."""
    doc = json.loads(script.read_text())
    for step in doc["steps"]:
        step["think_ms"] = 1000
    path = folder / f"{script.stem}_think.json"
    path.write_text(json.dumps(doc))
    return path


def prepare_peer(git_dir: Path, folder: Path) -> None:
    """Export Twilio's sample at PEER_COMMIT into folder and make it run on Python 3 (has_key -> in)."""
    folder.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "--git-dir", str(git_dir), "archive", PEER_COMMIT],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    views = folder / "ivr_phone_tree_python" / "views.py"
    views.write_bytes(views.read_bytes().replace(
        b"if option_actions.has_key(selected_option):", b"if selected_option in option_actions:"))




# Process start to the first 200: create_app() and one signed call-start webhook, in a fresh interpreter.
FIRST_200_CODE = STARTUP_CODE.replace('app.extensions["ivr.store"].dispose()', """
from twilio.request_validator import RequestValidator
form = {"CallSid": "CA" + "0" * 32, "From": "+46701740699", "To": "+46141225000", "CallStatus": "ringing"}
signature = RequestValidator("bench-token").compute_signature("https://line.example/voice", form)
status = app.test_client().post("/voice", data=form, headers={"X-Twilio-Signature": signature}).status_code
assert status == 200, status
first_200_at = time.time()
app.extensions["ivr.store"].dispose()""").replace(
    '"create_app_s": t2 - t1}', '"create_app_s": t2 - t1, "first_200_at": first_200_at}')
# The libraries alone: what create_app() is compared with.
LIBRARIES_CODE = "import flask, sqlalchemy, twilio.twiml.voice_response"


def startup(env: dict[str, str], count: int, root: Path = ROOT) -> dict[str, Any]:
    """Fresh interpreters: process start to the first 200 (median), imports + create_app inside, the whole
    process to its exit, and a process importing flask, sqlalchemy and twilio's TwiML alone (median wall).

    To the first 200 is read from the wall clock the child reads after its 200 (one machine, one clock):
    the whole process also holds the interpreter's exit, ~0.1 s of it a last garbage collection of the
    loaded line (measured December 2026), which is not start-up. The ratio to the libraries compares
    whole processes, as it always did.
    """
    walls, first_200, inside, libraries = [], [], [], []
    environment = compiled(root, {**os.environ, **env, "PYTHONPATH": str(root)})
    for _ in range(count):
        spawned = time.time()
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", FIRST_200_CODE], cwd=root, env=environment,
                             capture_output=True, text=True, timeout=120, check=True)
        walls.append(time.perf_counter() - started)
        split = json.loads(out.stdout.strip().splitlines()[-1])
        first_200.append(split["first_200_at"] - spawned)
        inside.append(split["import_s"] + split["create_app_s"])
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", LIBRARIES_CODE], cwd=root, capture_output=True, timeout=60, check=True)
        libraries.append(time.perf_counter() - started)
    return {"first_200_s": statistics.median(first_200), "process_s": statistics.median(walls),
            "import_and_create_app_s": statistics.median(inside), "libraries_s": statistics.median(libraries),
            "ratio_to_libraries": statistics.median(walls) / statistics.median(libraries),
            "runs_s": [round(w, 3) for w in first_200]}


def turn_child(which: str, script: Path, env: dict[str, str], turns: int, peer: Path,
               root: Path = ROOT) -> dict[str, Any]:
    """Run bench/ref_turn.py (of root: the line's tree) in a fresh interpreter and return its JSON line."""
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "ref_turn.py"), which, str(script), str(turns),
                          str(SHARED), str(peer)], cwd=root, env={**os.environ, **env, "BENCH_ROOT": str(root)},
                         capture_output=True, text=True, timeout=600)
    if out.returncode:
        raise SystemExit(f"in-process {which}: {out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def inprocess(which: str, script: Path, env: dict[str, str], turns: int, peer: Path,
              root: Path = ROOT) -> dict[str, Any]:
    """One app's in-process WSGI turn; on PostgreSQL also its libpq round trips, on SQLite its statements
    (a second, counting run)."""
    result = turn_child(which, script, env, turns, peer, root)
    result["tree"] = str(root)
    if "postgresql" in env.get("IVR_DATABASE_URL", ""):
        counted = turn_child(which, script, {**env, "PSYCOPG_IMPL": "python"}, min(turns, 500), peer, root)
        result["round_trips_per_turn"] = counted["round_trips_per_turn"]
    elif which == "line":
        counted = turn_child(which, script, {**env, "BENCH_COUNT_STATEMENTS": "1"}, min(turns, 500), peer, root)
        result["statements_per_turn"] = counted["statements_per_turn"]
    return result


def med(values: list[float]) -> float:
    """The median (nan for none)."""
    return statistics.median(values) if values else float("nan")


# Each line's floor: the shared floor_app.py on the same database.
FLOORS = {"line-sqlite": "floor-sqlite", "base-sqlite": "floor-sqlite", "line-pg": "floor-pg", "base-pg": "floor-pg"}


def report(targets: list[Target]) -> dict[str, Any]:
    """Per round and median figures, and the ratios to the sample."""
    summary: dict[str, Any] = {}
    peer = targets[1]
    for mode, title in (("sat", "saturation"), ("think", "callers pausing ~1 s")):
        print(f"\n== {title}: per round, then median ==")
        peer_rps = med([r["rps"] for r in peer.runs[mode]])
        for t in targets:
            runs = t.runs[mode]
            for i, r in enumerate(runs):
                extra = f" pg {r['pg_cpu_ms']:.2f} ms/req, {r.get('pg_xacts_per_req', 0):.2f} xact/req" \
                    if "pg_cpu_ms" in r else ""
                print(f"  r{i + 1} {t.name:<11} {r['rps']:8.1f} req/s  p99 {r['p99_ms']:7.2f} ms  "
                      f"cpu {r['server_cpu_ms']:.3f} ms/req{extra}  errors {r['errors']} "
                      f"{r['first_error'] or ''}  load {r['load']}  others {r['others_cores']:.2f} cores  "
                      f"gen {r['client_cpu_pct']:.0f}%")
            m: dict[str, Any] = {key: med([r[key] for r in runs if key in r]) for key in
                 ("rps", "p99_ms", "server_cpu_ms", "pg_cpu_ms", "pg_xacts_per_req", "others_cores")}
            m["ratio_to_sample"] = m["rps"] / peer_rps if peer_rps else float("nan")
            m["ratios_per_round"] = [r["rps"] / p["rps"] for r, p in zip(runs, peer.runs[mode], strict=False)]
            floor = next((f for f in targets if f.name == FLOORS.get(t.name)), None)
            if floor is not None:  # the same database's floor, in the same rounds
                m["ratios_to_floor_per_round"] = [r["rps"] / f["rps"] for r, f in
                                                  zip(runs, floor.runs[mode], strict=False)]
                m["ratio_to_floor"] = med(m["ratios_to_floor_per_round"])
            summary.setdefault(t.name, {})[mode] = m
            to_floor = (f"  ratio to floor {m['ratio_to_floor']:.2f} (rounds "
                        f"{', '.join(f'{x:.2f}' for x in m['ratios_to_floor_per_round'])})" if floor else "")
            print(f"  median {t.name:<8} {m['rps']:8.1f} req/s  p99 {m['p99_ms']:7.2f} ms  "
                  f"cpu {m['server_cpu_ms']:.3f} ms/req  ratio to sample {m['ratio_to_sample']:.2f} "
                  f"(rounds {', '.join(f'{x:.2f}' for x in m['ratios_per_round'])}){to_floor}"
                  + (f"  pg {m['pg_cpu_ms']:.2f} ms/req" if t.database else ""))
    return summary


def main() -> None:
    """Serve, run the interleaved rounds, measure the rest, report, clean up."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peer", type=Path, default=ROOT.parent / "bench-peer", help="Twilio's sample, exported")
    parser.add_argument("--prepare-peer", type=Path, metavar="GIT_DIR",
                        help="only export the sample from this git dir into --peer, then stop")
    parser.add_argument("--postgres", help="server URL without database, e.g. postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per saturation run")
    parser.add_argument("--think-duration", type=float, default=20.0, help="seconds per run with pauses")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--turns", type=int, default=2000, help="in-process turns per app")
    parser.add_argument("--json-out", type=Path, help="write every figure here")
    parser.add_argument("--base", type=Path, help="a tree of the line before a change (e.g. git archive), "
                        "served and measured beside this one in the same rounds")
    args = parser.parse_args()
    if not 1 <= args.rounds <= 20 or not 0 < args.duration <= 120 or not 0 < args.think_duration <= 120:
        parser.error("rounds 1-20, durations up to 120 s")
    if args.prepare_peer:
        prepare_peer(args.prepare_peer, args.peer)
        print(f"Twilio's sample at {PEER_COMMIT} is in {args.peer} (has_key -> in); now run without --prepare-peer")
        return
    if not (args.peer / "ivr_phone_tree_python").is_dir():
        parser.error(f"no sample in {args.peer}: run with --prepare-peer GIT_DIR first")

    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average {loadavg()}")
    tmp = Path(tempfile.mkdtemp(prefix="ivr-refbench-"))
    log = tmp / "servers.log"
    line_env = {"TWILIO_AUTH_TOKEN": TOKEN, "IVR_PUBLIC_URL": PUBLIC_URL, "IVR_PSEUDONYM_KEY": "bench-" + "k" * 40,
                "IVR_DATABASE_URL": f"sqlite:///{tmp / 'line.sqlite3'}"}
    pg_db = f"ivr_bench_{os.getpid()}"
    floor_pg_db, base_pg_db = f"ivr_bench_floor_{os.getpid()}", f"ivr_bench_base_{os.getpid()}"
    floor_env = {"FLOOR_TWILIO_AUTH_TOKEN": TOKEN, "FLOOR_PUBLIC_URL": PUBLIC_URL,
                 "FLOOR_DATABASE": str(tmp / "floor.sqlite3")}
    base_env = {**line_env, "IVR_DATABASE_URL": f"sqlite:///{tmp / 'base.sqlite3'}"}
    admin = pg_env = floor_pg_env = base_pg_env = None
    made: list[str] = []
    if args.postgres:
        import psycopg

        admin = args.postgres.replace("+psycopg", "") + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in (pg_db, floor_pg_db, *([base_pg_db] if args.base else [])):
                conn.execute(f'CREATE DATABASE "{name}"')
                made.append(name)
        pg_env = {**line_env, "IVR_DATABASE_URL": f"{args.postgres}/{pg_db}"}
        floor_pg_env = {**floor_env, "FLOOR_DATABASE": f"{args.postgres}/{floor_pg_db}"}
        base_pg_env = {**line_env, "IVR_DATABASE_URL": f"{args.postgres}/{base_pg_db}"}
    servers: list[Server] = []
    figures: dict[str, Any] = {"load_at_start": loadavg()}
    try:
        figures["startup_sqlite"] = startup(line_env, 5)  # also creates the schema before the workers start
        if args.base:
            figures["startup_base_sqlite"] = startup(base_env, 5, args.base)
        if pg_env:
            figures["startup_postgres"] = startup(pg_env, 5)
            if args.base and base_pg_env:
                figures["startup_base_postgres"] = startup(base_pg_env, 5, args.base)
        viva = ROOT / "bench" / "project_viva.json"
        floor_script = SHARED / "scripts" / "floor.json"
        specs: list[tuple[str, str, Path, dict[str, str], Path, str | None]] = [
            ("bare", "bare_app:app", SHARED, {}, SHARED / "scripts" / "bare.json", None),
            ("sample", "ivr_phone_tree_python:app", args.peer, {}, SHARED / "scripts" / "peer_ivr.json", None),
            ("floor-sqlite", "floor_app:app", SHARED, floor_env, floor_script, None),
            ("line-sqlite", "ivr:create_app()", ROOT, line_env, viva, None)]
        if args.base:
            specs.append(("base-sqlite", "ivr:create_app()", args.base, {**base_env, "PYTHONPATH": str(args.base)},
                          viva, None))
        if pg_env and floor_pg_env and base_pg_env:
            specs.append(("floor-pg", "floor_app:app", SHARED, floor_pg_env, floor_script, floor_pg_db))
            specs.append(("line-pg", "ivr:create_app()", ROOT, pg_env, viva, pg_db))
            if args.base:
                specs.append(("base-pg", "ivr:create_app()", args.base,
                              {**base_pg_env, "PYTHONPATH": str(args.base)}, viva, base_pg_db))
        targets = []
        for name, app, chdir, env, script, database in specs:
            servers.append(Server(name, app, chdir, env, args.workers, log))
            follow = name.startswith(("floor", "line", "base"))  # as Twilio: the token in the action URL
            targets.append(Target(name, servers[-1], script, think_copy(script, tmp), database, follow))
        for t in targets:  # warm up, and for the line 3 reporters: the Viva script expects the incident
            run_load(t, "sat", 3.0, args.concurrency, None)
        for i in range(args.rounds):
            for mode in ("sat", "think"):
                for t in targets:
                    r = run_load(t, mode, args.duration if mode == "sat" else args.think_duration,
                                 args.concurrency, admin)
                    t.runs[mode].append(r)
                    print(f"round {i + 1} {mode:<5} {t.name:<11} {r['rps']:8.1f} req/s p99 {r['p99_ms']:7.2f} ms "
                          f"cpu {r['server_cpu_ms']:.3f} ms/req errors {r['errors']} load {r['load']} "
                          f"others {r['others_cores']:.2f} cores", flush=True)
        figures["rss_kb"] = {t.name: t.server.memory() for t in targets}
        for s in servers:
            s.stop()
        servers.clear()
        figures["summary"] = report(targets)
        figures["runs"] = {t.name: t.runs for t in targets}
        sqlite_floor = {"IVR_DATABASE_URL": f"sqlite:///{tmp / 'floor-inprocess.sqlite3'}"}
        turn_runs: list[tuple[str, Path, dict[str, str], Path]] = [
            ("bare", SHARED / "scripts" / "bare.json", {}, ROOT),
            ("sample", SHARED / "scripts" / "peer_ivr.json", {}, ROOT),
            ("floor", floor_script, sqlite_floor, ROOT), ("line", viva, line_env, ROOT)]
        if args.base:
            turn_runs.append(("line", viva, base_env, args.base))
        if pg_env and base_pg_env:
            turn_runs.append(("floor", floor_script, {"IVR_DATABASE_URL": f"{args.postgres}/{floor_pg_db}"}, ROOT))
            turn_runs.append(("line", viva, pg_env, ROOT))
            if args.base:
                turn_runs.append(("line", viva, base_pg_env, args.base))
        figures["inprocess"] = [inprocess(w, s, e, args.turns, args.peer, r) for w, s, e, r in turn_runs]
    finally:
        for s in servers:
            s.stop()
        if args.postgres and admin:
            import psycopg

            with psycopg.connect(admin, autocommit=True) as conn:
                for name in made:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)
    print("\n== RSS per worker (VmRSS / VmHWM, MiB) ==")
    for name, workers in figures["rss_kb"].items():
        print(f"  {name:<11} " + "; ".join(f"{rss / 1024:.1f} / {hwm / 1024:.1f}" for rss, hwm in workers))
    print("\n== start-up: create_app() in a fresh interpreter (median of 5) ==")
    for key in ("startup_sqlite", "startup_base_sqlite", "startup_postgres", "startup_base_postgres"):
        if key in figures:
            s = figures[key]
            print(f"  {key[8:]:<14} imports + create_app {s['import_and_create_app_s']:.3f} s, "
                  f"process start to first 200 {s['first_200_s']:.3f} s (runs {s['runs_s']}); "
                  f"whole process {s['process_s']:.3f} s against flask + sqlalchemy + twilio alone "
                  f"{s['libraries_s']:.3f} s: {s['ratio_to_libraries']:.1f}x")
    print("\n== in-process WSGI turn (median; environ built beforehand) ==")
    for r in figures["inprocess"]:
        trips = f", {r['round_trips_per_turn']:.2f} libpq round trips/turn" if "round_trips_per_turn" in r else ""
        trips += f", {r['statements_per_turn']:.2f} SQLite statements/turn" if "statements_per_turn" in r else ""
        trips += " [base tree]" if r.get("tree") != str(ROOT) else ""
        print(f"  {r['which']:<7} {r['database']:<10} median {r['median_ms']:.3f} ms, p90 {r['p90_ms']:.3f} ms "
              f"({r['turns']} turns, {r['errors']} unexpected answers){trips}")
    print(f"\nload average at the end: {loadavg()}")
    if args.json_out:
        args.json_out.write_text(json.dumps(figures, indent=1, default=str))


if __name__ == "__main__":
    main()
