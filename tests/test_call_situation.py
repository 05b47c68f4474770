"""The caller's situation on a call (issue 13): more time (key 5), continuing by SMS (key 8), resuming."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from flask import Flask

from ivr.simulator.voice import Phone
from tests.conftest import FrozenClock, Twilio
from tests.test_fail_safe import offline_app  # noqa: F401 - a fixture: the line with its database down


def spoken(body: bytes) -> str:
    """Everything the TwiML says, nested or not."""
    return " ".join(node.text or "" for node in ET.fromstring(body).iter("Say"))


def session_events(app: Flask, kind: str) -> list[dict[str, object]]:
    return [event for event in app.extensions["ivr.store"].events() if event["kind"] == kind]


# --- more time (key 5) ---------------------------------------------------------------------------


def test_key_5_waits_quietly_inside_a_gather_that_carries_the_state(app: Flask, twilio: Twilio) -> None:
    twilio.call("/voice")
    twilio.call("/voice/input", Digits="4")  # NPÖ, step 1: colleagues
    root = ET.fromstring(twilio.call("/voice/input", Digits="5").data)
    assert [child.tag for child in root] == ["Gather"]
    gather = root.find("Gather")
    assert gather is not None and str(gather.get("action")).startswith("/voice/input?s=")
    assert [child.tag for child in gather] == ["Say", "Pause"]
    assert gather.find("Pause").get("length") == "24"  # type: ignore[union-attr]  # 30 s a round, less the timeout
    assert "Tryck 1 för ja eller 2 för nej" in spoken(ET.tostring(root))
    # Waiting neither answers nor skips the step.
    assert session_events(app, "answer") == []
    assert [event["data"] for event in session_events(app, "more_time")] == [{"step": "multiple_users"}]
    body = twilio.call("/voice/input", Digits="1").data
    assert "Steg 2 av 5" in spoken(body)


def test_silence_while_waiting_is_not_counted_toward_the_hang_up(app: Flask, twilio: Twilio) -> None:
    twilio.call("/voice")
    twilio.call("/voice/input", Digits="4")
    twilio.call("/voice/input", Digits="5")
    rounds = [spoken(twilio.call("/voice/input", Digits="").data) for _ in range(6)]
    assert all(text.startswith("Jag väntar fortfarande.") for text in rounds[:5])
    assert rounds[4].endswith("Tryck 5 igen om du behöver mer tid.")
    assert rounds[5].startswith("Nu frågar jag igen. Steg 1 av 5.")  # 3 minutes: the same question
    # The question asked again is a normal prompt: now silence counts (3 misses hang up).
    assert "Jag hörde inget val" in spoken(twilio.call("/voice/input", Digits="").data)


def test_more_time_is_configurable(database_url: str, clock: FrozenClock, tmp_path: object) -> None:
    import shutil
    from pathlib import Path

    from flows.line import DEFAULT_CONFIG
    from ivr import create_app
    from tests.conftest import app_config

    config = Path(str(tmp_path)) / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    line_yaml = config / "line.yaml"
    line_yaml.write_text(line_yaml.read_text("utf-8").replace("more_time_minutes: 3", "more_time_minutes: 1"), "utf-8")
    app = create_app(app_config(database_url, clock, CONFIG_DIR=str(config)))
    try:
        twilio = Twilio(app.test_client())
        twilio.call("/voice")
        twilio.call("/voice/input", Digits="4")
        twilio.call("/voice/input", Digits="5")
        assert spoken(twilio.call("/voice/input", Digits="").data).startswith("Jag väntar fortfarande.")
        assert spoken(twilio.call("/voice/input", Digits="").data).startswith("Nu frågar jag igen.")
    finally:
        app.extensions["ivr.store"].dispose()


def test_more_time_with_the_database_down_still_reaches_on_call_only_after_every_step(
    offline_app: Flask, clock: FrozenClock,  # noqa: F811
) -> None:
    clock.set("2026-11-25T22:00")
    result = Phone(offline_app).call("1 5 - - 2 5 1 1", manager_keys="1")  # Viva, waits on steps 1 and 2
    assert result.unused_keys == []
    assert all("database unavailable" in error or "whisper without" in error or "acceptance" in error
               for error in result.errors)  # only the database's absence is logged
    assert result.dialed == ["+46701740610"]
    heard = [entry["text"] for entry in result.transcript if entry["who"] == "line"]
    assert heard.count("Jag väntar fortfarande. Tryck 1 för ja eller 2 för nej när du är klar.") == 2
