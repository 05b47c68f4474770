"""`ivr serve --production` runs `ivr check --production` first: a line with placeholders does not start,
unless the operator says it is a rehearsal (--accept-placeholders), which the log then says at every start."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.cli import main
from tests.test_check_production import live_config
from tests.test_failures import Server, free_port


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "serve-production-test-token")
    monkeypatch.setenv("IVR_PSEUDONYM_KEY", "serve-production-test-key")
    monkeypatch.setenv("IVR_DATABASE_URL", f"sqlite:///{tmp_path / 'line.sqlite3'}")
    monkeypatch.delenv("TWILIO_ACCOUNT_SID", raising=False)
    return tmp_path


def test_serve_production_refuses_the_shipped_placeholders(env: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--production", "--port", str(free_port())])
    assert result.exit_code == 1
    assert "Startar inte: linjen har kvar värden som inte kan vara riktiga." in result.output
    assert "error: config/line.yaml: line_number: marked PLACEHOLDER" in result.output
    assert "start a rehearsal with --accept-placeholders" in result.output


def test_serve_production_refuses_to_start_without_a_twilio_account(env: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--production", "--accept-placeholders", "--port", str(free_port())])
    assert result.exit_code == 1
    assert "Startar inte: inget Twilio-konto, så linjen kan inte skicka sms eller ringa upp." in result.output
    assert "start a rehearsal with --no-outbound" in result.output


def test_no_outbound_with_an_account_is_a_contradiction(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    result = CliRunner().invoke(main, ["serve", "--production", "--accept-placeholders", "--no-outbound",
                                       "--port", str(free_port())])
    assert result.exit_code == 1 and "--no-outbound, but TWILIO_ACCOUNT_SID is set" in result.output
    assert CliRunner().invoke(main, ["serve", "--no-outbound"]).exit_code == 2  # production only


def test_without_an_account_no_message_body_reaches_the_log(caplog: pytest.LogCaptureFixture) -> None:
    from ivr.notify import LogNotifier

    with caplog.at_level("DEBUG"):
        LogNotifier().send_sms("+46701740698", "+46141225000", "Din kod till konsolen: 493817")
    assert "493817" not in caplog.text and "701740698" not in caplog.text
    assert "29 characters" in caplog.text


def test_accept_placeholders_belongs_to_production_only(env: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--accept-placeholders"])
    assert result.exit_code == 2
    assert "--accept-placeholders only goes with --production" in result.output


def test_a_config_with_real_values_passes_the_start_check(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ivr import create_app
    from ivr.cli.production import refuse_placeholders

    monkeypatch.setenv("IVR_CONFIG_DIR", str(live_config(env)))
    refuse_placeholders(create_app(None), accept=False)  # no exception: it would start


@pytest.mark.skipif(importlib.util.find_spec("gunicorn") is None,
                    reason="gunicorn is not installed (pip install -e '.[production]')")
def test_a_rehearsal_starts_with_a_warning_in_the_log(tmp_path: Path) -> None:
    port = free_port()
    argv = [sys.executable, "-c", "from ivr.cli import main; main()", "serve", "--production", "--no-outbound",
            "--accept-placeholders", "--workers", "1", "--host", "127.0.0.1", "--port", str(port)]
    server = Server(port, f"sqlite:///{tmp_path / 'line.sqlite3'}", tmp_path / "server.log", argv)
    server.start()  # answers /healthz
    try:
        assert "STARTED WITH --accept-placeholders" in server.log_text()
    finally:
        server.stop()
