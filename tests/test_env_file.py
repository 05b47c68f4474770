"""`ivr --env-file FILE`: operator commands run with the service's settings, only when asked, and a bad file
is named with its line, never a traceback; `ivr --version` comes from the installed package's metadata."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ivr.cli import main
from ivr.operations.envfile import EnvFileError, parse_env

ROOT = Path(__file__).resolve().parent.parent
INSTALLED_IVR = Path(sys.executable).parent / "ivr"
SECRET = "s3cret-never-echoed"


@pytest.fixture(autouse=True)
def environment_restored() -> Iterator[None]:
    """--env-file writes into this process's environment (a command is one process): undone after each test."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def ivr(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def service_file(tmp_path: Path, database: Path, extra: str = "") -> Path:
    path = tmp_path / "environment"
    path.write_text("# /etc/felsokningslinjen/environment, as deploy/environment.example\n"
                    f"TWILIO_AUTH_TOKEN={SECRET}\n"
                    f"IVR_DATABASE_URL=sqlite:///{database}\n"
                    f"IVR_CONFIG_DIR='{ROOT / 'config'}'\n" + extra, "utf-8")
    return path


def test_the_file_gives_the_commands_the_services_database_and_folders(tmp_path: Path) -> None:
    database = tmp_path / "service.sqlite3"
    env_file = service_file(tmp_path, database)
    shell = {"IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'shell.sqlite3'}", "IVR_CONFIG_DIR": str(tmp_path / "nope"),
             "IVR_CHECKLISTS_DIR": str(ROOT / "checklists")}

    upgraded = ivr("--env-file", str(env_file), "db", "upgrade", env=shell)
    assert upgraded.exit_code == 0, upgraded.output
    assert str(database) in upgraded.output and database.exists()
    assert not (tmp_path / "shell.sqlite3").exists()  # the file's variables replace the shell's

    checked = ivr("--env-file", str(env_file), "db", "check", env=shell)
    assert checked.exit_code == 0, checked.output
    assert "OK: databasens schema är aktuellt, revision" in checked.output and str(database) in checked.output

    result = ivr("--env-file", str(env_file), "check", env=shell)
    assert result.exit_code == 0, result.output
    assert f"config: {ROOT / 'config'} (from IVR_CONFIG_DIR)" in result.output
    # A variable the file does not set stays the shell's.
    assert f"checklists: {ROOT / 'checklists'} (from IVR_CHECKLISTS_DIR)" in result.output


def test_without_the_option_no_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Files a dotenv-style tool would pick up by itself, pointing at a database that exists.
    service = tmp_path / "service.sqlite3"
    assert ivr("db", "upgrade", "--database", f"sqlite:///{service}").exit_code == 0
    for name in (".env", "environment"):
        (tmp_path / name).write_text(f"IVR_DATABASE_URL=sqlite:///{service}\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    result = ivr("db", "check", env={"IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'shell.sqlite3'}"})
    assert result.exit_code == 1
    assert f"Ingen databas i {tmp_path / 'shell.sqlite3'}" in result.output


@pytest.mark.parametrize(("text", "problem"), [
    (f"TWILIO_AUTH_TOKEN {SECRET}\n", "line 1: no '=' on this line (expected NAME=value)"),
    (f"# settings\n\nexport TWILIO_AUTH_TOKEN={SECRET}\n", "line 3: 'export TWILIO_AUTH_TOKEN' is not a variable name"),
    (f"IVR_PUBLIC_URL=https://ivr.kommun.se\nTWILIO_AUTH_TOKEN=\"{SECRET}\nIVR_X=1\n",
     "line 2: the \" opened in this value is never closed"),
])
def test_a_malformed_file_is_named_with_its_line_and_never_echoes_a_value(tmp_path: Path, text: str,
                                                                          problem: str) -> None:
    env_file = tmp_path / "environment"
    env_file.write_text(text, "utf-8")
    result = ivr("--env-file", str(env_file), "db", "check")
    assert result.exit_code == 2
    assert f"Error: Invalid value for '--env-file': {env_file}, {problem}" in result.output
    assert SECRET not in result.output and "Traceback" not in result.output


def test_a_file_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "environment"
    result = ivr("--env-file", str(missing), "purge", "--dry-run")
    assert result.exit_code == 2
    assert f"Invalid value for '--env-file': {missing}: cannot read it: No such file or directory" in result.output
    (tmp_path / "latin1").write_bytes(b"IVR_PUBLIC_URL=https://ivr.kommun.se\nIVR_X=G\xf6teborg\n")
    result = ivr("--env-file", str(tmp_path / "latin1"), "db", "check")
    assert result.exit_code == 2
    assert f"{tmp_path / 'latin1'}, line 2: not UTF-8 text" in result.output
    assert "Traceback" not in result.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_a_file_without_read_permission_is_named(tmp_path: Path) -> None:
    env_file = service_file(tmp_path, tmp_path / "line.sqlite3")
    env_file.chmod(0)
    result = ivr("--env-file", str(env_file), "db", "check")
    assert result.exit_code == 2
    assert f"{env_file}: cannot read it: Permission denied" in result.output


@pytest.mark.parametrize(("text", "expected"), [
    ("A=1", {"A": "1"}),
    ("  # a comment\n; also one\n\nA = spaced value   \n", {"A": "spaced value"}),
    ("A=pass # word", {"A": "pass # word"}),  # no comment after a value: python-dotenv would cut it
    ("A='$HOME \\n # kept'", {"A": "$HOME \\n # kept"}),  # nothing expanded, single quotes literal
    ('A="say \\"hi\\" \\$5 \\\\ \\q"', {"A": 'say "hi" $5 \\ \\q'}),  # the shell's escapes, others kept
    ("A=one\\\ntwo\nB=2", {"A": "onetwo", "B": "2"}),  # a backslash joins lines
    ('A="two\nlines"', {"A": "two\nlines"}),
    ("A=\nB=   \n", {"A": "", "B": ""}),
    ("A='x' 'y'", {"A": "xy"}),
    ("A=it's", {"A": "it's"}),  # a quote inside a plain value is a plain character
    ("A=1\r\nB=2\r\n", {"A": "1", "B": "2"}),
    ("A=1\nA=2", {"A": "2"}),
])
def test_the_file_is_read_as_systemd_reads_an_environment_file(text: str, expected: dict[str, str]) -> None:
    assert parse_env(text, "environment") == expected


def test_an_error_counts_lines_from_one() -> None:
    with pytest.raises(EnvFileError, match=r"^environment, line 5: no '='"):
        parse_env("A=1\n# x\nB='a\nb'\nbroken\n", "environment")


def test_the_installed_command_reads_the_file(tmp_path: Path) -> None:
    database = tmp_path / "service.sqlite3"
    env_file = service_file(tmp_path, database)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("IVR_", "TWILIO_"))}
    result = subprocess.run([str(INSTALLED_IVR), "--env-file", str(env_file), "db", "upgrade"], env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert f"sqlite:///{database}" in result.stdout and database.exists()


def test_version_is_the_installed_packages() -> None:
    version = metadata.version("felsokningslinjen")
    assert ivr("--version").output == f"ivr {version}\n"
    result = subprocess.run([str(INSTALLED_IVR), "--version"], capture_output=True, text=True, timeout=60,
                            check=False)
    assert (result.returncode, result.stdout) == (0, f"ivr {version}\n")


def test_the_shipped_example_is_a_file_env_file_reads() -> None:
    values = parse_env((ROOT / "deploy" / "environment.example").read_text("utf-8"), "environment.example")
    assert values["IVR_DATABASE_URL"] == "postgresql+psycopg://felsokningslinjen@localhost/felsokningslinjen"
    assert values["PGPASSFILE"] == "/etc/felsokningslinjen/pgpass"
    assert {"TWILIO_AUTH_TOKEN", "IVR_PSEUDONYM_KEY", "IVR_CONFIG_DIR", "IVR_CHECKLISTS_DIR"} <= values.keys()
