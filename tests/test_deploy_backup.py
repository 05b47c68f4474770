"""deploy/felsokningslinjen-backup.*: the units pass `systemd-analyze verify`, and the service's script, run as
systemd would run it, leaves a restorable backup of a PostgreSQL and of a SQLite database and prunes old ones."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from tests.conftest_db import PG_SKIP_REASON, pg_url

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
UNITS = ("felsokningslinjen-backup.service", "felsokningslinjen-backup.timer")
INSTALLED_IVR = "/opt/felsokningslinjen/bin/ivr"
IVR = Path(sys.executable).parent / "ivr"
ANALYZE = shutil.which("systemd-analyze")


def script() -> str:
    """The shell script of the service's ExecStart, as /bin/sh gets it from systemd, with this environment's ivr."""
    found = re.findall(r"^ExecStart=/bin/sh -euc '(.+)'$", (DEPLOY / UNITS[0]).read_text("utf-8"), re.MULTILINE)
    assert len(found) == 1, found
    # systemd turns $$ into $ and %% into %; the script has no other $ or % (verify checks the specifiers).
    assert "$" not in found[0].replace("$$", ""), "a $ systemd would expand"
    assert "%" not in found[0].replace("%%", ""), "a % systemd would read as a specifier (%Y: the unit's folder)"
    return str(found[0]).replace("$$", "$").replace("%%", "%").replace(INSTALLED_IVR, str(IVR))


def run_backup(state: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("IVR_", "TWILIO_"))}
    env.update(STATE_DIRECTORY=str(state), IVR_DATABASE_URL=database_url)
    return subprocess.run(["/bin/sh", "-euc", script()], env=env, capture_output=True, text=True, timeout=120,
                          check=False)


def ivr(*args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("IVR_", "TWILIO_"))}
    return subprocess.run([str(IVR), *args], env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed (systemd); .ci/run installs it")
def test_the_backup_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    for name in UNITS:
        text = (DEPLOY / name).read_text("utf-8")
        (tmp_path / name).write_text(text.replace(INSTALLED_IVR, str(IVR)), "utf-8")
    result = subprocess.run([str(ANALYZE), "verify", "--man=no", *(str(tmp_path / name) for name in UNITS)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    complaints = [line for line in (result.stdout + result.stderr).splitlines()
                  if any(name in line for name in UNITS)]
    assert complaints == []


def test_the_timer_runs_the_backup_nightly_before_the_purge() -> None:
    timer = (DEPLOY / "felsokningslinjen-backup.timer").read_text("utf-8")
    assert re.findall(r"^OnCalendar=(.+)$", timer, re.MULTILINE) == ["*-*-* 02:30:00"]
    assert "Persistent=true" in timer
    purge = (DEPLOY / "felsokningslinjen-purge.timer").read_text("utf-8")
    assert re.findall(r"^OnCalendar=(.+)$", purge, re.MULTILINE) == ["*-*-* 03:15:00"]
    service = (DEPLOY / "felsokningslinjen-backup.service").read_text("utf-8")
    for line in ("EnvironmentFile=/etc/felsokningslinjen/environment", "StateDirectory=felsokningslinjen",
                 "User=felsokningslinjen", "UMask=0077"):
        assert re.search(rf"^{re.escape(line)}$", service, re.MULTILINE), line


def test_sqlite_is_backed_up_with_ivr_db_backup_and_old_backups_are_pruned(tmp_path: Path) -> None:
    database = tmp_path / "line.sqlite3"
    assert ivr("db", "upgrade", "--database", f"sqlite:///{database}").returncode == 0
    state = tmp_path / "state"
    (state / "backups").mkdir(parents=True)
    old, other = state / "backups" / "line-20260101T023000Z.sqlite3", state / "backups" / "keep-me.txt"
    for path in (old, other):
        path.write_text("x", "utf-8")
        month_ago = time.time() - 30 * 86400
        os.utime(path, (month_ago, month_ago))

    result = run_backup(state, f"sqlite:///{database}")

    assert result.returncode == 0, result.stderr
    backups = sorted((state / "backups").glob("line-*.sqlite3"))
    assert len(backups) == 1 and backups[0] != old, backups
    assert other.exists()  # only the backups' own names are pruned
    checked = ivr("db", "check", "--database", f"sqlite:///{backups[0]}")
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.fixture
def private_postgresql() -> Iterator[str]:
    """A database of its own on the test server (pg_dump takes a whole database), dropped afterwards."""
    server = make_url(str(pg_url()))
    name = f"ivr_backup_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


@pytest.mark.skipif(pg_url() is None, reason=PG_SKIP_REASON)
@pytest.mark.skipif(shutil.which("pg_dump") is None or shutil.which("pg_restore") is None,
                    reason="pg_dump/pg_restore are not installed (postgresql-client); .ci/run installs them")
def test_postgresql_is_backed_up_with_pg_dump(tmp_path: Path, private_postgresql: str) -> None:
    assert ivr("db", "upgrade", "--database", private_postgresql).returncode == 0
    state = tmp_path / "state"

    result = run_backup(state, private_postgresql)  # postgresql+psycopg://...: SQLAlchemy's form of the URL

    assert result.returncode == 0, result.stderr
    dumps = list((state / "backups").glob("line-*.dump"))
    assert len(dumps) == 1 and not list((state / "backups").glob("*.partial")), dumps
    listing = subprocess.run(["pg_restore", "--list", str(dumps[0])], capture_output=True, text=True,
                             timeout=60, check=False)
    assert listing.returncode == 0, listing.stderr
    assert re.search(r"TABLE DATA \S+ alembic_version ", listing.stdout), listing.stdout
    assert re.search(r"TABLE \S+ sessions ", listing.stdout), listing.stdout
