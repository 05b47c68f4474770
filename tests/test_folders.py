"""Every command, and create_app, finds the configuration the same way (ivr.folders)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from flows.line import DEFAULT_CHECKLISTS, DEFAULT_CONFIG
from ivr import create_app
from ivr.cli import main
from ivr.folders import SHIPPED_CHECKLISTS, SHIPPED_CONFIG, line_folders

# Every command that reads the line's data, with arguments that would otherwise succeed or fail later.
COMMANDS = [
    ["check"], ["roster", "--at", "2026-11-25T22:00"], ["print"], ["print", "--poster"], ["report"],
    ["lookup", "ABCDEF"], ["purge", "--dry-run"], ["announce", "--list"],
    ["simulate", "--keys", "1 1", "--at", "2026-11-25T10:00"], ["oncall", "list"],
    ["test-call", "anna", "--public-url", "https://ivr.folders.invalid"],
]


def own_config(tmp_path: Path, number: str = "0141-22 50 99") -> Path:
    """A copy of the shipped config outside the checkout, with its own line number."""
    config = tmp_path / "etc" / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    line = config / "line.yaml"
    line.write_text(line.read_text("utf-8").replace('line_number: "0141-22 50 00"', f'line_number: "{number}"'),
                    "utf-8")
    return config


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0] + ("-poster" if "--poster" in c else ""))
def test_every_command_reads_ivr_config_dir(command: list[str], tmp_path: Path) -> None:
    empty = tmp_path / "elsewhere" / "config"
    empty.mkdir(parents=True)
    env = {"IVR_CONFIG_DIR": str(empty), "IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'line.sqlite3'}"}
    result = CliRunner().invoke(main, command, env=env)
    # Each one reads the empty folder and says which file is missing, never a stack trace.
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "config/" in result.output and "file not found" in result.output, result.output


@pytest.mark.parametrize("command", [c for c in COMMANDS if c[0] not in ("roster", "purge", "oncall")],  # no checklists
                         ids=lambda c: c[0] + ("-poster" if "--poster" in c else ""))
def test_every_command_reads_ivr_checklists_dir(command: list[str], tmp_path: Path) -> None:
    checklists = tmp_path / "elsewhere" / "checklists"
    checklists.mkdir(parents=True)
    env = {"IVR_CHECKLISTS_DIR": str(checklists), "IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'line.sqlite3'}"}
    result = CliRunner().invoke(main, command, env=env)
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "checklists" in result.output, result.output


def test_a_config_dir_outside_the_checkout_is_used(tmp_path: Path) -> None:
    config = own_config(tmp_path)
    result = CliRunner().invoke(main, ["print"], env={"IVR_CONFIG_DIR": str(config)})
    assert result.exit_code == 0, result.output
    assert "0141-22 50 99" in result.output and "0141-22 50 00" not in result.output
    check = CliRunner().invoke(main, ["check"], env={"IVR_CONFIG_DIR": str(config)})
    assert check.exit_code == 0, check.output
    assert f"config: {config} (from IVR_CONFIG_DIR)" in check.output.splitlines()


def test_the_option_wins_over_the_environment(tmp_path: Path) -> None:
    config = own_config(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(main, ["print", "--config", str(config)], env={"IVR_CONFIG_DIR": str(empty)})
    assert result.exit_code == 0, result.output
    assert "0141-22 50 99" in result.output


def test_without_settings_the_shipped_folders_are_read() -> None:
    folders = line_folders(environ={})
    assert (folders.config, folders.checklists) == (SHIPPED_CONFIG, SHIPPED_CHECKLISTS)
    # In a checkout they are the same files as config/ and checklists/.
    assert sorted(p.name for p in SHIPPED_CONFIG.iterdir()) == sorted(p.name for p in DEFAULT_CONFIG.iterdir())
    assert sorted(p.name for p in SHIPPED_CHECKLISTS.glob("*.yaml")) == sorted(
        p.name for p in DEFAULT_CHECKLISTS.glob("*.yaml"))


def test_create_app_reads_ivr_config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = own_config(tmp_path, number="0141-22 50 98")
    monkeypatch.setenv("IVR_CONFIG_DIR", str(config))
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "test-token-not-a-secret")
    monkeypatch.setenv("IVR_PSEUDONYM_KEY", "test-pseudonym-key")
    monkeypatch.setenv("IVR_DATABASE_URL", f"sqlite:///{tmp_path / 'line.sqlite3'}")
    app = create_app(None)
    try:
        assert app.config["CONFIG_DIR"] == str(config)
        assert app.extensions["ivr.line"].settings.line_number == "+46141225098"
    finally:
        app.extensions["ivr.store"].dispose()
