"""`ivr ticket test`: one test ticket through the configured backend, its id, or what failed in plain words."""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from flows.line import DEFAULT_CONFIG
from ivr.cli.main import main
from tests.ticket_fakes import FakeITSM


@pytest.fixture
def itsm() -> Iterator[FakeITSM]:
    with FakeITSM((201, {"id": "T-7"})) as fake:
        yield fake


def config_with_webhook(tmp_path: Path, url: str) -> Path:
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    line_yaml = config / "line.yaml"
    line_yaml.write_text(line_yaml.read_text("utf-8").replace(
        "  backend: none ", f"  backend: webhook\n  webhook: {{url: '{url}', timeout_seconds: 1}}\n #"), "utf-8")
    return config


def test_a_test_ticket_reaches_the_itsm_and_its_id_is_shown(tmp_path: Path, itsm: FakeITSM,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_TICKET_WEBHOOK_SECRET", "s3cret")
    config = config_with_webhook(tmp_path, f"{itsm.url}/t")
    result = CliRunner().invoke(main, ["ticket", "test", "--config", str(config), "--system", "pascal"])
    assert result.exit_code == 0, result.output
    assert "ticket id T-7" in result.output
    [seen] = itsm.seen
    body = json.loads(seen.body)
    assert "TEST" in json.dumps(body, ensure_ascii=False) and "Pascal" in json.dumps(body, ensure_ascii=False)


def test_an_itsm_that_is_not_there_is_named_plainly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_TICKET_WEBHOOK_SECRET", "s3cret")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = config_with_webhook(tmp_path, f"http://127.0.0.1:{port}/t")
    result = CliRunner().invoke(main, ["ticket", "test", "--config", str(config)])
    assert result.exit_code == 1
    assert "FAILED:" in result.output and "Traceback" not in result.output


def test_a_refusal_says_the_itsms_own_words(tmp_path: Path, itsm: FakeITSM, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_TICKET_WEBHOOK_SECRET", "s3cret")
    itsm.script.append((401, {"message": "bad signature"}))
    config = config_with_webhook(tmp_path, f"{itsm.url}/t")
    result = CliRunner().invoke(main, ["ticket", "test", "--config", str(config)])
    assert result.exit_code == 1
    assert "401" in result.output and "retry will not help" in result.output


def test_without_a_backend_it_says_so(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    result = CliRunner().invoke(main, ["ticket", "test", "--config", str(config)])
    assert result.exit_code == 1
    assert "no ticket backend is set up" in result.output
