"""The outbox under `ivr serve --production` with two gunicorn workers: replayed webhooks text once.

The server has no Twilio account, so its messages are written to IVR_OUTBOX_FILE (one JSON
line each) instead of sent: the file is what left the line. Its clock is frozen after hours
(tests/frozen_serve.py). Replays are posted at once from several threads, so both workers
answer them.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import CALLER, LINE_NUMBER
from tests.test_failures import Server, free_port

TONIGHT = "2026-11-25T22:00:00+01:00"  # a Wednesday evening: after hours, Anna first on call
MANAGER = "+46701740610"
CALL = "CA" + "8" * 32


@pytest.fixture
def sent(tmp_path: Path) -> Path:
    return tmp_path / "sent.jsonl"


@pytest.fixture
def server(database_url: str, tmp_path: Path, sent: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    if importlib.util.find_spec("gunicorn") is None:
        pytest.skip("gunicorn is not installed (pip install -e '.[production]')")
    monkeypatch.setenv("IVR_TEST_FROZEN_CLOCK", TONIGHT)
    monkeypatch.setenv("IVR_OUTBOX_FILE", str(sent))
    port = free_port()
    argv = [sys.executable, "-c", "from tests.frozen_serve import main; main()", "serve", "--production",
            "--no-outbound", "--accept-placeholders", "--workers", "2", "--host", "127.0.0.1", "--port", str(port)]
    running = Server(port, database_url, tmp_path / "server.log", argv)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def action(twiml: str) -> str:
    """The path and query of the answer's next webhook."""
    for element in ET.fromstring(twiml).iter():
        if element.get("action"):
            parts = urlsplit(element.get("action", ""))
            return f"{parts.path}?{parts.query}"
    raise AssertionError(f"no action in {twiml}")


def texts(sent: Path) -> list[str]:
    """The numbers texted, in order."""
    if not sent.exists():
        return []
    return [json.loads(line)["to"] for line in sent.read_text("utf-8").splitlines() if line.strip()]


def test_replays_across_two_workers_text_the_manager_and_the_caller_once(server: Server, sent: Path) -> None:
    def post(path: str, **params: str) -> str:
        return server.post(path, CallSid=CALL, From=CALLER, To=LINE_NUMBER, **params)

    answer = post("/voice")
    for key in ("1", "2", "1"):  # after hours, Viva
        answer = post(action(answer), Digits=key)
    last_step = action(answer)
    with ThreadPoolExecutor(max_workers=6) as pool:  # the deciding answer, six times at once
        answers = list(pool.map(lambda _: post(last_step, Digits="1"), range(6)))
    first_dial = next(action(text) for text in answers if "<Dial" in text)
    second_dial = action(post(first_dial, DialCallStatus="no-answer"))
    with ThreadPoolExecutor(max_workers=6) as pool:  # the last dial's result, six times at once
        list(pool.map(lambda _: post(second_dial, DialCallStatus="no-answer"), range(6)))
    post("/voice/status", CallStatus="completed", CallDuration="80")
    for _ in range(5):
        post(second_dial, DialCallStatus="no-answer")
    assert sorted(texts(sent)) == sorted([CALLER, MANAGER])
