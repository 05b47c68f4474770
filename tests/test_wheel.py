"""The line installed from a built wheel, outside the checkout: init, check, db upgrade and one signed call.

Slow (a wheel build and a virtualenv, about half a minute) but always run: it is the only test that
sees the package as an operator installs it. It runs offline: the wheel is built with this
environment's setuptools (no build isolation), and the fresh virtualenv borrows this environment's
installed dependencies through a path file, never the checkout (the editable install's finder is not
loaded there), so `ivr` and `flows` can only come from the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What is not part of the source: virtualenvs, builds and caches.
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", ".ci-venv", "build", "dist", "*.egg-info", "__pycache__",
                                    "instance", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis")

SIGNED_CALL = """
import sys
from twilio.request_validator import RequestValidator
import ivr, flows
from ivr import create_app

app = create_app()
params = {"CallSid": "CA" + "7" * 32, "From": "+46701740699", "To": "+46141225000"}
url = "https://ivr.wheel.invalid/voice"
signature = RequestValidator("wheel-test-token").compute_signature(url, params)
response = app.test_client().post("/voice", data=params, headers={"X-Twilio-Signature": signature})
print(ivr.__file__)
print(flows.__file__)
print(response.status_code)
print(response.get_data(as_text=True))
app.extensions["ivr.store"].dispose()
"""


def run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv outside the checkout with the wheel built from a copy of the source."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE, symlinks=True)
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                 "--wheel-dir", str(base / "dist"), str(source)], base, dict(os.environ))
    assert built.returncode == 0, built.stderr
    wheels = list((base / "dist").glob("felsokningslinjen-*.whl"))
    assert len(wheels) == 1, wheels
    target = base / "venv"
    venv.create(target, with_pip=False)
    python = target / "bin" / "python"
    pip = run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet",
               str(wheels[0])], base, dict(os.environ))
    assert pip.returncode == 0, pip.stderr
    site = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], base,
               dict(os.environ))
    # The dependencies (flask, twilio, ...) from this environment, after the venv's own packages.
    Path(site.stdout.strip(), "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    shutil.rmtree(source)  # nothing may depend on the source folder any more
    return target


def operator_env(base: Path) -> dict[str, str]:
    """An environment as the README's production section sets it, without any IVR_* of the test run."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("IVR_", "TWILIO_"))}
    env.update({
        "IVR_CONFIG_DIR": str(base / "etc" / "config"), "IVR_CHECKLISTS_DIR": str(base / "etc" / "checklists"),
        "IVR_DATABASE_URL": f"sqlite:///{base / 'line.sqlite3'}", "IVR_PUBLIC_URL": "https://ivr.wheel.invalid",
        "TWILIO_AUTH_TOKEN": "wheel-test-token", "IVR_PSEUDONYM_KEY": "wheel-test-pseudonym-key",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


@pytest.mark.slow
def test_the_wheel_installs_inits_checks_and_answers_a_signed_call(installed: Path, database_url: str,
                                                                   tmp_path: Path) -> None:
    """On SQLite, and on PostgreSQL where IVR_TEST_DATABASE_URL is set (CI): the schema made by `ivr db upgrade`."""
    base = tmp_path  # the operator's folder; the installed wheel is shared by the module's tests
    ivr = str(installed / "bin" / "ivr")
    env = operator_env(base)
    env["IVR_DATABASE_URL"] = database_url

    init = run([ivr, "init", str(base / "etc")], base, env)
    assert init.returncode == 0, init.stderr
    assert (base / "etc" / "config" / "line.yaml").read_text("utf-8").startswith("# config/line.yaml: written by")
    assert len(list((base / "etc" / "checklists").glob("*.yaml"))) == 9
    again = run([ivr, "init", str(base / "etc")], base, env)
    assert again.returncode == 1 and "--force" in again.stderr

    check = run([ivr, "check"], base, env)
    assert check.returncode == 0, check.stderr
    assert f"config: {base / 'etc' / 'config'} (from IVR_CONFIG_DIR)" in check.stdout.splitlines()
    production = run([ivr, "check", "--production"], base, env)
    assert production.returncode != 0, "the starter configuration's placeholders must fail --production"
    assert "marked PLACEHOLDER" in production.stderr

    upgrade = run([ivr, "db", "upgrade"], base, env)
    assert upgrade.returncode == 0, upgrade.stderr

    call = run([str(installed / "bin" / "python"), "-c", SIGNED_CALL], base, env)
    assert call.returncode == 0, call.stderr
    ivr_file, flows_file, status, twiml = call.stdout.split("\n", 3)
    assert ivr_file.startswith(str(installed)) and flows_file.startswith(str(installed))
    assert status == "200"
    assert "<Gather" in twiml and "Viva" in twiml


@pytest.mark.slow
def test_the_wheel_carries_the_licence(installed: Path) -> None:
    wheel = next((installed.parent / "dist").glob("felsokningslinjen-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        licence = next(n for n in names if n.endswith(".dist-info/licenses/LICENSE"))
        assert "EUROPEAN UNION PUBLIC LICENCE v. 1.2" in archive.read(licence).decode()
    assert "License-Expression: EUPL-1.2" in metadata.splitlines()
    assert "License-File: LICENSE" in metadata.splitlines()


@pytest.mark.slow
def test_the_wheel_ships_the_defaults_and_no_source_paths(installed: Path) -> None:
    base = installed.parent
    env = operator_env(base)
    for name in ("IVR_CONFIG_DIR", "IVR_CHECKLISTS_DIR"):
        env.pop(name)
    check = run([str(installed / "bin" / "ivr"), "check"], base, env)
    assert check.returncode == 0, check.stderr
    assert "(shipped with the package)" in check.stdout
    assert str(installed) in check.stdout
