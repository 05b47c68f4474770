"""Golden conversations: whole calls replayed through the real webhooks.

Each file in tests/golden/voice/ is one call: when (`at`, Stockholm time), who
calls (`from`), the keys pressed (`keys`, "-" = silence; `ja@0.92` or
`"viva omsorg"@0.4` is speech with the recogniser's confidence, heard when the
case turns speech input on with `speech: true`), how each <Dial> ends
(`dial_status`) and what the on-call manager presses (`manager_keys`, default
always 1), and which outcomes get the receipt if not line.yaml's
(`receipt_outcomes`); `expected` holds the outcome, the numbers dialled, the
SMS count and every line of the transcript. A call that goes on by SMS (key 8) may give
the carer's texts after it (`then_sms`, as the SMS goldens' `sends`, on the
same line and database; its manager always presses 1), and `expected.then_sms`
holds that conversation as an SMS golden's `expected` does. A call that drops
(its keys run out: Twilio's status callback says it ended) may be followed by
the same phone calling again (`then_call: {after_minutes, keys}`), heard in
`expected.then_call`. Every webhook loads the call from a fresh
database (SQLite, and PostgreSQL too when IVR_TEST_DATABASE_URL is set) and
saves it again, so the replay covers that too.

    UPDATE_GOLDEN=1 pytest tests/test_voice_golden.py   # rewrite `expected`

then read the diff: a golden is only as right as the person who checked it.
A case with `known_bug` holds the behaviour the line should have; it must
fail (strict xfail) until the bug is fixed, and is never rewritten.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from twilio.request_validator import RequestValidator

from ivr.simulator.common import Entry, ScriptedKeys
from ivr.simulator.simulate import simulate
from ivr.simulator.sms import ScriptedSends, ShiftedClock, SmsPhone, SmsResult
from ivr.simulator.voice import Phone, Result
from tests.golden_support import UPDATE, after_decline_time, golden_app, read_case, write_case
from tests.ssml_check import ssml_problems
from tests.test_sms_golden import observed as observed_sms

GOLDEN = Path(__file__).parent / "golden" / "voice"
CASES = sorted(GOLDEN.glob("*.yaml"))
INPUTS = ("description", "at", "from", "speech", "keys", "dial_status", "manager_keys", "then_sms", "then_call",
          "known_bug", "announcements", "known_incidents", "directory", "manager_sms", "tickets",
          "receipt_outcomes", "staff_pin")
# Fixed CallSids (each case runs on a fresh database): the receipt's code derives from the call, so the
# SMS a golden shows is the same on every run. The second is for a case's call again (then_call).
CALL_SID = "CA" + "90" * 16
CALL_SID_AGAIN = "CA" + "91" * 16


def call_again(app: Flask, case: dict[str, Any], first: Result, refused: list[str]) -> Result:
    """The first call's status callback (it ended), time passing, and the same phone calling again."""
    from tests.golden_support import TOKEN

    url = f"{app.config['PUBLIC_URL']}/voice/status"
    params = {"CallSid": first.call_sid, "From": str(case["from"]), "To": "+46141225000", "CallStatus": "completed"}
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    ended = app.test_client().post("/voice/status", data=params, headers={"X-Twilio-Signature": signature})
    assert ended.status_code == 200
    clock = ShiftedClock(app.extensions["ivr.clock"])
    clock.offset = timedelta(minutes=int(case["then_call"]["after_minutes"]))
    app.extensions["ivr.clock"] = clock
    phone = Phone(app, caller=str(case["from"]), on_say=lambda say, leg: refused.extend(ssml_problems(say)))
    return phone.call(ScriptedKeys(str(case["then_call"]["keys"])), call_sid=CALL_SID_AGAIN)


def replay(case: dict[str, Any], database_url: str
           ) -> tuple[Result, SmsResult | None, Result | None, dict[str, Any] | None]:
    """Run one case's call (and the texts or the call after it) against a fresh app on the given database.

    SSML that Polly would refuse is an error of the call it was said in.
    """
    refused: list[str] = []
    with golden_app(case, database_url) as app:
        phone = Phone(app, caller=str(case["from"]), on_say=lambda say, leg: refused.extend(ssml_problems(say)))
        manager = case.get("manager_keys")
        result = phone.call(
            ScriptedKeys(str(case["keys"])),
            manager_keys=None if manager is None else ScriptedKeys(str(manager)),
            dial_status=[str(status) for status in case.get("dial_status") or []], call_sid=CALL_SID,
        )
        texts = None
        if case.get("then_sms"):
            texts = SmsPhone(app, sender=str(case["from"])).converse(
                ScriptedSends(str(send) for send in case["then_sms"]))
        again = call_again(app, case, result, refused) if case.get("then_call") else None
        if case.get("manager_sms"):
            # Chef i beredskap texts the line afterwards (KLAR, IT, ...); a call the line then places to her
            # she answers with `answer_keys`, and IT-beredskapen's leg presses `it_keys`.
            boss = case["manager_sms"]
            texts = SmsPhone(app, sender=str(boss["from"])).converse(
                ScriptedSends(str(send) for send in boss["sends"]), answer_keys=str(boss.get("answer_keys", "")),
                manager_keys=ScriptedKeys(str(boss.get("it_keys", ""))))
        later = after_decline_time(app)
    result.errors.extend(refused)
    return result, texts, again, later


def line(entry: Entry) -> dict[str, str]:
    """A transcript line as the golden files write it: {who: text}."""
    who = "line_to_manager" if entry.get("to") == "manager" else entry["who"]
    return {who: entry["text"]}


def observed(result: Result, texts: SmsResult | None = None, again: Result | None = None,
             later: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `expected` section this call would have."""
    found: dict[str, Any] = {
        "outcome": result.outcome["outcome"] if result.outcome else None,
        "dialed": result.dialed,
        "sms_count": len(result.sms),
        "transcript": [line(entry) for entry in result.transcript],
    }
    if texts is not None:
        found["then_sms"] = observed_sms(texts)
    if again is not None:
        found["then_call"] = observed(again)
    if later is not None:
        found["after_decline_time"] = later
    return found


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_voice_golden(path: Path, database_url: str, request: pytest.FixtureRequest) -> None:
    case = read_case(path)
    assert {"description", "at", "from", "keys"} <= set(case), f"{path.name}: inputs missing"
    if case.get("known_bug"):
        request.applymarker(pytest.mark.xfail(reason=str(case["known_bug"]), strict=True))
    result, texts, again, later = replay(case, database_url)
    assert result.errors == []
    if texts is not None:
        assert texts.errors == [] and texts.unused_sends == []
    if again is not None:
        assert again.errors == [] and again.unused_keys == []
    # Inputs the call never used mean the case does not test what it says.
    assert result.unused_keys == [], "keys left over: the call ended before they were pressed"
    assert result.unused_manager_keys == [], "manager keys left over"
    assert result.unused_dial_status == [], "dial statuses left over"
    if UPDATE and not case.get("known_bug"):
        write_case(path, case, INPUTS, observed(result, texts, again, later))
        return
    assert "expected" in case, f"{path.name}: no expected section (run with UPDATE_GOLDEN=1)"
    assert observed(result, texts, again, later) == case["expected"]


def test_golden_cases_exist() -> None:
    assert len(CASES) >= 30


# --- the phone itself ---------------------------------------------------------------------


def test_phone_signs_like_twilio(app: Flask) -> None:
    """With another token the app refuses the very first webhook: the phone does sign."""
    phone = Phone(app)
    phone.validator = RequestValidator("not-the-apps-token")
    result = phone.call("1 1")
    assert result.requests == 1
    assert result.errors == ["POST /voice answered HTTP 403"]
    assert result.unused_keys == ["1", "1"]


def test_phone_reports_leftover_keys(app: Flask) -> None:
    result = Phone(app).call("1 1 2 2")  # Viva, solved at step 1: "2 2" is never heard
    assert result.outcome is not None and result.outcome["outcome"] == "resolved"
    assert result.unused_keys == ["2", "2"]


def test_phone_hangs_up_when_keys_run_out(app: Flask) -> None:
    result = Phone(app).call("1")
    assert result.transcript[-1] == {"who": "system", "text": "DU LÄGGER PÅ/caller hung up"}
    assert result.outcome is None and result.errors == []


def test_phone_stops_at_the_request_limit(app: Flask) -> None:
    result = Phone(app, max_requests=2).call("* * * *")
    assert result.errors == ["more than 2 webhook requests in one call"]
    assert result.unused_keys == ["*", "*"]


def test_cli_simulate_prints_a_transcript() -> None:
    output = CliRunner().invoke(
        simulate, ["--keys", "1 2 1 1", "--at", "2026-11-25T22:00"], catch_exceptions=False
    ).output
    assert "DU: 1" in output
    assert "LINJEN: Jag kopplar dig nu till chef i beredskap." in output
    assert "    CHEFEN: 1" in output
    assert output.endswith("Utfall/outcome: on_call_manager\n")


def test_cli_simulate_json_and_exit_code() -> None:
    result = CliRunner().invoke(simulate, [
        "--keys", "6 1 2 2 2 2", "--at", "2026-11-25T22:00", "--manager-keys", "- 2", "--json",
    ])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["outcome"]["outcome"] == "on_call_manager"
    assert data["dialed"] == ["+46701740610", "+46701740611"]
    # The SMS to the first manager when nobody accepted, then the caller's receipt saying so.
    assert [sms["to"] for sms in data["sms"]] == ["+46701740610", "+46701740699"]
    assert data["unused_manager_keys"] == [] and data["errors"] == []
